"""Workflow Builder custom steps the app offers (the manifest's `functions`): "Verify identity"."""

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.journey.steps import CALLBACK_ID
from bot.listeners.functions.verify_identity import handle_verify_identity


def register(app: AsyncApp) -> None:
    # Bolt acknowledges the event at once; the step completes later, from a job (`bot.journey.steps`).
    app.function(CALLBACK_ID, auto_acknowledge=True)(handle_verify_identity)


__all__: list[Any] = ["register"]
