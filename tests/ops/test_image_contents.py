"""What the production image holds (security round 2, the image): base images pinned by digest, every dependency
from a lock with hashes, and no stand-ins, demo tokens, demo or benchmark. Without a container runtime here, the
Dockerfile's build stage is replayed: its COPY lines, its exclusion step, the same offline install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.local import APP_TOKEN, BOT_TOKEN, free_port
from tests.ops.test_deploy import DOCKERFILE, ROOT, _instructions

pytestmark = pytest.mark.security
EXCLUDED = (ROOT / "deploy" / "production-excludes.txt").read_text().split()
LOCKED_LINE = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)")


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """Each locked name: its version and how many hashes it carries."""
    locked: dict[str, tuple[str, int]] = {}
    current = ""
    for line in path.read_text().splitlines():
        if match := LOCKED_LINE.match(line):
            current = canonicalize_name(match.group(1))
            locked[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = locked[current]
            locked[current] = (version, hashes + 1)
    return locked


def test_base_images_are_pinned_by_digest() -> None:
    arguments = dict(
        line.split(None, 1)[1].split("=", 1) for line in DOCKERFILE.splitlines() if line.startswith("ARG ") and "=" in line
    )
    for _op, args in (step for step in _instructions(DOCKERFILE) if step[0] == "FROM"):
        image = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m.group(1)], args.split()[0])
        assert re.fullmatch(r"python:3\.\d+-slim-\w+@sha256:[0-9a-f]{64}", image), image
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    images = [service["image"] for service in compose["services"].values() if "build" not in service]
    assert images and all(re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image) for image in images), images


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    locked = _locked(ROOT / "requirements.lock")
    assert locked and all(hashes >= 1 for _version, hashes in locked.values())
    declared = [
        Requirement(text) for text in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ]
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock: run deploy/relock"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), (requirement, locked[name][0])
    # What the locked packages need is locked too (read from what is installed here, for the image's Python).
    environment = {**default_environment(), "python_version": "3.11", "sys_platform": "linux", "extra": ""}
    for name in locked:
        try:
            needs = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for text in needs:
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate(environment):
                assert canonicalize_name(needed.name) in locked, f"{name} needs {needed.name}: run deploy/relock"
    build = _locked(ROOT / "deploy" / "build-requirements.lock")
    assert "setuptools" in build and build["setuptools"][1] >= 1
    assert "--require-hashes" in DOCKERFILE and "--no-deps" in DOCKERFILE


@pytest.fixture(scope="module")
def production_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build stage replayed: what its COPY lines bring in, its exclusion step, then the same install."""
    root = tmp_path_factory.mktemp("image")
    context = root / "src"
    context.mkdir()
    for args in (args for op, args in _instructions(DOCKERFILE) if op == "COPY" and "--from" not in args):
        *sources, target = args.split()
        for source in sources:
            path = ROOT / source
            into = context / (path.name if target == "./" else target)
            if path.is_dir():
                shutil.copytree(path, into, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(path, into)
    assert any(op == "RUN" and "xargs rm -rf < production-excludes.txt" in args for op, args in _instructions(DOCKERFILE))
    for excluded in (context / "production-excludes.txt").read_text().split():
        target = context / excluded
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    site = root / "site"
    install = ("install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "--target", str(site))
    done = subprocess.run(
        [sys.executable, "-m", "pip", *install, str(context)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return site


def test_the_image_holds_what_the_bot_needs(production_site: Path) -> None:
    assert (production_site / "bot" / "pages" / "templates" / "consent.html").exists()
    assert (production_site / "bot" / "pages" / "static" / "consent.css").exists()
    assert (production_site / "bot" / "healthcheck.py").exists() and (production_site / "storage" / "schema.py").exists()
    # The manifest travels as package data (in the source tree bot/manifest.yml links to the root's manifest.yml).
    shipped = production_site / "bot" / "manifest.yml"
    assert not shipped.is_symlink() and shipped.read_text() == (ROOT / "manifest.yml").read_text()


def test_the_image_holds_no_stand_in_demo_token_demo_or_benchmark(production_site: Path) -> None:
    assert set(EXCLUDED) == {"bot/sandbox", "bot/local.py", "bot/demo.py", "bot/bench"}
    for excluded in EXCLUDED:
        assert not (production_site / excluded).exists(), excluded
    for path in (production_site / "bot").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".html", ".yml", ".css"):
            text = path.read_text()
            assert (
                BOT_TOKEN not in text
                and APP_TOKEN not in text
                and "sandbox-secret" not in text.replace('Secret("sandbox-secret")', "")
            ), path


# The image's `python -m bot`, with the source tree's editable install (a meta path finder) out of the way, so that
# only what the replayed image holds can be imported.
AS_IN_THE_IMAGE = (
    "import runpy, sys; "
    "sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, '__module__', '').startswith('__editable__')]; "
    "sys.argv[0] = 'idv-bot'; runpy.run_module('bot', run_name='__main__', alter_sys=True)"
)


def _run_installed(site: Path, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(site), **env}
    command = [sys.executable, "-c", AS_IN_THE_IMAGE, *args]
    return subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True)


def test_the_images_bot_says_what_it_left_out(production_site: Path, tmp_path: Path) -> None:
    where = _run_installed(production_site, ["--version"], {}, tmp_path)
    assert where.returncode == 0, where.stderr
    probe = subprocess.run(
        [sys.executable, "-c", AS_IN_THE_IMAGE.split("sys.argv")[0] + "import bot.sandbox"],
        env={"PYTHONPATH": str(production_site)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "No module named 'bot.sandbox'" in probe.stderr  # the replayed image's bot, not the source tree's
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-image-test",
        "SLACK_SIGNING_SECRET": "s" * 32,
        "JUMIO_SANDBOX": "true",
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",  # closed: never reached, and never Slack's own
        "PORT": str(free_port()),
        "IDV_DATABASE": str(tmp_path / "idv.sqlite3"),
    }
    sandbox = _run_installed(production_site, ["run"], env, tmp_path)
    assert sandbox.returncode == 2 and "Traceback" not in sandbox.stderr, sandbox.stderr
    last = sandbox.stderr.strip().splitlines()[-1]
    assert "JUMIO_SANDBOX=true" in last and "production image leaves the stand-ins" in last
    assert not (tmp_path / "idv.sqlite3").exists()
    for command in ("demo", "bench", "sandbox-jumio"):
        done = _run_installed(production_site, [command], {}, tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert f"idv-bot {command}: {command} is not in this installation" in done.stderr
    manifest = _run_installed(production_site, ["manifest"], {}, tmp_path)
    assert manifest.returncode == 0 and "verify_identity" in manifest.stdout, manifest.stderr
