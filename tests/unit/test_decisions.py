"""Jumio's decision in the agent's words: one line, the next step from the capability labels, the risk score."""

from __future__ import annotations

import pytest

from bot.blocks import decisions


@pytest.mark.parametrize(
    ("decision", "words"),
    [
        ("PASSED", "verified"),
        ("WARNING", "needs a person's look"),
        ("REJECTED", "not verified"),
        ("NOT_EXECUTED", "Jumio could not check"),
    ],
)
def test_each_decision_in_one_phrase(decision: str, words: str) -> None:
    assert decisions.meaning(decision).words == words


@pytest.mark.parametrize(
    ("capability", "label", "step"),
    [
        ("usability", "BLURRED", "sharper"),
        ("usability", "MISSING_PAGE", "missing side"),
        ("similarity", "NO_MATCH", "new selfie"),
        ("liveness", "ID_USED_AS_SELFIE", "new selfie"),
        ("imageChecks", "MANIPULATED_DOCUMENT_PHOTO", "fraud"),
        ("imageChecks", "DIGITAL_COPY", "original document"),
        ("watchlistScreening", "ALERT", "compliance"),
    ],
)
def test_the_next_step_comes_from_the_label(capability: str, label: str, step: str) -> None:
    capabilities = [
        {"name": "usability", "decision": "PASSED", "label": "OK"},
        {"name": capability, "decision": "REJECTED", "label": label},
    ]
    steps = decisions.next_steps("REJECTED", "REJECTED", capabilities)
    assert step in steps[0]


def test_steps_come_once_and_an_unknown_label_falls_back_to_the_decision() -> None:
    blurred = {"name": "usability", "decision": "REJECTED", "label": "BLURRED"}
    glare = {"name": "usability", "decision": "REJECTED", "label": "GLARE"}
    assert decisions.next_steps("REJECTED", None, [blurred, glare]) == [decisions.NEXT_STEPS["usability", "BLURRED"]]
    unknown = {"name": "newCheck", "decision": "WARNING", "label": "SOMETHING_NEW"}
    assert decisions.next_steps("WARNING", None, [unknown]) == [decisions.MEANINGS["WARNING"].default_step]
    assert decisions.next_steps("PASSED", None, [blurred]) == [decisions.MEANINGS["PASSED"].default_step]
    expired = decisions.next_steps("NOT_EXECUTED", "TOKEN_EXPIRED", [])
    assert "New link" in expired[0]


def test_the_risk_score_in_words() -> None:
    assert decisions.risk_words(None) is None
    assert "not scored" in (decisions.risk_words(-1.0) or "")
    assert "12 of 100: low" in (decisions.risk_words(12.0) or "")
    assert "medium" in (decisions.risk_words(50.0) or "") and "high" in (decisions.risk_words(92.0) or "")
    assert "your Jumio account may use others" in (decisions.risk_words(5.0) or "")
