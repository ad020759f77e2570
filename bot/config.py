"""Settings from the environment and a `.env` file in the working folder.

Every variable of DESIGN.md's table is read here, once. A missing or malformed value raises `ConfigError` with one
line naming the variable and what is wrong; a secret's value is never part of that line.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.config_readers import ConfigError, Reader, Secret, callback_url_warnings, is_loopback
from bot.http_guard import HttpLimits
from storage.sealing import valid_key

T = TypeVar("T")
REGIONS = ("amer-1", "emea-1", "apac-1")
CONSENT_MODES = ("customer", "not-required")
DEFAULT_POLL_SCHEDULE = (40.0, 60.0, 100.0, 160.0, 240.0, 340.0, 460.0, 600.0, 760.0, 940.0)
SANDBOX_USER_AGENT = "idv-slack-bot sandbox/0.1"
# Jumio: pattern ^([+-]?\d+)([smhd]{1})$, at least 5m, at most 60d (reference §2.1).
_TOKEN_LIFETIME = re.compile(r"^\+?(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class JumioEndpoints:
    token_url: str
    account_url: str
    retrieval_url: str


# What `JUMIO_SANDBOX=true`, `idv-bot demo`, `bench` and `sandbox-jumio` say in the production image.
DEVELOPMENT_ONLY = (
    "is not in this installation: the production image leaves the stand-ins, the demo and the benchmark out "
    "(deploy/production-excludes.txt); install from the source tree (pip install .) for them"
)
# Values .env.example ships with: refused, so a copied example never reaches Slack as a token.
PLACEHOLDERS = frozenset({"xoxb-your-bot-token", "xapp-your-app-token"})


def endpoints_for_region(region: str) -> JumioEndpoints:
    return JumioEndpoints(
        token_url=f"https://auth.{region}.jumio.ai/oauth2/token",
        account_url=f"https://account.{region}.jumio.ai",
        retrieval_url=f"https://retrieval.{region}.jumio.ai",
    )


@dataclass(frozen=True)
class Settings:
    slack_bot_token: Secret
    slack_app_token: Secret | None
    slack_signing_secret: Secret | None
    slack_api_url: str
    port: int
    jumio_client_id: str
    jumio_client_secret: Secret
    jumio_region: str
    jumio: JumioEndpoints
    jumio_workflow_key: int
    jumio_token_lifetime: str
    jumio_callback_url: str | None
    jumio_user_agent: str
    jumio_sandbox: bool
    database: str
    allowed_users: frozenset[str]
    allowed_channels: frozenset[str]
    poll_schedule: tuple[float, ...]
    consent: str = "customer"  # JUMIO_CONSENT
    public_url: str | None = None  # IDV_PUBLIC_URL, without a trailing slash
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    allowed_teams: frozenset[str] = frozenset()  # IDV_ALLOWED_TEAMS: besides the bot's own team (and enterprise)
    host: str = "127.0.0.1"  # HOST: loopback unless said otherwise (the container sets 0.0.0.0)
    log_format: str = "text"  # IDV_LOG_FORMAT: text or json
    starts_per_minute: int = 5  # IDV_STARTS_PER_MINUTE, per agent
    starts_per_day: int = 200  # IDV_STARTS_PER_DAY, per agent
    max_photos: int = 20  # IDV_MAX_PHOTOS, per verification
    admins: frozenset[str] = frozenset()  # IDV_ADMINS: who may erase a customer's data
    retention_days: int = 90  # IDV_RETENTION_DAYS
    http_limits: HttpLimits = field(default_factory=HttpLimits)  # IDV_HTTP_DEADLINES, IDV_HTTP_MAX_CONNECTIONS
    metrics_token: Secret | None = None  # IDV_METRICS_TOKEN: /metrics answers only `Authorization: Bearer <it>`
    encryption_keys: tuple[Secret, ...] = ()  # IDV_ENCRYPTION_KEY: the first seals, all open
    slack_client_id: str | None = None  # SLACK_CLIENT_ID / SLACK_CLIENT_SECRET: agents may connect their user
    slack_client_secret: Secret | None = None
    jumio_sandbox_port: int = 0  # JUMIO_SANDBOX_PORT: the in-process simulator's port (0: a free one)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def photo_path_open(self) -> bool:
        """Whether photos dropped in a thread can reach Jumio: consent is not required, or can be asked for."""
        return self.consent == "not-required" or self.public_url is not None

    @property
    def token_lifetime_seconds(self) -> int:
        return token_lifetime_seconds(self.jumio_token_lifetime)


def token_lifetime_seconds(value: str) -> int:
    match = _TOKEN_LIFETIME.match(value)
    if not match:
        raise ValueError("expected a number and a unit s, m, h or d, such as 30m or 1d")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not 5 * 60 <= seconds <= 60 * 86400:
        raise ValueError("Jumio accepts from 5m to 60d")
    return seconds


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings from `environ` (default: the process environment) over the values of `env_file`. An empty value
    is unset wherever it comes from: an empty variable in the environment (compose's `env_file` and systemd's
    `EnvironmentFile` pass every line of the file, empty ones too) leaves the file's value, or the default."""
    return _Reader(setting_values(environ, env_file)).settings()


