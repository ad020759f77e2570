"""Modals: the /verify form, and what a stale form gets."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.kit import VIEW_START, Blocks, context, text_obj


def _input(
    block_id: str, label: str, element: dict[str, Any], optional: bool = True, hint: str | None = None
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": text_obj("plain_text", label),
        "element": {**element, "action_id": "value"},
    }
    if hint:
        block["hint"] = text_obj("plain_text", hint)
    return block


def _plain_input(placeholder: str | None = None, max_length: int = 100) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": max_length}
    if placeholder:
        element["placeholder"] = text_obj("plain_text", placeholder)
    return element


LANGUAGES = (
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt-BR", "Português (Brasil)"),
    ("pl", "Polski"),
    ("ja", "日本語"),
    ("zh-CN", "中文 (简体)"),
)


def start_modal(channel_id: str | None) -> dict[str, Any]:
    """The /verify form. Without a channel (opened from App Home) it asks where the root message goes."""
    blocks: Blocks = []
    if channel_id is None:
        blocks.append(
            _input(
                "channel",
                "Post the verification in",
                {"type": "conversations_select", "filter": {"include": ["public", "private"], "exclude_bot_users": True}},
                optional=False,
            )
        )
    blocks += [
        _input(
            "customer_reference",
            "Customer reference",
            _plain_input("CUST-42"),
            optional=False,
            hint="Your reference for this customer, not personal data. Up to 100 characters.",
        ),
        _input("user_reference", "User reference", _plain_input()),
        _input(
            "locale",
            "Language of the Jumio page",
            {
                "type": "static_select",
                "options": [{"text": text_obj("plain_text", name), "value": code} for code, name in LANGUAGES],
            },
        ),
        {"type": "header", "text": text_obj("plain_text", "Supporting data (optional)")},
        context(
            "Sent to Jumio as prepared data when the workflow takes it; never shown in Slack, and deleted here "
            "once Jumio has it (or the step fails)."
        ),
        _input("first_name", "First name", _plain_input()),
        _input("last_name", "Last name", _plain_input()),
        _input("email", "Email", {"type": "email_text_input"}),
        _input("phone_number", "Phone", _plain_input("+15031234567", 20), hint="International form with +"),
        _input("date_of_birth", "Date of birth", {"type": "datepicker"}),
        _input("line1", "Address line 1", _plain_input(max_length=200)),
        _input("line2", "Address line 2", _plain_input(max_length=200)),
        _input("city", "City", _plain_input()),
        _input("postal_code", "Postal code", _plain_input(max_length=20)),
        _input("subdivision", "State or region", _plain_input("OR", 20)),
        _input("country", "Country", _plain_input("USA", 3), hint="ISO code such as US or USA"),
        _input(
            "force",
            "If one is already open",
            {"type": "checkboxes", "options": [{"text": text_obj("plain_text", "Start another anyway"), "value": "force"}]},
        ),
    ]
    return {
        "type": "modal",
        "callback_id": VIEW_START,
        "title": text_obj("plain_text", "Verify identity"),
        "submit": text_obj("plain_text", "Start"),
        "close": text_obj("plain_text", "Cancel"),
        "private_metadata": json.dumps({"channel_id": channel_id}),
        "blocks": blocks,
    }


def stale_form() -> dict[str, Any]:
    """A form from an older version of the bot (or a stale one): say so instead of failing silently."""
    return {
        "type": "modal",
        "title": text_obj("plain_text", "Verify identity"),
        "close": text_obj("plain_text", "Close"),
        "blocks": [
            {
                "type": "section",
                "text": text_obj(
                    "mrkdwn", "This form is out of date and nothing was started. Close it and run `/verify` again."
                ),
            }
        ],
    }
