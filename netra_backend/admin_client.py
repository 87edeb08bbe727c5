"""Call the spool admin endpoints of the backend that holds a spool directory: its address from
the spool's owner note, the admin token from beside it (`app/admin_token.py`).

`invoke spool` calls `call()` on this machine. In compose mode the backend's spool is a volume of
its container and requests from the host arrive from the bridge gateway, not loopback, so
`invoke spool` runs this module inside the container instead (`docker exec`), where the request
is a loopback one and the token file is readable (`status` only reads the spool's files):

    $ docker exec netra-backend-1 python -m netra_backend.admin_client drain --timeout 30
    {"drained": true, "sent": 120, "pending_rows": 0, ..., "directory": "/app/.netra/spool/4f2a..."}

The directory defaults to this replica's spool (CLICKHOUSE_SPOOL_DIR/<NETRA_REPLICA_ID or
hostname>). Exit codes: 0 done, 1 the backend refused or did not answer, 2 bad usage.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netra_backend.errors import NetraBackendError

ACTIONS = ("status", "drain", "discard")  # status reads the files; the others go through HTTP
MAX_ANSWER_BYTES = 1_000_000


class AdminCallError(NetraBackendError):
    """The backend holding a spool refused, did not answer, or left no address or token."""


def _request(url: str, action: str, token: str, timeout: float) -> dict[str, Any]:
    from netra_backend.app.admin_token import TOKEN_HEADER

    query = f"?timeout={timeout:g}" if action == "drain" else ""
    request = urllib.request.Request(
        f"{url}/api/admin/spool/{action}{query}",
        data=b"",
        method="POST",
        headers={TOKEN_HEADER: token, "Accept": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(request, timeout=timeout + 10) as answer:
            body: dict[str, Any] = json.loads(answer.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as exc:
        detail = exc.read(400).decode("utf-8", "replace")
        raise AdminCallError(f"backend at {url}: HTTP {exc.code}: {detail[:200]}") from None
    except (OSError, ValueError) as exc:  # URLError, refused, timed out, not JSON
        raise AdminCallError(f"backend at {url} did not answer ({type(exc).__name__})") from None
    return body


def call(directory: Path, action: str, timeout: float = 30.0) -> dict[str, Any]:
    """`drain` or `discard` the spool in `directory` through the backend holding it."""
    from netra_backend.app.admin_token import read_token
    from netra_backend.app.analytics.spool.status import read_one, read_owner

    owner = read_owner(directory)
    url, pid = owner.get("url"), owner.get("pid", "?")
    if not url:
        raise AdminCallError(
            f"{directory} is held by another process (pid {pid}) that left no address; stop it "
            "or wait: a backend drains its spool by itself"
        )
    token = read_token(directory)
    if token is None:
        raise AdminCallError(
            f"{directory} is held by pid {pid}, which left no admin token beside its owner note "
            "(an older backend, or its spool directory is not writable)"
        )
    before = int(read_one(directory)["pending_rows"]) if action == "drain" else 0
    body = _request(str(url), action, token, timeout)
    if action == "drain":  # what left the spool meanwhile (new rows may have arrived too)
        body["sent"] = max(before - int(body.get("pending_rows", 0)), 0)
    return {**body, "directory": str(directory)}


def _work(argv: Sequence[str] | None) -> int:
    from netra_backend.app.config import load_settings
    from netra_backend.cli import make_parser
    from netra_backend.errors import BadInputError

    parser = make_parser(__doc__, prog="python -m netra_backend.admin_client")
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("--dir", type=Path, help="spool directory (default: this replica's)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a drain may take")
    args = parser.parse_args(argv)
    if not 0 < args.timeout <= 60:
        raise BadInputError("--timeout must be between 0 and 60 seconds")
    directory = args.dir or load_settings().replica_spool_dir
    if args.action == "status":
        from netra_backend.app.analytics.spool.status import read_one

        result = read_one(directory) if directory.is_dir() else {}
    else:
        result = call(directory, args.action, args.timeout)
    print(json.dumps(result, default=str))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one admin call; the exit code follows the CLI contract."""
    from netra_backend.cli import run_cli

    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
