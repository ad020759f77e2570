"""Command line: `python -m bot run | demo | sandbox-jumio --port N` (also the console script `idv-bot`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else ("run", [])
    if command == "sandbox-jumio":
        from bot.sandbox.jumio import main as sandbox_main

        return sandbox_main(rest)
    print("usage: python -m bot sandbox-jumio --port N", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
