#!/usr/bin/env python3
"""Check that the backend's port binds; if not, say who holds it and the exact fix.

Sample run:
  $ python scripts/test_backend_port_binding.py --port 8000
  port 8000 is in use by python (pid 4242)
  ...holders, bind tests on 127.0.0.1 / 0.0.0.0 / ::1 / ::, notes...
  fix: stop python (pid 4242)
       kill 4242

Exit codes: 0 the port binds, 1 it does not (the holder's pid is in the output), 2 bad input.
Also `invoke check-port --port 8000 [--host 127.0.0.1] [--json]`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from netra_devtools.cli import (
    EXIT_OK,
    EXIT_PROBLEM,
    ip_address,
    make_parser,
    port_number,
    run_cli,
)


def _work(argv: Sequence[str] | None) -> int:
    parser = make_parser(__doc__, prog="test_backend_port_binding.py")
    parser.add_argument("--port", type=port_number, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--host", type=ip_address, help="only this address (default: all four)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)

    from netra_devtools.ports._diagnose import diagnose

    diag = diagnose(args.port, args.host)
    if args.json:
        import json

        print(json.dumps(diag.to_json()))
    else:
        from netra_devtools.ports._render import render_diagnosis

        render_diagnosis(diag)
    return EXIT_OK if diag.bindable else EXIT_PROBLEM


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check; exit code per the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
