"""The readers settings are made with: one per kind of value, each raising `ConfigError` naming the variable."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class Secret:
    """A string that never shows itself in `repr`, `str` or a log line; `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Reader:
    """Typed reads of the environment's values; an empty value counts as unset."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name, "").strip()
        return value if value else default

    def required(self, name: str, hint: str) -> str:
        value = self.text(name)
        if value is None:
            raise ConfigError(f"{name} is not set: {hint}")
        return value

    def secret(self, name: str, hint: str, *, prefix: str | None = None, required: bool = True) -> Secret | None:
        value = self.required(name, hint) if required else self.text(name)
        if value is None:
            return None
        if prefix and not value.startswith(prefix):
            raise ConfigError(f"{name} does not look right: it should start with {prefix!r}")
        return Secret(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false (got {value!r})")

    def url(self, name: str, default: str | None) -> str | None:
        value = self.text(name, default)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{name} must be an http(s) URL with a host (got {value!r})")
        return value

    def ids(self, name: str) -> frozenset[str]:
        raw = self.text(name, "") or ""
        ids = frozenset(part.strip() for part in raw.split(",") if part.strip())
        for slack_id in ids:
            if not re.fullmatch(r"[A-Z0-9]{2,}", slack_id):
                raise ConfigError(f"{name} must list Slack IDs such as U012ABCDEF, separated by commas (got {slack_id!r})")
        return ids

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = (self.text(name, default) or default).lower()
        if value not in choices:
            listed = " or ".join(choices) if len(choices) == 2 else "one of " + ", ".join(choices)
            raise ConfigError(f"{name} must be {listed} (got {value!r})")
        return value

    def count(self, name: str, default: int) -> int:
        text = self.text(name, str(default)) or str(default)
        if not text.isdigit() or int(text) < 1:
            raise ConfigError(f"{name} must be a whole number of at least 1 (got {text!r})")
        return int(text)

    def port(self, name: str, default: int) -> int:
        text = self.text(name, str(default)) or str(default)
        if not text.isdigit() or not (int(text) == default or 0 < int(text) < 65536):
            raise ConfigError(f"{name} must be a port number from 1 to 65535 (got {text!r})")
        return int(text)

    def host(self) -> str:
        # Loopback by default: outside a container the bot sits behind a proxy on the same machine (TLS), and a
        # public interface is a choice to make (security round 2). The image sets HOST=0.0.0.0 itself.
        host = self.text("HOST", "127.0.0.1") or "127.0.0.1"
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
                raise ConfigError(
                    f"HOST must be an address to listen on, such as 127.0.0.1 or 0.0.0.0 (got {host!r})"
                ) from None
        return host

    def networks(self, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        raw = self.text(name, "") or ""
        networks = []
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ConfigError(
                    f"{name} must list IP addresses or CIDRs such as 10.0.0.1 or 10.0.0.0/8, separated by "
                    f"commas (got {part!r})"
                ) from None
        return tuple(networks)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def callback_url_warnings(url: str) -> list[str]:
    """What Jumio would refuse in a callback URL: plain http, an IP address, a port, a fragment."""
    parts = urlsplit(url)
    problems = []
    if parts.scheme != "https":
        problems.append("it is not https")
    try:
        ipaddress.ip_address(parts.hostname or "")
        problems.append("its host is an IP address")
    except ValueError:
        pass
    if parts.port is not None:
        problems.append("it names a port")
    if parts.fragment:
        problems.append("it has a #fragment")
    if not problems:
        return []
    return [
        f"JUMIO_CALLBACK_URL would be refused by Jumio ({'; '.join(problems)}); callbacks will not arrive "
        "from the real service, only polling will find results"
    ]
