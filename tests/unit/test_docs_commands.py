"""The docs cannot drift: every command of ours that README.md and docs/ show parses with the
tool that runs it, and the read-only, quick ones among them are run (tests/support/commands.py)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.support.commands import REPO, check, doc_commands

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COMMANDS = doc_commands(DOCS)
# commands the docs show that only read: these are run, and must exit with one of these codes
SAFE = {
    "invoke --list": (0,),
    "python -m invoke --list": (0,),
    "nox -l": (0,),
    "invoke check-port --port 8000 --json": (0, 1),  # 1: something holds 8000 on this machine
    "python scripts/test_backend_port_binding.py --port 8000": (0, 1),
    "invoke fix-port --port 8000 --dry-run": (0, 1),  # signals nothing
}


@cache
def _sessions() -> set[str]:
    from tools.nox_calls import nox_sessions

    return nox_sessions(REPO / "noxfile.py")


def test_the_docs_commands_are_found() -> None:
    texts = {c.text for c in COMMANDS}
    assert len(COMMANDS) > 100
    assert {"invoke dev", "nox -s tests", "invoke migrate --revision 4a1e0c3b7d21"} <= texts
    assert (
        "invoke spool --dir /var/spool/netra --drain --url http://default:PASSWORD@clickhouse:8123/netra"
        in texts
    )


def test_every_command_in_the_docs_parses_with_its_tool() -> None:
    problems = [
        f"{c.where}: `{c.text}`: {problem}"
        for c in COMMANDS
        if (problem := check(c.text, _sessions)) not in (None, "generic")
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "command",
    [
        "invoke dev --bogus",
        "invoke check-port --port abc",
        "invoke nosuchtask",
        "python scripts/test_backend_port_binding.py --nope",
        "python scripts/no_such_script.py",
        "python -m netra_devtools.ports check --port 70000",
        "python -m netra_devtools.launcher --mode nowhere",
        "python -m netra_backend --log-level loud",
        "python -m tools.lint_workflows --nope",
        "nox -s nosuch",
        "nox --nope",
        "pytest tests/unit/test_nosuch.py -q",
        "python -m benchmarks bench_nosuch",
    ],
)
def test_the_check_rejects_what_the_tools_reject(command: str) -> None:
    assert check(command, _sessions) not in (None, "generic")


@pytest.mark.parametrize("command", sorted(SAFE))
def test_safe_commands_in_the_docs_run(command: str, tmp_path: Path) -> None:
    assert command in {c.text for c in COMMANDS}, f"the docs no longer show `{command}`"
    argv = shlex.split(command)
    prefix = {"python": [sys.executable], "invoke": [sys.executable, "-m", "invoke"],
              "nox": [sys.executable, "-m", "nox"]}[argv[0]]  # fmt: skip
    done = subprocess.run(
        [*prefix, *argv[1:]], cwd=REPO, capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "NETRA_STATE_DIR": str(tmp_path / "state")},
    )  # fmt: skip
    assert done.returncode in SAFE[command], done.stderr[-2000:]
    if "--json" in argv:
        json.loads(done.stdout)
