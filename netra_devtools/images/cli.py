"""Build the local stand-in images for CI (no registry here) and load them into the engine.

The stand-ins replace the official images of docker-compose.dev.yml through NETRA_*_IMAGE:
a python:3.11-slim (Debian bookworm's Python, by debootstrap), PostgreSQL 15 with the official
image's interface, and ClickHouse's HTTP interface over chdb. Each is cached as a tar in
/var/cache/netra-ci-images, named by a hash of its inputs, so a fresh engine loads it in seconds;
a changed recipe is rebuilt. The backend's wheels go to ci/wheelhouse for an offline build.
Building needs root (debootstrap). They are local stand-ins for CI, never to be published.

    $ invoke images --env-file /tmp/images.env      # DOCKER_HOST names the engine
    python      netra-ci-standin/python:3.11-slim   loaded  4.1s
    postgres    netra-ci-standin/postgres:15        loaded  6.0s
    clickhouse  netra-ci-standin/clickhouse:chdb    built   95.2s
    wheelhouse  ci/wheelhouse                       27 wheels
    $ set -a; . /tmp/images.env; set +a; invoke dev --mode compose --profile full
    $ invoke images --status --json                 # what is cached and loaded; builds nothing
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netra_devtools.cli import ArgumentParser, ProblemFound, make_parser, run_cli

NAMES = ("python", "postgres", "clickhouse")
ENGINE_TIMEOUT_S = 1800  # one build streams for minutes


def build_parser() -> ArgumentParser:
    """The images options (the invoke task is made from these)."""
    parser = make_parser(__doc__, prog="invoke images")
    parser.add_argument(
        "--only", action="append", choices=NAMES, default=[], help="this stand-in (repeatable)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="tar cache (default NETRA_IMAGE_CACHE or /var/cache/...)"
    )
    parser.add_argument(
        "--cached-only", action="store_true", help="load cached tars; build nothing"
    )
    parser.add_argument("--no-wheelhouse", action="store_true", help="skip ci/wheelhouse")
    parser.add_argument(
        "--env-file", type=Path, help="write the NETRA_*_IMAGE lines that select the stand-ins"
    )
    parser.add_argument("--status", action="store_true", help="show the cache, build nothing")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def _engine(required: bool) -> Any:
    """The engine at DOCKER_HOST (else the default socket), or None when optional and absent."""
    import docker

    try:
        client = docker.from_env(timeout=ENGINE_TIMEOUT_S)
        client.ping()
    except Exception as exc:  # no socket, refused, bad DOCKER_HOST: all mean "no engine"
        if required:
            raise ProblemFound(f"no Docker engine answers (DOCKER_HOST?): {exc}") from None
        return None
    return client


def _write_env(path: Path, names: Sequence[str]) -> None:
    from netra_devtools.images.recipes import compose_env

    lines = [f"{name}={value}" for name, value in compose_env(names).items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _print_status(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        cached = "cached" if row["cached"] else "not cached"
        loaded = {True: "loaded", False: "not loaded", None: ""}[row["loaded"]]
        print(f"{row['name']:<11} {row['tag']:<36} {row['key']}  {cached:<10} {loaded}")


def _work(argv: Sequence[str] | None) -> int:
    from netra_devtools.images import build, cache, errors, wheelhouse

    args = build_parser().parse_args(argv)
    store = cache.ImageCache(args.cache_dir or cache.default_cache_dir())
    names = args.only or list(NAMES)
    if args.status:
        rows = build.status(_engine(required=False), store)
        print(json.dumps({"images": rows})) if args.json else _print_status(rows)
        return 0
    client = _engine(required=True)

    def started(standin: Any, doing: str) -> None:
        if not args.json:
            print(f"{doing} {standin.tag} ...", file=sys.stderr, flush=True)

    try:
        outcomes = build.ensure(client, store, names, build=not args.cached_only, on_start=started)
        wheels = None if args.no_wheelhouse else wheelhouse.fill()
    except errors.ImageError as exc:
        raise ProblemFound(str(exc)) from None
    if args.env_file:
        _write_env(args.env_file, [o.name for o in outcomes])
    if args.json:
        report = {"images": [vars(o) for o in outcomes], "wheelhouse": wheels}
        print(json.dumps(report))
        return 0
    for o in outcomes:
        print(f"{o.name:<11} {o.tag:<36} {o.action:<8} {o.seconds:.1f}s")
    if wheels is not None:
        print(f"{'wheelhouse':<11} {'ci/wheelhouse':<36} {wheels} wheels")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Build/load the stand-ins; the exit code follows the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
