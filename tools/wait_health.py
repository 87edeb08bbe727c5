#!/usr/bin/env python3
"""Wait until every given /health URL answers 200 with `"status": "pass"` (CI compose smoke).

    $ python tools/wait_health.py --timeout 120 http://127.0.0.1:49153/health
    http://127.0.0.1:49153/health: pass after 7.1 s

Exit 0 when all pass, 1 when one has not passed by the deadline (its last answer is printed),
2 on bad usage. Standard library only, so it runs before the project is installed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence


def probe(url: str, timeout: float) -> tuple[bool, str]:
    """One GET: (passed, what was seen)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read(65536).decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except urllib.error.URLError as exc:
        return False, f"unreachable: {exc.reason}"
    except (OSError, ValueError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    try:
        verdict = json.loads(body).get("status")
    except (json.JSONDecodeError, AttributeError):
        return False, f"HTTP {status}, not a JSON object"
    return status == 200 and verdict == "pass", f"HTTP {status}, status {verdict!r}"


def wait_until_pass(url: str, *, timeout: float, interval: float = 1.0) -> tuple[bool, str, float]:
    """Probe until pass or deadline: (passed, last answer, seconds waited)."""
    start = time.monotonic()
    while True:
        passed, seen = probe(url, timeout=min(5.0, timeout))
        waited = time.monotonic() - start
        if passed or waited + interval > timeout:
            return passed, seen, waited
        time.sleep(interval)


def main(argv: Sequence[str] | None = None) -> int:
    """Wait for every URL; exit 0 all pass, 1 one did not, 2 bad usage."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+", help="full URLs, e.g. http://127.0.0.1:8000/health")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per URL")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    if not all(u.startswith(("http://", "https://")) for u in args.urls):
        print("error: URLs must start with http:// or https://", file=sys.stderr)
        return 2
    failed = False
    for url in args.urls:
        passed, seen, waited = wait_until_pass(url, timeout=args.timeout)
        print(f"{url}: {'pass' if passed else 'NOT pass'} after {waited:.1f} s ({seen})")
        failed = failed or not passed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
