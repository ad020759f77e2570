"""Logging that cannot leak: every record, from any library, is redacted before a handler sees it.

Slack tokens (`xoxb-…`, `xapp-…`), JWTs (OAuth tokens, `api.token`s, Web Client authorization tokens), the
`authorizationToken` of a Web Client link, the token of a consent link, and the configured secrets are replaced by
`[redacted]` in the formatted message, whatever logger produced it (slack_sdk at DEBUG prints request bodies, for instance).
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


def redact(text: str) -> str:
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "[redacted]")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


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
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def configure_logging(level: int = logging.INFO) -> None:
    install_redaction()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
