"""`idv-bot healthcheck`: exit 0 when this machine's bot answers /healthz with 200 (the container's HEALTHCHECK)."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main(port: str | None = None) -> int:
    url = f"http://127.0.0.1:{port or os.environ.get('PORT') or '3000'}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:
            return 0 if answer.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
