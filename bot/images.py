"""What a photo is, from its first bytes: JPEG or PNG, and its size in pixels (Jumio's rules, reference §3:
JPEG or PNG, at most 15 MB, at most 8000 x 8000, the longest side over 300 px).

The relay reads only as many bytes as `photo_header` needs before it sends the first byte on to Jumio.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MIN_LONGEST_SIDE = 300  # exclusive: the longest side must be more than this
MAX_SIDE = 8000
# A JPEG's size is in its SOF marker, after any APPn segments (EXIF can take 64 KB each): past this, it is refused.
MAX_HEADER_BYTES = 512 * 1024


@dataclass(frozen=True)
class PhotoHeader:
    format: str  # "JPEG" or "PNG"
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return "image/jpeg" if self.format == "JPEG" else "image/png"

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "JPEG" else "png"


class NeedMore(Exception):
    """The bytes so far do not yet say; read more."""


def image_format(data: bytes) -> str | None:
    """`JPEG` or `PNG` by the bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG's IHDR or a JPEG's SOF marker; None when it cannot be read."""
    kind = image_format(data)
    if kind == "PNG" and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if kind != "JPEG":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def not_a_photo(data: bytes) -> str:
    """Why bytes that are not a JPEG or PNG are not, in an agent's words (HEIC, PDF, GIF or WebP named as such)."""
    if not data:
        return "the file is empty."
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypheif"):
        return (
            "it is a HEIC photo; Jumio takes JPEG or PNG. On an iPhone, set Camera > Formats to Most Compatible, "
            "or take a screenshot of the photo."
        )
    if data[:5] == b"%PDF-":
        return "it is a PDF; Jumio takes photos (JPEG or PNG) of the ID."
    if data[:6] in (b"GIF87a", b"GIF89a") or data[:4] == b"RIFF":
        return "it is a GIF or WebP image; Jumio takes JPEG or PNG."
    return "its content is not a JPEG or PNG photo, whatever its name says."


def photo_header(prefix: bytes | bytearray | memoryview, *, complete: bool = False) -> PhotoHeader:
    """The photo's format and size from its first bytes; NeedMore while they do not say yet (unless `complete`:
    the whole file), ValueError (in an agent's words) when it is not a photo Jumio takes."""
    data = bytes(prefix[:MAX_HEADER_BYTES])
    kind = image_format(data)
    if kind is None:
        if len(data) < 12 and not complete:
            raise NeedMore
        raise ValueError(not_a_photo(data))
    size = image_size(data)
    if size is None:
        if not complete and len(prefix) < MAX_HEADER_BYTES:
            raise NeedMore
        raise ValueError("the photo's size in pixels cannot be read; take or export it again as JPEG or PNG.")
    width, height = size
    if max(width, height) <= MIN_LONGEST_SIDE:
        raise ValueError(f"it is {width} x {height} pixels; Jumio needs the longest side over {MIN_LONGEST_SIDE}.")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(f"it is {width} x {height} pixels; Jumio takes at most {MAX_SIDE} x {MAX_SIDE}.")
    return PhotoHeader(kind, width, height)
