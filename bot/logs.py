"""Logging that cannot leak or be forged: every record, from any library, is cleaned before a handler sees it.

- No request body, header or form field: Slack's libraries are configured not to log payloads (Bolt's logger at
  WARNING, so an unsigned request's body is never printed), and a record from `slack_bolt`/`slack_sdk` that still
  carries one is cut to its first words, "[payload not logged]".
- Redaction, the second line: Slack tokens (`xoxb-…`, `xapp-…`), JWTs (OAuth tokens, `api.token`s, Web Client
  authorization tokens), the `authorizationToken` of a Web Client link, the token of a consent link, and the
  configured secrets become `[redacted]`.
- Control characters in the message (a newline in a typed value) are escaped (`\n`), and every line of a traceback
  is indented, so no text can start a line of its own and pass for another record.
- `IDV_LOG_FORMAT=json`: one JSON object a line (python-json-logger), one field a value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_PATTERNS = [
    re.compile(r"xox[abeprs]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?"),
    re.compile(r"(authorizationToken=)[^&\s\"'<>|]+"),
    re.compile(r"(/consent/)[A-Za-z0-9_-]+"),  # the customer's consent link
    re.compile(r"(Authorization['\"]?:\s*['\"]?(?:Bearer|Basic)\s+)[^\s'\"]+", re.IGNORECASE),
]
_known: set[str] = set()
_installed = False
# Loggers of libraries that may put a request's payload in a message.
_PAYLOAD_LOGGERS = ("slack_bolt", "slack_sdk", "bot.slack")
_PAYLOAD_MARKERS = ("body", "payload", "{", "headers")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def redact(text: str) -> str:
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "[redacted]")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


def escape_controls(text: str) -> str:
    """Control characters as visible escapes (`\\n`, `\\x1b`), so logged text stays on its own line."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return _CONTROL.sub(
        lambda m: named.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"),
        text,
    )


def without_payload(name: str, message: str) -> str:
    """A Slack library's message with any request payload cut off."""
    if name.startswith(_PAYLOAD_LOGGERS) and any(marker in message for marker in _PAYLOAD_MARKERS):
        head = re.split(r"[({:]", message, maxsplit=1)[0].strip()
        return f"{head[:120]} [payload not logged]"
    return message


def add_secrets(secrets: Iterable[str | None]) -> None:
    """Register exact strings to redact (tokens and secrets from the settings)."""
    _known.update(s for s in secrets if s and len(s) >= 6)


def install_redaction() -> None:
    """Redact every log record created from now on, in this process."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is logged as it is
            return record
        cleaned = escape_controls(redact(without_payload(record.name, message)))
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            trace = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_text = "\n".join("    " + escape_controls(line) for line in trace.splitlines())
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def configure_logging(level: int = logging.INFO, log_format: str = "text") -> None:
    """The process's logging: cleaned records (see above), as text or JSON lines, on stderr."""
    install_redaction()
    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # Bolt logs an unsigned request's whole body at INFO (RequestVerification); its loggers follow this one.
    logging.getLogger("bot.slack").setLevel(max(level, logging.WARNING))
