"""The docs stay honest where they state facts the code knows: every setting bot/config.py reads is in the settings
table (docs/operating.md) and in .env.example; every path in the layout table (docs/architecture.md) exists and
every module is listed; the demo transcript in docs/agents.md is what `idv-bot demo` prints today (links, times,
IDs and ports as placeholders; lines compared as a multiset, since photos relay concurrently)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_PLACEHOLDERS = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"http://127\.0\.0\.1:\d+"), "http://127.0.0.1:<port>"),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"), "<time>"),
    (re.compile(r"\d{2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2} UTC"), "<time>"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}\b"), "<clock>"),
    (re.compile(r"updated \d+ times"), "updated <n> times"),
    (re.compile(r"finished in [\d.]+ s"), "finished in <n> s"),
    (re.compile(r"/p\d{16}"), "/p<ts>"),
]


def placeholders(text: str) -> str:
    for pattern, placeholder in _PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def documented_transcript() -> str:
    text = (DOCS / "agents.md").read_text()
    found = re.search(r"<!-- demo transcript -->\n~~~\n(.*?)\n~~~", text, re.S)
    assert found, "docs/agents.md has no demo transcript block"
    return found.group(1)


def settings_in_config() -> set[str]:
    source = (ROOT / "bot" / "config.py").read_text() + (ROOT / "bot" / "config_readers.py").read_text()
    return set(re.findall(r"\"((?:SLACK|JUMIO|IDV)_[A-Z_]+|PORT|HOST)\"", source))


def test_every_setting_is_in_the_settings_table_and_env_example() -> None:
    names = settings_in_config()
    assert {"SLACK_BOT_TOKEN", "JUMIO_SANDBOX_PORT", "IDV_ENCRYPTION_KEY", "PORT", "HOST"} <= names
    table = (DOCS / "operating.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    example = (ROOT / ".env.example").read_text()
    assert sorted(n for n in names if f"`{n}`" not in table) == []
    assert sorted(n for n in names if not re.search(rf"(?m)^{n}=", example)) == []


def test_the_layout_table_names_real_paths_and_every_module() -> None:
    text = (DOCS / "architecture.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    paths = {p for row in rows for p in re.findall(r"`([\w./-]+)`", row.split("|")[1])}
    assert sorted(p for p in paths if not (ROOT / p.rstrip("/")).exists()) == []
    unlisted = []
    for module in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("storage/*.py"), ROOT / "app.py"]):
        relative = module.relative_to(ROOT).as_posix()
        if module.name == "__init__.py" or f"`{relative}`" in text:
            continue
        # Or named in the row of its package (or of a package above it), by its name or its path from there.
        packages = [
            parent.relative_to(ROOT).as_posix() + "/"
            for parent in module.parents
            if parent != ROOT and ROOT in parent.parents
        ]
        row = next((r for package in packages for r in rows if f"`{package}`" in r.split("|")[1]), "")
        package = next((p for p in packages if f"`{p}`" in row.split("|")[1]), "") if row else ""
        below = relative.removeprefix(package).removesuffix(".py")
        if f"`{module.stem}`" not in row and f"`{below}`" not in row:
            unlisted.append(relative)
    assert unlisted == []


def test_the_demo_transcript_is_what_demo_prints_today() -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed, documented = placeholders(done.stdout), placeholders(documented_transcript())
    missing = Counter(printed.splitlines()) - Counter(documented.splitlines())
    stale = Counter(documented.splitlines()) - Counter(printed.splitlines())
    assert (dict(missing), dict(stale)) == ({}, {}), "regenerate with: python -m tests.ops.test_docs"


if __name__ == "__main__":  # rewrite the transcript in docs/agents.md from what demo prints now
    out = subprocess.run([sys.executable, "-m", "bot", "demo"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    agents = DOCS / "agents.md"
    text = agents.read_text()
    block = f"<!-- demo transcript -->\n~~~\n{placeholders(out)}\n~~~"
    if "<!-- demo transcript -->" in text:
        text = re.sub(r"<!-- demo transcript -->\n~~~\n.*?\n~~~", lambda _m: block, text, flags=re.S)
    else:
        text = (
            text.rstrip() + "\n\n## The demo, as it prints today\n\n`idv-bot demo` plays one verification against "
            "the bundled stand-ins (links, times, IDs and ports shown as placeholders):\n\n" + block + "\n"
        )
    agents.write_text(text)
