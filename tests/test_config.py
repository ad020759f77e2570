"""Settings: defaults, the `.env` file, and one clear line for each missing or malformed value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_POLL_SCHEDULE, ConfigError, Secret, load_settings

BOT_TOKEN = "xoxb-1111-2222-abcdefSECRET"
SIGNING = "signing-secret-abc123"
CLIENT_SECRET = "jumio-client-secret-xyz"

BASE = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING,
    "JUMIO_CLIENT_ID": "client",
    "JUMIO_CLIENT_SECRET": CLIENT_SECRET,
    "JUMIO_USER_AGENT": "Acme SupportDesk/1.0",
    "IDV_ALLOWED_CHANNELS": "CVERIFY",
    "IDV_ENCRYPTION_KEY": "BwSosBDcwVpd_LdA_K9_sunHCV3sxtpPdhG3mAo6c6Q=",
}


def _load(**changes: str | None):
    env = {**BASE, **{k: v for k, v in changes.items() if v is not None}}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
    return load_settings(env, env_file=None)


def test_defaults() -> None:
    settings = _load()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.jumio_region == "amer-1"
    assert settings.jumio.token_url == "https://auth.amer-1.jumio.ai/oauth2/token"
    assert settings.jumio.account_url == "https://account.amer-1.jumio.ai"
    assert settings.jumio.retrieval_url == "https://retrieval.amer-1.jumio.ai"
    assert settings.jumio_workflow_key == 10011
    assert settings.jumio_token_lifetime == "1d" and settings.token_lifetime_seconds == 86400
    assert settings.jumio_callback_url is None
    assert settings.jumio_sandbox is False
    assert settings.database == "idv.sqlite3"
    assert settings.allowed_users == frozenset() and settings.allowed_channels == {"CVERIFY"}  # BASE lists one
    assert settings.poll_schedule == DEFAULT_POLL_SCHEDULE == (40, 60, 100, 160, 240, 340, 460, 600, 760, 940)
    assert not settings.socket_mode


def test_region_and_overrides() -> None:
    settings = _load(JUMIO_REGION="emea-1", JUMIO_RETRIEVAL_URL="http://127.0.0.1:9/")
    assert settings.jumio.token_url == "https://auth.emea-1.jumio.ai/oauth2/token"
    assert settings.jumio.account_url == "https://account.emea-1.jumio.ai"
    assert settings.jumio.retrieval_url == "http://127.0.0.1:9"


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = _load(SLACK_APP_TOKEN="xapp-1-A1-1-abc", SLACK_SIGNING_SECRET=None)
    assert settings.socket_mode and settings.slack_signing_secret is None


def test_sandbox_needs_no_jumio_credentials() -> None:
    settings = _load(JUMIO_SANDBOX="true", JUMIO_CLIENT_ID=None, JUMIO_CLIENT_SECRET=None, JUMIO_USER_AGENT=None)
    assert settings.jumio_sandbox and settings.jumio_user_agent


def test_lists_and_schedule() -> None:
    settings = _load(IDV_ALLOWED_USERS="U1AAA, U2BBB", IDV_ALLOWED_CHANNELS="C9ZZZ", IDV_POLL_SCHEDULE="1, 2.5")
    assert (settings.http_limits.head_seconds, settings.http_limits.body_seconds) == (10, 30)
    assert settings.http_limits.max_connections == 256
    tuned = _load(IDV_HTTP_DEADLINES="5, 20", IDV_HTTP_MAX_CONNECTIONS="64").http_limits
    assert (tuned.head_seconds, tuned.body_seconds, tuned.max_connections) == (5, 20, 64)
    assert settings.allowed_users == {"U1AAA", "U2BBB"}
    assert settings.allowed_channels == {"C9ZZZ"}
    assert settings.poll_schedule == (1.0, 2.5)


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nJUMIO_WORKFLOW_KEY=10013\n" + "".join(f"{k}={v}\n" for k, v in BASE.items()))
    settings = load_settings({"PORT": "5000"}, env_file=env_file)
    assert settings.port == 5000
    assert settings.jumio_workflow_key == 10013


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token-SECRET"}, "SLACK_BOT_TOKEN does not look right"),
        ({"SLACK_SIGNING_SECRET": None}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, "SLACK_APP_TOKEN does not look right"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must be an http(s) URL"),
        ({"PORT": "http"}, "PORT must be a port number"),
        ({"PORT": "70000"}, "PORT must be a port number"),
        ({"JUMIO_CLIENT_ID": None}, "JUMIO_CLIENT_ID is not set"),
        ({"JUMIO_CLIENT_SECRET": None}, "JUMIO_CLIENT_SECRET is not set"),
        ({"JUMIO_REGION": "mars-1"}, "JUMIO_REGION must be one of amer-1, emea-1, apac-1"),
        ({"JUMIO_AUTH_URL": "ftp://x"}, "JUMIO_AUTH_URL must be an http(s) URL"),
        ({"JUMIO_WORKFLOW_KEY": "ten"}, "JUMIO_WORKFLOW_KEY must be a number"),
        ({"JUMIO_TOKEN_LIFETIME": "2m"}, "JUMIO_TOKEN_LIFETIME Jumio accepts from 5m to 60d"),
        ({"JUMIO_TOKEN_LIFETIME": "1 day"}, "JUMIO_TOKEN_LIFETIME expected a number and a unit"),
        ({"JUMIO_CALLBACK_URL": "not a url"}, "JUMIO_CALLBACK_URL must be an http(s) URL"),
        ({"JUMIO_USER_AGENT": None}, "JUMIO_USER_AGENT is not set"),
        ({"JUMIO_USER_AGENT": "python-httpx/0.28"}, "JUMIO_USER_AGENT must name your company"),
        ({"JUMIO_SANDBOX": "maybe"}, "JUMIO_SANDBOX must be true or false"),
        ({"IDV_ALLOWED_USERS": "alice"}, "IDV_ALLOWED_USERS must list Slack IDs"),
        ({"IDV_POLL_SCHEDULE": "40,soon"}, "IDV_POLL_SCHEDULE must be positive seconds"),
        ({"IDV_POLL_SCHEDULE": "0"}, "IDV_POLL_SCHEDULE must be positive seconds"),
        ({"IDV_METRICS_TOKEN": "short"}, "IDV_METRICS_TOKEN is too short to guard /metrics"),
        ({"IDV_HTTP_DEADLINES": "10"}, "IDV_HTTP_DEADLINES must be two seconds"),
        ({"IDV_HTTP_DEADLINES": "10,0"}, "IDV_HTTP_DEADLINES must be two seconds"),
        ({"IDV_HTTP_DEADLINES": "ten,30"}, "IDV_HTTP_DEADLINES must be two seconds"),
        ({"IDV_HTTP_MAX_CONNECTIONS": "0"}, "IDV_HTTP_MAX_CONNECTIONS must be a whole number"),
    ],
)
def test_bad_settings_give_one_line_naming_the_variable(changes: dict[str, str | None], names: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(**changes)
    message = str(error.value)
    assert message.startswith(names.split()[0]) and names in message
    assert "\n" not in message
    for secret in (BOT_TOKEN, SIGNING, CLIENT_SECRET, "xoxp-user-token-SECRET", "xoxb-not-an-app-token"):
        assert secret not in message


def test_callback_urls_jumio_would_refuse_are_warned_about_not_refused() -> None:
    public = "https://idv.example.com"
    settings = _load(JUMIO_CALLBACK_URL="http://127.0.0.1:3000/jumio/callback", IDV_PUBLIC_URL=public)
    assert settings.jumio_callback_url == "http://127.0.0.1:3000/jumio/callback"
    (warning,) = settings.warnings
    assert "not https" in warning and "IP address" in warning and "port" in warning
    assert _load(JUMIO_CALLBACK_URL="https://idv.example.com/jumio/callback", IDV_PUBLIC_URL=public).warnings == ()


def test_the_consent_settings() -> None:
    default = _load()
    assert default.consent == "customer" and default.public_url is None and not default.photo_path_open
    (warning,) = default.warnings
    assert "IDV_PUBLIC_URL" in warning and "Web Client" in warning  # said once, at start-up
    behind_proxy = _load(IDV_PUBLIC_URL="https://idv.example.com/", IDV_TRUSTED_PROXIES="10.0.0.1, 192.168.0.0/16")
    assert behind_proxy.public_url == "https://idv.example.com" and behind_proxy.photo_path_open
    assert [str(n) for n in behind_proxy.trusted_proxies] == ["10.0.0.1/32", "192.168.0.0/16"]
    assert behind_proxy.warnings == ()
    controller = _load(JUMIO_CONSENT="not-required")
    assert controller.photo_path_open and controller.warnings == ()
    assert "not https" in _load(IDV_PUBLIC_URL="http://idv.example.com").warnings[0]
    for name, value, words in (
        ("JUMIO_CONSENT", "maybe", "customer or not-required"),
        ("IDV_PUBLIC_URL", "https://idv.example.com/?a=1", "base URL"),
        ("IDV_TRUSTED_PROXIES", "10.0.0.x", "CIDR"),
    ):
        with pytest.raises(ConfigError, match=words):
            _load(**{name: value})


def test_secrets_hide_themselves() -> None:
    settings = _load()
    text = repr(settings) + str(settings)
    for secret in (BOT_TOKEN, SIGNING, CLIENT_SECRET):
        assert secret not in text
    assert settings.slack_bot_token.reveal() == BOT_TOKEN
    assert str(Secret("x")) == "Secret('***')"


def test_both_allowlists_empty_is_warned_about_once() -> None:
    (warning,) = _load(IDV_ALLOWED_CHANNELS=None, IDV_PUBLIC_URL="https://idv.example.com").warnings
    assert "IDV_ALLOWED_USERS and IDV_ALLOWED_CHANNELS are both empty" in warning
    assert _load(IDV_ALLOWED_CHANNELS=None, IDV_ALLOWED_USERS="U1", IDV_PUBLIC_URL="https://x.example").warnings == ()


@pytest.mark.parametrize("name", ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"])
def test_the_env_example_placeholders_are_refused_by_value(name: str) -> None:
    value = {"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "SLACK_APP_TOKEN": "xapp-your-app-token"}[name]
    with pytest.raises(ConfigError, match=f"{name} is still the placeholder from .env.example"):
        _load(**{name: value})


def test_host_log_format_limits_and_teams() -> None:
    settings = _load(
        HOST="127.0.0.1",
        IDV_LOG_FORMAT="JSON",
        IDV_STARTS_PER_MINUTE="2",
        IDV_STARTS_PER_DAY="9",
        IDV_MAX_PHOTOS="4",
        IDV_ALLOWED_TEAMS="T0PARTNER,T0OTHER",
    )
    assert (
        settings.host,
        settings.log_format,
        settings.starts_per_minute,
        settings.starts_per_day,
        settings.max_photos,
    ) == ("127.0.0.1", "json", 2, 9, 4)
    assert settings.allowed_teams == {"T0PARTNER", "T0OTHER"}
    assert (
        _load().host == "127.0.0.1"
        and _load(HOST="0.0.0.0").host == "0.0.0.0"
        and _load().log_format == "text"
        and _load().starts_per_minute == 5
    )
    for bad, words in (
        (dict(HOST="not a host!"), "HOST must be an address"),
        (dict(IDV_LOG_FORMAT="xml"), "IDV_LOG_FORMAT must be text or json"),
        (dict(IDV_STARTS_PER_MINUTE="0"), "IDV_STARTS_PER_MINUTE must be a whole number"),
        (dict(IDV_ALLOWED_TEAMS="acme"), "IDV_ALLOWED_TEAMS must list Slack IDs"),
    ):
        with pytest.raises(ConfigError, match=words):
            _load(**bad)


def test_privacy_settings() -> None:
    settings = _load(
        IDV_ADMINS="UADMIN1, UADMIN2",
        IDV_RETENTION_DAYS="30",
        IDV_ENCRYPTION_KEY=f"{BASE['IDV_ENCRYPTION_KEY']},{BASE['IDV_ENCRYPTION_KEY']}",
        SLACK_CLIENT_ID="123.456",
        SLACK_CLIENT_SECRET="oauth-secret-1",
    )
    assert settings.admins == {"UADMIN1", "UADMIN2"} and settings.retention_days == 30
    assert len(settings.encryption_keys) == 2 and "Bw" not in repr(settings)
    assert settings.slack_client_id == "123.456" and "oauth-secret-1" not in repr(settings)
    defaults = _load()
    assert defaults.admins == frozenset() and defaults.retention_days == 90 and defaults.slack_client_id is None
    (warning,) = _load(IDV_ENCRYPTION_KEY=None, IDV_PUBLIC_URL="https://idv.example.com").warnings
    assert "IDV_ENCRYPTION_KEY is not set" in warning and "in clear" in warning


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"IDV_ENCRYPTION_KEY": "not-a-key"}, "key number 1 is not a Fernet key"),
        ({"IDV_ENCRYPTION_KEY": f"{BASE['IDV_ENCRYPTION_KEY']},short"}, "key number 2 is not a Fernet key"),
        ({"IDV_RETENTION_DAYS": "0"}, "IDV_RETENTION_DAYS must be a whole number of at least 1"),
        ({"IDV_ADMINS": "admin@example.com"}, "IDV_ADMINS must list Slack IDs"),
        ({"SLACK_CLIENT_ID": "123.456"}, "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together"),
    ],
)
def test_bad_privacy_settings_are_named(changes: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _load(**changes)
    assert words in str(raised.value) and "short" not in str(raised.value)
