"""Placeholder pictures made in memory (never real documents); reading an image's format and size is `bot.images`.

`sample_photo("front")` and friends give PNGs that look like an ID card front, back or a selfie frame, large enough
for Jumio's size rules (longest side over 300 px), for the demo, the Web Client page and the tests.
"""

from __future__ import annotations

import random
import struct
import zlib

from bot.images import image_format, image_size

__all__ = ["image_format", "image_size", "jpeg_header", "png", "sample_photo"]

_PALETTE = {
    "front": ((226, 236, 248), (29, 53, 87), (168, 218, 220)),
    "back": ((236, 236, 228), (69, 123, 157), (230, 57, 70)),
    "face": ((244, 241, 222), (61, 64, 91), (224, 122, 95)),
}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, rows: list[bytes] | None = None, *, noise_seed: int | None = None) -> bytes:
    """An RGB PNG; `rows` gives each row's pixels, `noise_seed` fills it with random (incompressible) pixels."""
    if rows is None:
        if noise_seed is not None:
            rng = random.Random(noise_seed)
            rows = [rng.randbytes(width * 3) for _ in range(height)]
        else:
            rows = [bytes((200, 200, 200)) * width] * height
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def sample_photo(part: str, width: int = 640, height: int = 404) -> bytes:
    """A placeholder for `front`, `back` or `face`: coloured blocks in the layout of that side, no text, no person."""
    background, band, accent = _PALETTE[part]
    rows = []
    for y in range(height):
        row = bytearray(bytes(background) * width)
        if (part == "front" and y < height // 5) or (part == "back" and height // 6 < y < height // 3):
            row[:] = bytes(band) * width
        elif part == "front" and height // 4 < y < height * 4 // 5:
            left, right = width // 16, width // 3
            row[left * 3 : right * 3] = bytes(accent) * (right - left)
        elif part == "back" and y > height * 2 // 3:
            for x in range(width // 10, width * 9 // 10, 7):
                row[x * 3 : (x + 3) * 3] = bytes(band) * 3
        elif part == "face":
            cx, cy, r = width // 2, height // 2, min(width, height) // 3
            dy = y - cy
            if dy * dy <= r * r:
                half = int((r * r - dy * dy) ** 0.5)
                row[(cx - half) * 3 : (cx + half) * 3] = bytes(accent) * (2 * half)
        rows.append(bytes(row))
    return png(width, height, rows)


def jpeg_header(width: int, height: int, body: bytes = b"") -> bytes:
    """The start of a baseline JPEG of that size (SOI, JFIF, SOF0 … EOI): enough for format and size checks."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + jfif + sof + body + b"\xff\xd9"
