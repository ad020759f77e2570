"""Jumio's decision in an agent's words: what it means, what to do next, and what the risk score says.

The labels are Jumio's (reference §7, "Capabilities": G-KYX and the C-IF type definitions); the advice is ours.
A label not in the table gets its decision's default advice, so a new Jumio label never leaves the agent without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.jumio import DecisionType


@dataclass(frozen=True)
class Meaning:
    words: str  # the decision in one phrase
    default_step: str  # what to do when no capability says more


MEANINGS: dict[DecisionType, Meaning] = {
    DecisionType.PASSED: Meaning("verified", "Nothing more to do: the customer's identity is verified."),
    DecisionType.WARNING: Meaning(
        "needs a person's look", "Open the transaction in Jumio's portal and decide yourself before you go on."
    ),
    DecisionType.REJECTED: Meaning(
        "not verified",
        "Do not treat the customer as verified. If the reason below can be fixed, start a new verification with new photos.",
    ),
    DecisionType.NOT_EXECUTED: Meaning(
        "Jumio could not check", "Nothing was decided. Start a new verification; if it happens again, ask Jumio support."
    ),
}

_SHARPER_ID = "Ask the customer for a sharper, well-lit photo of the whole ID (no glare, nothing covered), then start again."
_ORIGINAL_ID = (
    "Ask for a photo of the original document itself, not a copy, scan or screen; if it happens again, "
    "treat it as possible fraud and escalate."
)
_ESCALATE = "Possible fraud: do not verify the customer; escalate to your fraud or compliance team."
_NEW_SELFIE = (
    "Ask the customer for a new selfie: their face alone, fully visible, in good light, taken live "
    "(not a photo of a photo), then start again."
)
_OTHER_ID = "Ask the customer to use another ID document that Jumio supports (passport, ID card or driving licence)."
_LOOK = "Look at the photos in Jumio's portal and decide yourself."


def _because(reason: str, step: str) -> str:
    return f"{reason}. {step}"


# (capability, label) → next step; a capability of None matches the label in any capability.
NEXT_STEPS: dict[tuple[str | None, str], str] = {
    ("usability", "BAD_QUALITY"): _SHARPER_ID,
    ("usability", "BLURRED"): _SHARPER_ID,
    ("usability", "GLARE"): _SHARPER_ID,
    ("usability", "MISSING_PAGE"): "Ask for the missing side or page of the ID (the back of an ID card), then start again.",
    ("usability", "PART_OF_DOCUMENT_MISSING"): _SHARPER_ID,
    ("usability", "PART_OF_DOCUMENT_HIDDEN"): _SHARPER_ID,
    ("usability", "NOT_UPLOADED"): "A photo was missing: start again and send the ID front, back and the selfie.",
    ("usability", "BLACK_WHITE"): "Ask for a colour photo of the original ID, then start again.",
    ("usability", "PHOTOCOPY"): _ORIGINAL_ID,
    ("usability", "NOT_A_DOCUMENT"): "The photo is not of an ID document: ask for a photo of the customer's ID.",
    ("usability", "DAMAGED_DOCUMENT"): _OTHER_ID,
    ("usability", "MISSING_SIGNATURE"): "Ask for an ID with its signature visible (or another ID), then start again.",
    ("usability", "UNSUPPORTED_COUNTRY"): _OTHER_ID,
    ("usability", "UNSUPPORTED_DOCUMENT_TYPE"): _OTHER_ID,
    ("usability", "LIVENESS_UNDETERMINED"): _NEW_SELFIE,
    ("imageChecks", "DIGITAL_COPY"): _ORIGINAL_ID,
    ("imageChecks", "WATERMARK"): _ORIGINAL_ID,
    ("imageChecks", "SAMPLE"): _ESCALATE,
    ("imageChecks", "FAKE"): _ESCALATE,
    ("imageChecks", "PUNCHED"): "The ID is cancelled (punched): ask for a valid ID.",
    ("imageChecks", "CHIP_MISSING"): _ESCALATE,
    ("imageChecks", "DIGITAL_MANIPULATION"): _ESCALATE,
    ("imageChecks", "GHOST_IMAGE_DIFFERENT"): _ESCALATE,
    ("imageChecks", "OTHER_REJECTION"): _LOOK,
    ("imageChecks", "DIFFERENT_PERSON"): _because("The ID's photos show different people", _ESCALATE),
    ("imageChecks", "REPEATED_FACE"): _because("This face was seen with another identity before", _LOOK),
    ("dataChecks", "MRZ_CHECKSUM"): _ESCALATE,
    ("dataChecks", "MISMATCHING_DATAPOINTS"): _ESCALATE,
    ("dataChecks", "MISMATCH_FRONT_BACK"): "The front and back do not belong together: ask for both sides of the same ID.",
    ("dataChecks", "MISMATCH_HRZ_MRZ_DATA"): _ESCALATE,
    ("dataChecks", "MISMATCHING_DATA_REPEATED_FACE"): _ESCALATE,
    ("dataChecks", "NFC_CERTIFICATE"): _ESCALATE,
    ("dataChecks", "SUPERIMPOSED_TEXT"): _ESCALATE,
    ("similarity", "NO_MATCH"): (
        "The selfie does not match the ID photo: ask the customer for a new selfie of "
        "themselves; if it fails again, do not verify them."
    ),
    ("similarity", "NOT_POSSIBLE"): (
        "Jumio could not compare the selfie with the ID photo: ask for a clearer selfie and ID front, then start again."
    ),
    ("similarity", "PRECONDITION_NOT_FULFILLED"): "A photo was not usable, so the faces were not compared; see above.",
    ("liveness", "ID_USED_AS_SELFIE"): _NEW_SELFIE,
    ("liveness", "MULTIPLE_PEOPLE"): _NEW_SELFIE,
    ("liveness", "NO_FACE_PRESENT"): _NEW_SELFIE,
    ("liveness", "FACE_NOT_FULLY_VISIBLE"): _NEW_SELFIE,
    ("liveness", "BAD_QUALITY"): _NEW_SELFIE,
    ("liveness", "BLACK_WHITE"): _NEW_SELFIE,
    ("liveness", "DIGITAL_COPY"): _because("The selfie looks like a photo of a screen or print", _ESCALATE),
    ("liveness", "PHOTOCOPY"): _because("The selfie looks like a photo of a print", _ESCALATE),
    ("liveness", "MANIPULATED"): _ESCALATE,
    ("liveness", "AGE_DIFFERENCE"): _because("The selfie's age does not fit the ID", _LOOK),
    ("watchlistScreening", "ALERT"): "The customer matched a watchlist: pass it to your compliance team.",
    ("watchlistScreening", "NOT_ENOUGH_DATA"): "The watchlist was not checked (too little data): ask compliance.",
    (None, "TOKEN_EXPIRED"): "The customer did not start in time: press New link, or start again.",
    (None, "SESSION_EXPIRED"): "The customer did not finish in time: press New link, or start again.",
    (None, "TECHNICAL_ERROR"): "Jumio had a technical error: start again; if it happens again, ask Jumio support.",
}

PASSING_LABELS = frozenset({"OK", "MATCH", "PASSED"})


def meaning(decision: str) -> Meaning:
    """A decision type's meaning; a type Jumio may add later reads as NOT_EXECUTED (nothing was decided for sure)."""
    known = decision in DecisionType.__members__
    return MEANINGS[DecisionType(decision) if known else DecisionType.NOT_EXECUTED]


