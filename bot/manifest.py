"""The Slack app manifest for the current settings, from `manifest.yml` (the one manifest, at the project root).

What depends on the settings:
- Socket Mode (`SLACK_APP_TOKEN` set) or HTTP mode: in HTTP mode the slash command, events and interactivity all
  point at `{IDV_PUBLIC_URL}/slack/events`, and Socket Mode is off;
- agents connecting their Slack user (`SLACK_CLIENT_ID` set): the user scope `files:write` and the redirect URL
  `{IDV_PUBLIC_URL}/slack/oauth_redirect`; without it, no user scope and no redirect URL at all.

The Slack stand-in is handed the same rendering, so it grants exactly what a workspace installing this manifest would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# Beside this module as package data (in the source tree, a link to the root's manifest.yml).
MANIFEST_FILE = Path(__file__).resolve().parent / "manifest.yml"
USER_SCOPES = ("files:write",)  # files.delete as the agent, for photos they dropped (bot/journey/cleanup.py)
EVENTS_PATH = "/slack/events"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"


class ManifestError(ValueError):
    """The settings do not make a manifest Slack would take (HTTP mode without a public URL, say)."""


def base_manifest() -> dict[str, Any]:
    """`manifest.yml` as it is."""
    loaded = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ManifestError(f"{MANIFEST_FILE} is not a YAML mapping")
    return loaded


def render(
    *, socket_mode: bool, public_url: str | None, oauth: bool, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The manifest for these settings; ManifestError when they cannot make one."""
    manifest = copy.deepcopy(dict(base if base is not None else base_manifest()))
    public = public_url.rstrip("/") if public_url else None
    settings = manifest.setdefault("settings", {})
    if socket_mode:
        settings["socket_mode_enabled"] = True
    else:
        if not public:
            raise ManifestError(
                "HTTP mode (no SLACK_APP_TOKEN) needs IDV_PUBLIC_URL: Slack sends every request to "
                f"IDV_PUBLIC_URL{EVENTS_PATH}"
            )
        settings["socket_mode_enabled"] = False
        settings.setdefault("event_subscriptions", {})["request_url"] = public + EVENTS_PATH
        settings.setdefault("interactivity", {})["request_url"] = public + EVENTS_PATH
        for command in manifest.get("features", {}).get("slash_commands", []):
            command["url"] = public + EVENTS_PATH
    oauth_config = manifest.setdefault("oauth_config", {})
    if oauth:
        if not public:
            raise ManifestError(
                "SLACK_CLIENT_ID needs IDV_PUBLIC_URL: Slack sends agents who connect their user back "
                f"to IDV_PUBLIC_URL{OAUTH_REDIRECT_PATH}"
            )
        oauth_config.setdefault("scopes", {})["user"] = list(USER_SCOPES)
        oauth_config["redirect_urls"] = [public + OAUTH_REDIRECT_PATH]
    else:
        oauth_config.get("scopes", {}).pop("user", None)
        oauth_config.pop("redirect_urls", None)
    return manifest


def render_for(environ: Mapping[str, str], *, mode: str | None = None) -> dict[str, Any]:
    """The manifest for settings as the bot reads them (an empty value is unset). `mode` (socket or http) overrides
    the settings; without it, Socket Mode with SLACK_APP_TOKEN, HTTP mode with IDV_PUBLIC_URL alone, and Socket Mode
    when neither is set (a new app: its app-level token is made after the app exists)."""

    def setting(name: str) -> str | None:
        return (environ.get(name) or "").strip() or None

    if mode is None:
        socket_mode = setting("SLACK_APP_TOKEN") is not None or setting("IDV_PUBLIC_URL") is None
    else:
        socket_mode = mode == "socket"
    return render(
        socket_mode=socket_mode, public_url=setting("IDV_PUBLIC_URL"), oauth=setting("SLACK_CLIENT_ID") is not None
    )


def dump(manifest: Mapping[str, Any], output_format: str = "json") -> str:
    if output_format == "yaml":
        return str(yaml.safe_dump(dict(manifest), sort_keys=False, allow_unicode=True))
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
