"""The keyword rule: which photo a file is."""

from __future__ import annotations

import pytest

from bot.keywords import part_for_file, part_in


@pytest.mark.parametrize(
    ("filename", "text", "files", "part"),
    [
        ("id_front.jpg", "", 1, "FRONT"),
        ("ID-Back.PNG", "", 1, "BACK"),
        ("IDFront.jpg", "", 1, "FRONT"),
        ("selfie.jpg", "", 1, "FACE"),
        ("face photo.png", "", 1, "FACE"),
        ("IMG_2041.jpg", "this is the selfie", 1, "FACE"),
        ("IMG_2041.jpg", "back side", 1, "BACK"),
        ("IMG_2041.jpg", "front and back", 1, None),
        ("IMG_2041.jpg", "selfie", 2, None),  # one word for two files says nothing about each
        ("front.jpg", "selfie", 1, "FRONT"),  # the file name wins
        ("background.jpg", "", 1, None),  # not "back"
        ("surface.jpg", "", 1, None),  # not "face"
        ("front_back.jpg", "", 1, None),
        (None, None, 1, None),
    ],
)
def test_part_for_file(filename: str | None, text: str | None, files: int, part: str | None) -> None:
    assert part_for_file(filename, text, files) == part


def test_part_in() -> None:
    assert part_in("Vorderseite") == "FRONT"
    assert part_in("") is None