def next_steps(decision: str, label: str | None, capabilities: Iterable[dict[str, Any]]) -> list[str]:
    """What to do next, most specific first and each step once: from every capability that did not pass, then
    from the decision's own label, else the decision's default."""
    steps: list[str] = []
    if decision != DecisionType.PASSED:
        for capability in capabilities:
            found = capability_step(capability)
            if found and found not in steps:
                steps.append(found)
        if label and (None, label) in NEXT_STEPS and NEXT_STEPS[None, label] not in steps:
            steps.append(NEXT_STEPS[None, label])
    return steps or [meaning(decision).default_step]


def capability_step(capability: dict[str, Any]) -> str | None:
    label = str(capability.get("label") or "")
    if capability.get("decision") == DecisionType.PASSED or label in PASSING_LABELS:
        return None
    name = str(capability.get("name") or "")
    if label.startswith("MANIPULATED_DOCUMENT"):
        return _ESCALATE
    return NEXT_STEPS.get((name, label)) or NEXT_STEPS.get((None, label))


def risk_words(score: float | None) -> str | None:
    """What the risk score means (reference §7, D-DEC: -1 to 100; default bands PASSED 0–30, WARNING 31–70,
    REJECTED 71–100, NOT_EXECUTED -1; a tenant can have other bands)."""
    if score is None:
        return None
    if score < 0:
        return "Risk score: not scored (Jumio shows -1 when it did not check)."
    band = "low" if score <= 30 else "medium" if score <= 70 else "high"
    return (
        f"Risk score {score:g} of 100: {band}. In Jumio's default bands 0–30 passes, 31–70 warns and 71–100 "
        "rejects; your Jumio account may use others."
    )


def jumio_words(capabilities: Sequence[dict[str, Any]]) -> list[str]:
    """Each capability as Jumio names it: `name [credentials]: DECISION / LABEL`."""
    lines = []
    for capability in capabilities:
        credentials = ", ".join(capability.get("credentials") or [])
        suffix = f" [{credentials}]" if credentials else ""
        lines.append(f"• {capability.get('name')}{suffix}: {capability.get('decision')} / {capability.get('label') or '—'}")
    return lines
