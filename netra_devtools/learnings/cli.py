"""The learnings' command line: `introspect` (invoke introspect) and `check` (nox -s learnings)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from netra_devtools.cli import add_command, add_commands, make_parser, regular_file, run_cli

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netra_devtools.cli import ArgumentParser

INTROSPECT_DOC = """Read the dev stack's container logs and name the known problems in them, with the fix.

Sources: the containers of a compose project through the Docker SDK (by compose labels), the
compose CLI as fallback, a regular log file (`--file PATH`; FIFOs, devices, sockets and
directories are refused), stdin (`--file -`), or the local stack's logs
(`--file .netra/logs/backend.log`). Lines are matched against the error signatures in
SPEC/learnings; works on Linux, macOS and Windows (the script's name is historical).

Engines (`--engine`, or NETRA_INTROSPECT_ENGINE): `hyperscan` scans every signature's required
literals in one pass and RE2 confirms each candidate line; `re2` runs one RE2 alternation;
`auto` (the default) takes hyperscan when it imports, else RE2. Both report the same findings.

Sample run:

    $ python scripts/docker_log_introspection_windows.py --project netra --since 30m
    2 finding(s) in 4812 line(s)
    signature              count  first       last
    postgres-unreachable       2  backend:3   backend:9
    postgres-unreachable: PostgreSQL unreachable ...
      fix (invoke doctor): ...

    $ docker compose logs --no-color | python scripts/docker_log_introspection_windows.py --file - --json
    {"findings": [{"signature": "port-in-use", "learning": "windows_development", "line": 7,
      "source": "stdin", "text": "...", "cause": "...", "fix": "...", "fix_task": "invoke fix-port"}],
     "summary": {"lines": 120, "findings": 1, "by_signature": {"port-in-use": 1}}}

With --follow --json, one finding object per line (JSON Lines), as it arrives.
Exit codes: 0 nothing found, 1 problems found (or the source failed), 2 bad usage, 130 Ctrl-C.
"""

CHECK_DOC = """Validate SPEC/learnings and check that docs/learnings.md is current.

Checks: defusedxml parsing, learning.xsd, unique ids, required signatures, examples and
near-misses, grep exportability, related files and verification tests exist, rendered docs.

    $ python -m netra_devtools.learnings check --write-docs   # regenerate docs/learnings.md
"""

COMMANDS = ("introspect", "check")


def build_parser() -> ArgumentParser:
    """`introspect` and `check` with their options (the invoke task is made from these)."""
    parser = make_parser(__doc__, prog="python -m netra_devtools.learnings")
    commands = add_commands(parser)
    introspect = add_command(
        commands, "introspect", summary="map log errors to learnings", doc=INTROSPECT_DOC
    )
    source = introspect.add_argument_group("source (default: the compose project's containers)")
    source.add_argument(
        "--project", help="compose project (default: COMPOSE_PROJECT_NAME or the directory name)"
    )
    source.add_argument(
        "--service", action="append", default=[], help="only this service (repeatable)"
    )
    source.add_argument("--since", help="only logs since: 10m, 2h, unix time, or RFC 3339")
    source.add_argument("--follow", action="store_true", help="keep reading new log lines")
    source.add_argument(
        "--compose-file",
        action="append",
        default=[],
        type=regular_file,
        help="compose file for the CLI fallback (repeatable; default: compose's own lookup)",
    )
    source.add_argument("--file", help="read a log file instead (`-` for stdin)")
    source.add_argument(
        "--via",
        choices=("auto", "sdk", "cli"),
        default="auto",
        help="Docker SDK, compose CLI, or SDK with CLI fallback",
    )
    introspect.add_argument(
        "--json", action="store_true", help="JSON on stdout (JSON Lines with --follow)"
    )
    introspect.add_argument("--max-findings", type=int, help="stop after this many findings")
    introspect.add_argument("--timeout", type=float, help="stop following after this many seconds")
    introspect.add_argument(
        "--learnings", type=Path, help="catalog directory (default SPEC/learnings)"
    )
    introspect.add_argument(
        "--engine",
        choices=("auto", "hyperscan", "re2"),
        help="scanning engine (default: NETRA_INTROSPECT_ENGINE, else auto: hyperscan if it "
        "imports, else RE2)",
    )
    check = add_command(commands, "check", summary="validate the catalog", doc=CHECK_DOC)
    check.add_argument("--write-docs", action="store_true", help="regenerate docs/learnings.md")
    check.add_argument(
        "--skip-references", action="store_true", help="do not require related files/tests to exist"
    )
    check.add_argument(
        "--corpus",
        type=Path,
        help="corpus directory with heldout.tsv and clean/ (default tests/data/corpus)",
    )
    check.add_argument(
        "--skip-corpus", action="store_true", help="do not measure recall on the corpus"
    )
    return parser


def _work(argv: Sequence[str] | None) -> int:
    args = list(argv or [])
    if not any(a in COMMANDS for a in args) and not {"-h", "--help"} & set(args):
        args.insert(0, "check")  # `python -m netra_devtools.learnings` alone checks the catalog
    ns = build_parser().parse_args(args)
    if ns.command == "introspect":
        from netra_devtools.learnings.introspect_command import run_introspection

        return run_introspection(ns)
    from netra_devtools.learnings.catalog_check import check_catalog
    from netra_devtools.learnings.corpus import CORPUS_DIR

    corpus = None if ns.skip_corpus else (ns.corpus or CORPUS_DIR)
    return check_catalog(
        write_docs=ns.write_docs, skip_references=ns.skip_references, corpus=corpus
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run `introspect` or `check`; the exit code follows the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
