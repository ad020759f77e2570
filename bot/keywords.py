"""Which photo a file is, from a keyword in its name or in the message: front, back, selfie or face."""

from __future__ import annotations

import re

_WORDS = {
    "FRONT": {"front", "frontside", "vorderseite", "recto"},
    "BACK": {"back", "backside", "rear", "reverse", "rueckseite", "verso"},
    "FACE": {"selfie", "face", "portrait"},
}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^a-z]+")


def _tokens(text: str) -> set[str]:
    return {token for token in _SPLIT.split(_CAMEL.sub(" ", text).lower()) if token}


def part_in(text: str | None) -> str | None:
    """The one part `text` names, or None when it names none or more than one."""
    tokens = _tokens(text or "")
    named = {part for part, words in _WORDS.items() if tokens & words}
    return named.pop() if len(named) == 1 else None


def part_for_file(filename: str | None, message_text: str | None, files_in_message: int) -> str | None:
    """The file name decides; the message text only when the message carries one file."""
    stem = (filename or "").rsplit(".", 1)[0]
    part = part_in(stem)
    if part is None and files_in_message == 1:
        part = part_in(message_text)
    return part
