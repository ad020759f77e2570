"""`idv-bot manifest`: manifest.yml rendered for the settings, valid against Slack's published manifest schema in
every variant, and refused (exit 2, one line) where Slack could not take it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.listeners.start_request import SUPPORTING_FIELDS
from bot.manifest import render_for

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests" / "slack_schema" / "manifest.schema.1.0.0.json").read_text())
PUBLIC = "https://idv.example.com"

VARIANTS = {
    "socket": {"SLACK_APP_TOKEN": "xapp-1"},
    "socket, users connect": {"SLACK_APP_TOKEN": "xapp-1", "SLACK_CLIENT_ID": "1.2", "IDV_PUBLIC_URL": PUBLIC},
    "http": {"IDV_PUBLIC_URL": PUBLIC},
    "http, users connect": {"IDV_PUBLIC_URL": PUBLIC + "/", "SLACK_CLIENT_ID": "1.2"},
    "a new app (nothing set)": {},
}


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "manifest", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=60,
    )


def _errors(manifest: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(manifest)]


def test_the_schema_can_fail() -> None:
    broken = render_for({})
    broken["settings"]["event_subscriptions"]["bot_events"] = "message.channels"
    del broken["display_information"]
    assert len(_errors(broken)) >= 2


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_validates_against_slacks_schema(variant: str, tmp_path: Path) -> None:
    done = _cli(env=VARIANTS[variant], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    assert _errors(manifest) == []
    as_yaml = _cli("--format", "yaml", env=VARIANTS[variant], cwd=tmp_path)
    assert yaml.safe_load(as_yaml.stdout) == manifest


def test_http_mode_points_everything_at_the_public_url() -> None:
    manifest = render_for({"IDV_PUBLIC_URL": PUBLIC + "/"})
    events = PUBLIC + "/slack/events"
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["event_subscriptions"]["request_url"] == events
    assert manifest["settings"]["interactivity"]["request_url"] == events
    assert [c["url"] for c in manifest["features"]["slash_commands"]] == [events]
    socket = render_for({"SLACK_APP_TOKEN": "xapp-1", "IDV_PUBLIC_URL": PUBLIC})
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in json.dumps(socket) and '"url"' not in json.dumps(socket)


def test_the_user_scope_and_redirect_only_with_a_client_id() -> None:
    without = render_for({"IDV_PUBLIC_URL": PUBLIC, "SLACK_CLIENT_ID": ""})  # empty means unset
    assert "user" not in without["oauth_config"]["scopes"] and "redirect_urls" not in without["oauth_config"]
    with_it = render_for({"IDV_PUBLIC_URL": PUBLIC, "SLACK_CLIENT_ID": "1.2"})
    assert with_it["oauth_config"]["scopes"]["user"] == ["files:write"]
    assert with_it["oauth_config"]["redirect_urls"] == [PUBLIC + "/slack/oauth_redirect"]


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({}, ("--mode", "http"), "HTTP mode (no SLACK_APP_TOKEN) needs IDV_PUBLIC_URL"),
        ({"SLACK_APP_TOKEN": "xapp-1", "SLACK_CLIENT_ID": "1.2"}, (), "SLACK_CLIENT_ID needs IDV_PUBLIC_URL"),
    ],
)
def test_settings_slack_could_not_take_are_refused_in_one_line(
    env: dict[str, str], args: tuple[str, ...], named: str, tmp_path: Path
) -> None:
    done = _cli(*args, env=env, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [f"idv-bot: {done.stderr.strip().removeprefix('idv-bot: ')}"]
    assert named in done.stderr and "Traceback" not in done.stderr


def test_settings_come_from_dot_env_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"IDV_PUBLIC_URL={PUBLIC}\nSLACK_CLIENT_ID=1.2\nSLACK_APP_TOKEN=\n")
    manifest = json.loads(_cli(cwd=tmp_path).stdout)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["oauth_config"]["redirect_urls"] == [PUBLIC + "/slack/oauth_redirect"]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_offers_the_verify_identity_step(variant: str) -> None:
    """The custom step as Slack requires it (an org-ready app, function_executed subscribed), with the inputs the
    listener reads and exactly the outputs the step completes with."""
    manifest = render_for(VARIANTS[variant])
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is True and settings["function_runtime"] == "remote"
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
    step = manifest["functions"]["verify_identity"]
    inputs, outputs = step["input_parameters"], step["output_parameters"]
    assert {n for n, p in inputs.items() if p.get("is_required")} == {"customer_reference", "channel"}
    assert inputs["channel"]["type"] == "slack#/types/channel_id"
    assert inputs["requested_by"]["type"] == "slack#/types/user_id"
    assert set(SUPPORTING_FIELDS) <= set(inputs)
    assert {n: p["type"] for n, p in outputs.items()} == {
        "decision": "string",
        "verified": "boolean",
        "verification_url": "string",
        "execution_id": "string",
    }
    assert all(p.get("is_required") and p["name"] == n for n, p in outputs.items())
    assert all(p["name"] == n for n, p in inputs.items())