def setting_values(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> dict[str, str]:
    """Every setting's raw value: `environ` (default: the process environment) over `env_file`, an empty value
    counting as unset (so the file's value, or the default, applies)."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None and v.strip()})
    values.update({k: v for k, v in (os.environ if environ is None else environ).items() if v.strip()})
    return values


class _Reader(Reader):
    """Reads every setting, and names every one that is missing or malformed in one ConfigError (a line each)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.problems: list[str] = []

    def attempt(self, read: Callable[[], T], fallback: T) -> T:
        """`read()`, or (a ConfigError) the problem noted and `fallback` used so the reading goes on."""
        try:
            return read()
        except ConfigError as error:
            self.problems.append(str(error))
            return fallback

    def settings(self) -> Settings:
        warnings: list[str] = []
        sandbox = self.attempt(lambda: self.flag("JUMIO_SANDBOX", False), False)
        app_token: Secret | None = self.attempt(lambda: self.token("SLACK_APP_TOKEN", "", "xapp-", required=False), None)
        bot_token = self.attempt(
            lambda: self.token("SLACK_BOT_TOKEN", "the bot token (xoxb-…) from OAuth & Permissions", "xoxb-") or Secret(""),
            Secret(""),
        )
        signing_secret: Secret | None = self.attempt(
            lambda: self.secret(
                "SLACK_SIGNING_SECRET",
                "HTTP mode (no SLACK_APP_TOKEN) needs the signing secret from Basic Information",
                required=app_token is None,
            ),
            None,
        )
        api_url = self.attempt(lambda: self.url("SLACK_API_URL", "https://slack.com/api/") or "", "")
        if api_url and not api_url.endswith("/"):
            api_url += "/"
        port = self.attempt(lambda: self.port("PORT", 3000), 3000)
        region = self.attempt(lambda: self.choice("JUMIO_REGION", REGIONS, "amer-1"), "amer-1")
        endpoints = self.attempt(lambda: self.jumio_endpoints(region), endpoints_for_region(region))
        client_id, client_secret, user_agent = self.attempt(
            lambda: self.jumio_client(sandbox), ("", Secret(""), SANDBOX_USER_AGENT)
        )
        # Keys are tenant-configured; which one a tenant has for API-channel ID + selfie is UNCONFIRMED (reference §11.1).
        workflow_key = self.attempt(lambda: self.number("JUMIO_WORKFLOW_KEY", 10011, "a number such as 10011"), 10011)
        lifetime = self.attempt(self.token_lifetime, "1d")
        callback_url = self.attempt(lambda: self.callback_url(warnings), None)
        consent = self.attempt(lambda: self.choice("JUMIO_CONSENT", CONSENT_MODES, "customer"), "customer")
        public_url = self.attempt(lambda: self.public_url(warnings), None)
        if consent == "customer" and public_url is None and not sandbox:  # the sandbox serves it on loopback
            warnings.append(
                "JUMIO_CONSENT=customer without IDV_PUBLIC_URL: photos dropped in threads cannot reach "
                "Jumio (the customer's consent page has no public address); the Web Client link works"
            )
        no_client: tuple[str | None, Secret | None] = (None, None)
        client = self.attempt(self.slack_client, no_client)
        settings = Settings(
            slack_bot_token=bot_token,
            slack_app_token=app_token,
            slack_signing_secret=signing_secret,
            slack_api_url=api_url,
            port=port,
            jumio_client_id=client_id,
            jumio_client_secret=client_secret,
            jumio_region=region,
            jumio=endpoints,
            jumio_workflow_key=workflow_key,
            jumio_token_lifetime=lifetime,
            jumio_callback_url=callback_url,
            jumio_user_agent=user_agent,
            jumio_sandbox=sandbox,
            database=self.text("IDV_DATABASE", "idv.sqlite3") or "idv.sqlite3",
            allowed_users=self.attempt(lambda: self.ids("IDV_ALLOWED_USERS"), frozenset()),
            allowed_channels=self.attempt(lambda: self.ids("IDV_ALLOWED_CHANNELS"), frozenset()),
            poll_schedule=self.attempt(self.poll_schedule, DEFAULT_POLL_SCHEDULE),
            consent=consent,
            public_url=public_url,
            trusted_proxies=self.attempt(lambda: self.networks("IDV_TRUSTED_PROXIES"), ()),
            allowed_teams=self.attempt(lambda: self.ids("IDV_ALLOWED_TEAMS"), frozenset()),
            host=self.attempt(self.host, "127.0.0.1"),
            log_format=self.attempt(lambda: self.choice("IDV_LOG_FORMAT", ("text", "json"), "text"), "text"),
            starts_per_minute=self.attempt(lambda: self.count("IDV_STARTS_PER_MINUTE", 5), 5),
            starts_per_day=self.attempt(lambda: self.count("IDV_STARTS_PER_DAY", 200), 200),
            max_photos=self.attempt(lambda: self.count("IDV_MAX_PHOTOS", 20), 20),
            admins=self.attempt(lambda: self.ids("IDV_ADMINS"), frozenset()),
            retention_days=self.attempt(lambda: self.count("IDV_RETENTION_DAYS", 90), 90),
            http_limits=self.attempt(self.http_limits, HttpLimits()),
            metrics_token=self.attempt(lambda: self.metrics_token(), None),
            encryption_keys=self.attempt(lambda: self.encryption_keys(warnings), ()),
            slack_client_id=client[0],
            slack_client_secret=client[1],
            jumio_sandbox_port=self.attempt(lambda: self.port("JUMIO_SANDBOX_PORT", 0), 0),
            warnings=tuple(warnings + self.access_warnings()),
        )
        if self.problems:
            raise ConfigError("\n".join(self.problems))
        return settings

    def token(self, name: str, hint: str, prefix: str, *, required: bool = True) -> Secret | None:
        secret = self.secret(name, hint, prefix=prefix, required=required)
        if secret is not None and secret.reveal() in PLACEHOLDERS:
            raise ConfigError(f"{name} is still the placeholder from .env.example: put the app's real token there")
        return secret

    def number(self, name: str, default: int, what: str) -> int:
        text = self.text(name, str(default)) or str(default)
        if not text.isdigit():
            raise ConfigError(f"{name} must be {what} (got {text!r})")
        return int(text)

    def jumio_endpoints(self, region: str) -> JumioEndpoints:
        defaults = endpoints_for_region(region)
        return JumioEndpoints(
            token_url=self.url("JUMIO_AUTH_URL", defaults.token_url) or defaults.token_url,
            account_url=(self.url("JUMIO_ACCOUNT_URL", defaults.account_url) or "").rstrip("/"),
            retrieval_url=(self.url("JUMIO_RETRIEVAL_URL", defaults.retrieval_url) or "").rstrip("/"),
        )

    def jumio_client(self, sandbox: bool) -> tuple[str, Secret, str]:
        """JUMIO_CLIENT_ID, JUMIO_CLIENT_SECRET and JUMIO_USER_AGENT (each named when missing)."""
        if sandbox:
            client_id = self.text("JUMIO_CLIENT_ID", "sandbox-client") or ""
            client_secret = self.secret("JUMIO_CLIENT_SECRET", "", required=False) or Secret("sandbox-secret")
            user_agent = self.text("JUMIO_USER_AGENT", SANDBOX_USER_AGENT) or SANDBOX_USER_AGENT
        else:
            hint = "the OAuth2 client from the Jumio portal (or set JUMIO_SANDBOX=true to try the bot without one)"
            client_id = self.attempt(lambda: self.required("JUMIO_CLIENT_ID", hint), "")
            client_secret = self.attempt(lambda: self.secret("JUMIO_CLIENT_SECRET", hint), None) or Secret("")
            user_agent = self.required(
                "JUMIO_USER_AGENT", "Jumio requires a User-Agent naming your company, such as 'Acme SupportDesk/1.0'"
            )
        if len(user_agent) < 3 or user_agent.lower().startswith(("python-httpx", "python-requests", "curl/")):
            raise ConfigError(
                f"JUMIO_USER_AGENT must name your company and app, such as 'Acme SupportDesk/1.0' (got {user_agent!r})"
            )
        return client_id, client_secret, user_agent

    def metrics_token(self) -> Secret | None:
        token = self.secret("IDV_METRICS_TOKEN", "", required=False)
        if token is not None and len(token.reveal()) < 16:
            raise ConfigError(
                "IDV_METRICS_TOKEN is too short to guard /metrics: use at least 16 random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(24))')"
            )
        return token

    def token_lifetime(self) -> str:
        lifetime = self.text("JUMIO_TOKEN_LIFETIME", "1d") or "1d"
        try:
            token_lifetime_seconds(lifetime)
        except ValueError as exc:
            raise ConfigError(f"JUMIO_TOKEN_LIFETIME {exc} (got {lifetime!r})") from None
        return lifetime

    def callback_url(self, warnings: list[str]) -> str | None:
        callback_url = self.url("JUMIO_CALLBACK_URL", None)
        if callback_url is not None:
            if len(callback_url) > 255:
                raise ConfigError("JUMIO_CALLBACK_URL is longer than the 255 characters Jumio accepts")
            warnings.extend(callback_url_warnings(callback_url))
        return callback_url

    def public_url(self, warnings: list[str]) -> str | None:
        public_url = self.url("IDV_PUBLIC_URL", None)
        if public_url is None:
            return None
        public_url = public_url.rstrip("/")
        parts = urlsplit(public_url)
        if parts.query or parts.fragment:
            raise ConfigError("IDV_PUBLIC_URL must be a base URL such as https://idv.example.com (no ? or #)")
        if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
            warnings.append("IDV_PUBLIC_URL is not https: customers' browsers will send their consent in clear")
        return public_url

    def encryption_keys(self, warnings: list[str]) -> tuple[Secret, ...]:
        raw = self.text("IDV_ENCRYPTION_KEY", "") or ""
        keys = tuple(Secret(part.strip()) for part in raw.split(",") if part.strip())
        if not keys:
            warnings.append(
                "IDV_ENCRYPTION_KEY is not set: api.tokens, live links, agents' user tokens and "
                "supporting data are stored in clear in the database (docs/privacy.md says how to make "
                "a key)"
            )
        for number, key in enumerate(keys, 1):
            if not valid_key(key.reveal()):
                raise ConfigError(
                    f"IDV_ENCRYPTION_KEY's key number {number} is not a Fernet key (32 bytes in URL-safe "
                    "base64, 44 characters); docs/privacy.md says how to make one"
                )
        return keys

    def slack_client(self) -> tuple[str | None, Secret | None]:
        client_id = self.text("SLACK_CLIENT_ID")
        secret = self.secret("SLACK_CLIENT_SECRET", "", required=False)
        if (client_id is None) != (secret is None):
            raise ConfigError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Basic Information, App "
                "Credentials): set both, or neither to leave agents' photo deletion off"
            )
        return client_id, secret

    def access_warnings(self) -> list[str]:
        if self.text("IDV_ALLOWED_USERS") or self.text("IDV_ALLOWED_CHANNELS"):
            return []
        return [
            "IDV_ALLOWED_USERS and IDV_ALLOWED_CHANNELS are both empty: every member of the workspace may start "
            "verifications (each a paid Jumio check) and see who started which; list your agents or channels"
        ]

    def http_limits(self) -> HttpLimits:
        default = HttpLimits()
        raw = self.text("IDV_HTTP_DEADLINES")
        deadlines = (default.head_seconds, default.body_seconds)
        if raw is not None:
            try:
                head, body = (float(part) for part in raw.split(","))
            except ValueError:
                head = body = 0.0
            if not (0 < head <= 600 and 0 < body <= 600):
                raise ConfigError(
                    "IDV_HTTP_DEADLINES must be two seconds, for a request's head then its body, "
                    f"such as 10,30 (got {raw!r})"
                )
            deadlines = (head, body)
        connections = self.count("IDV_HTTP_MAX_CONNECTIONS", default.max_connections)
        return HttpLimits(head_seconds=deadlines[0], body_seconds=deadlines[1], max_connections=connections)

    def poll_schedule(self) -> tuple[float, ...]:
        raw = self.text("IDV_POLL_SCHEDULE")
        if raw is None:
            return DEFAULT_POLL_SCHEDULE
        try:
            schedule = tuple(float(part) for part in raw.split(",") if part.strip())
        except ValueError:
            schedule = ()
        if not schedule or any(delay <= 0 for delay in schedule):
            raise ConfigError(
                f"IDV_POLL_SCHEDULE must be positive seconds separated by commas, such as 40,60,100 (got {raw!r})"
            )
        return schedule
