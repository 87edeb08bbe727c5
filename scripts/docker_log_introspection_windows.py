#!/usr/bin/env python3
"""Read the dev stack's container logs and name the known problems in them, with the fix.

Sources: the containers of a compose project through the Docker SDK (by compose labels), the
compose CLI as fallback, a log file, or stdin. Lines are matched against the error signatures
in SPEC/learnings; works on Linux, macOS and Windows (the name is historical).

Sample run:

    $ python scripts/docker_log_introspection_windows.py --project netra --since 30m
          2 finding(s) in 4812 line(s)
    ┏━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┓
    ┃ signature            ┃ count ┃ first     ┃ last      ┃ fix                  ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━┩
    │ postgres-unreachable │ 2     │ backend:3 │ backend:9 │ invoke doctor        │
    └──────────────────────┴───────┴───────────┴───────────┴──────────────────────┘

    $ docker compose logs --no-color | python scripts/docker_log_introspection_windows.py --file - --json
    {"findings": [{"signature": "port-in-use", "learning": "windows_development", "line": 7,
      "source": "stdin", "text": "..."}], "summary": {"lines": 120, "findings": 1,
      "by_signature": {"port-in-use": 1}}}

Exit codes: 0 nothing found, 1 problems found (or the source failed), 2 bad usage, 130 Ctrl-C.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netra_devtools.cli import make_parser, run_cli


def _work(argv: Sequence[str] | None) -> int:
    from netra_devtools.learnings.cli import add_arguments, run_introspection

    parser = make_parser(__doc__, prog="docker_log_introspection_windows.py")
    add_arguments(parser)
    return run_introspection(parser.parse_args(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Run introspection; see the module docstring."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
