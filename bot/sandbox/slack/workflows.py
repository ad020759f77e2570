"""The stand-in's Workflow Builder: it runs the app's custom steps (the manifest's `functions`) as a workflow would,
delivering `function_executed` with a token of the run's own, and holds `functions.completeSuccess`/`completeError`
to Slack's rules.

Sources: docs.slack.dev/reference/events/function_executed (the event and its `bot_access_token`),
docs.slack.dev/reference/methods/functions.completeSuccess and .completeError (outputs "that conform to the output
parameters schema for the custom function defined in the manifest"), shared/reference/slack-bolt.md §13. Refusals:
outputs that do not match the manifest's output parameters answer `parameter_validation_failed`; a second
completion `execution_not_in_running_state`; another run's token `invalid_auth`. A step is offered only by an
org-ready app (`settings.org_deploy_enabled`) that declares it and subscribes to `function_executed`.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# What a value of each parameter type must be (Slack's own types are IDs or timestamps, sent as strings).
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "object": (dict,),
    "array": (list,),
}


def parameter_problems(parameters: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """Why `values` do not conform to these manifest parameters: a required one missing, an unknown one, a value
    of the wrong type."""
    problems = [f"{name}: unknown parameter" for name in values if name not in parameters]
    for name, declared in parameters.items():
        value = values.get(name)
        if value is None:
            if declared.get("is_required"):
                problems.append(f"{name}: required")
            continue
        kind = str(declared.get("type"))
        expected = _PYTHON_TYPES.get(kind, (str,))
        if not isinstance(value, expected) or (kind in ("integer", "number") and isinstance(value, bool)):
            problems.append(f"{name}: not a {kind}")
    return problems


@dataclass
class StepRun:
    """One run of a custom step in a workflow."""

    callback_id: str
    inputs: dict[str, Any]
    function_execution_id: str
    workflow_execution_id: str
    token: str
    state: str = "running"  # running, completed or failed
    outputs: dict[str, Any] | None = None
    error: str | None = None
    refused: list[str] = field(default_factory=list)  # Slack's answers to completions it refused


class WorkflowBuilder:
    """Mixed into the stand-in: needs `manifest`, `event` (the driver's delivery) and `team_id`."""

    manifest: Mapping[str, Any]
    runs: dict[str, StepRun]
    _run_ids: itertools.count[int]

    event: Callable[..., Awaitable[tuple[int, Any]]]  # the driver's delivery

    def offered_steps(self) -> dict[str, Any]:
        """The custom steps Workflow Builder offers from this app: none unless it is org-ready."""
        if not (self.manifest.get("settings") or {}).get("org_deploy_enabled"):
            return {}
        return dict(self.manifest.get("functions") or {})

    async def run_step(self, callback_id: str, inputs: Mapping[str, Any]) -> StepRun:
        """A workflow reaches the app's step: `function_executed` is delivered (AssertionError for a step Workflow
        Builder would not offer, or inputs it would not let the author save)."""
        definition = self.offered_steps().get(callback_id)
        assert definition is not None, f"Workflow Builder offers no step {callback_id!r} from this manifest"
        given = {name: value for name, value in inputs.items() if value is not None}
        problems = parameter_problems(definition.get("input_parameters") or {}, given)
        assert not problems, f"Workflow Builder would not run the step with these inputs: {problems}"
        number = next(self._run_ids)
        run = StepRun(
            callback_id=callback_id,
            inputs=given,
            function_execution_id=f"Fx{number:010d}",
            workflow_execution_id=f"Wx{number:010d}",
            token=f"xwfp-{secrets.token_hex(16)}",
        )
        self.runs[run.function_execution_id] = run
        await self.deliver_step(run)
        return run

    async def deliver_step(self, run: StepRun) -> tuple[int, Any]:
        """(Again) deliver the run's `function_executed`, as Slack does when it retries an event."""
        definition = self.offered_steps()[run.callback_id]

        def listed(parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
            return [{"name": name, **declared} for name, declared in parameters.items()]

        event = {
            "type": "function_executed",
            "function": {
                "id": f"Fn{run.callback_id[:8].upper()}",
                "callback_id": run.callback_id,
                "title": definition.get("title"),
                "description": definition.get("description", ""),
                "type": "app",
                "input_parameters": listed(definition.get("input_parameters") or {}),
                "output_parameters": listed(definition.get("output_parameters") or {}),
                "app_id": "AIDV",
                "date_created": 1700000000,
                "date_updated": 1700000000,
                "date_deleted": 0,
            },
            "inputs": run.inputs,
            "function_execution_id": run.function_execution_id,
            "workflow_execution_id": run.workflow_execution_id,
            "event_ts": f"{time.time():.6f}",
            "bot_access_token": run.token,
        }
        return await self.event(event)

    def run_of_token(self, token: str) -> StepRun | None:
        return next((run for run in self.runs.values() if run.token == token), None)

    def complete(self, method: str, token: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """functions.completeSuccess / functions.completeError, with the run's own token."""
        run = self.runs.get(str(params.get("function_execution_id") or ""))
        if run is None:
            return {"ok": False, "error": "function_execution_not_found"}
        if token != run.token:
            return {"ok": False, "error": "invalid_auth"}
        answer = self._completion(run, method, params)
        if not answer["ok"]:
            run.refused.append(answer["error"])
        return answer

    def _completion(self, run: StepRun, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if run.state != "running":
            return {"ok": False, "error": "execution_not_in_running_state"}
        if method == "functions.completeError":
            error = params.get("error")
            if not isinstance(error, str) or not error.strip():
                return {"ok": False, "error": "invalid_arguments"}
            run.state, run.error = "failed", error
            return {"ok": True}
        outputs = params.get("outputs")
        if isinstance(outputs, str):
            try:
                outputs = json.loads(outputs)
            except ValueError:
                return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(outputs, dict):
            return {"ok": False, "error": "invalid_arguments"}
        declared = self.offered_steps()[run.callback_id].get("output_parameters") or {}
        problems = parameter_problems(declared, outputs)
        if problems:
            return {"ok": False, "error": "parameter_validation_failed", "response_metadata": {"messages": problems}}
        run.state, run.outputs = "completed", outputs
        return {"ok": True}
