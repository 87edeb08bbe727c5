"""Which nox sessions a workflow's `run:` steps call, with ${{ matrix.X }} expanded."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netra_devtools.errors import NetraDevtoolsError

_EXPR = re.compile(r"\$\{\{(.*?)\}\}")
_NOX = re.compile(r"(?:^|(?<=[\s;&|(]))(?:python[\d.]*\s+-m\s+)?nox(?=\s|$)")
_SEPARATORS = {"&&", "||", ";", "|", "&"}
_SESSION_FLAGS = {"-s", "--session", "--sessions", "-e"}


class NoxListError(NetraDevtoolsError):
    """`nox -l --json` failed: the noxfile does not import or nox is missing."""


def nox_sessions(noxfile: Path, *, timeout: float = 180) -> set[str]:
    """Every name `nox -s` accepts: `tests` and its parametrised `tests-3.12`."""
    # `-l --json` lists only the selected sessions (nox.options.sessions is a cheap default);
    # an empty keyword expression selects every one
    args = [sys.executable, "-m", "nox", "--noxfile", str(noxfile), "-l", "--json", "-k", ""]
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise NoxListError(f"nox -l took longer than {timeout} s") from None
    if out.returncode != 0:
        raise NoxListError(f"nox -l --json failed: {out.stderr.strip()[-300:]}")
    listed = json.loads(out.stdout)
    return {entry["session"] for entry in listed} | {entry["name"] for entry in listed}


def logical_lines(script: str) -> Iterator[tuple[int, str]]:
    """Lines of a run: script, joining bash `\\` and PowerShell backtick continuations."""
    start, buffer = 0, ""
    for index, line in enumerate(script.splitlines()):
        if not buffer:
            start = index
        if line.rstrip().endswith(("\\", "`")):
            buffer += line.rstrip()[:-1] + " "
            continue
        yield start, buffer + line
        buffer = ""
    if buffer:
        yield start, buffer


def nox_session_args(line: str) -> list[str]:
    """Session names after -s/--session/-e in each nox call on one shell line."""
    expressions: list[str] = []

    def hide(match: re.Match[str]) -> str:
        # ${{ matrix.python }} holds spaces: keep it one token through shlex
        expressions.append(match.group(0))
        return f"\x00{len(expressions) - 1}\x00"

    names: list[str] = []
    for call in _NOX.finditer(line):
        rest = _EXPR.sub(hide, line[call.end() :])
        try:
            tokens = shlex.split(rest, comments=True)
        except ValueError:
            tokens = rest.split()
        collecting = False
        for token in tokens:
            if token in _SEPARATORS or token == "--":
                break
            flag, _, value = token.partition("=")
            if flag in _SESSION_FLAGS:
                collecting = True
                names.extend(v for v in value.split(",") if v)
            elif token.startswith("-"):
                collecting = False
            elif collecting:
                names.extend(v for v in token.split(",") if v)
    restore = re.compile("\x00(\\d+)\x00")
    return [restore.sub(lambda m: expressions[int(m.group(1))], name) for name in names]


def _matrix_values(job: dict[str, Any], key: str) -> list[str] | None:
    """Values a `matrix.KEY` takes in this job, or None when they are not literal."""
    matrix = (job.get("strategy") or {}).get("matrix")
    if not isinstance(matrix, dict):
        return None
    values = matrix.get(key, [])
    if not isinstance(values, list):
        return None
    extra = [i[key] for i in matrix.get("include") or [] if isinstance(i, dict) and key in i]
    found = [str(v) for v in [*values, *extra]]
    return found or None


def expand_session_name(name: str, job: dict[str, Any]) -> list[str] | None:
    """Every concrete session a name with ${{ matrix.X }} stands for; None if not resolvable."""
    names = [name]
    for match in _EXPR.finditer(name):
        key = re.fullmatch(r"\s*matrix\.([A-Za-z0-9_-]+)\s*", match.group(1))
        values = _matrix_values(job, key.group(1)) if key else None
        if values is None:
            return None
        names = [n.replace(match.group(0), v, 1) for n in names for v in values]
    return names
