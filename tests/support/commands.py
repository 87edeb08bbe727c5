"""Commands the docs show, found in README.md and docs/*.md and parsed as our tools parse them.

A command is ours when it starts with `invoke`, `nox`, `pytest`, `python scripts/...` or
`python -m` one of our packages (or invoke, nox, pytest). It is found in shell code blocks
(in a block with `$ ` prompts, only the prompted lines) and in inline code spans, split at
`&&`, `||`, `;`, `|` and PowerShell braces (`# or: COMMAND` in a comment counts too). `check()` parses it with the tool's build_parser(),
invoke's parser over our collection, nox's parser plus `nox -l` session names, or, for pytest,
checks that the paths it names exist. A command written with a placeholder for a word of the
command itself (`nox -s NAME`, `invoke --help TASK`) is a generic form: `check()` says so.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import glob
import importlib
import io
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHELL_FENCES = {"bash", "sh", "shell", "console", "powershell", "pwsh", "bat", "cmd", "text", ""}
_OURS = re.compile(
    r"^(invoke|nox|pytest|python scripts/|python -m (netra_devtools|netra_backend|benchmarks"
    r"|tools\.|invoke|nox|pytest)\b)"
)
_ENV = re.compile(r"^(\w+=\S*\s+)+")
_SEPARATORS = re.compile(r"&&|\|\||;|\||[{}]")
_COMMENT = re.compile(r"(^|\s)#.*$")
_ALTERNATIVE = re.compile(r"(?:^|\s)#\s*or:\s*(.+)$")
_FENCE = re.compile(r"^\s*```\s*(\w*)")
_SPAN = re.compile(r"`([^`\n]+)`")
# placeholders the docs use for an option's value, and what a parser is given instead
VALUES = {"P": "8000", "PORT": "8000", "BUSY_PORT": "8000", "FREE_PORT": "8001", "FILE": "app.log",
          "FILE...": "app.log", "DIR": "logs"}  # fmt: skip
# a placeholder standing for a word of the command itself: the line is a generic form
GENERIC = re.compile(r"<[^>]+>|\.\.\.$|^([A-Z][A-Z_]+|\w+_NAME)$")
# tools that insert a subcommand when none is given (their _work does it, as here)
DEFAULT_COMMANDS = {"netra_devtools.launcher": "up", "netra_devtools.learnings": "check"}


@dataclass(frozen=True)
class DocCommand:
    """One command as the docs write it, and where."""

    where: str
    text: str


def _ours(line: str) -> Iterator[str]:
    alternative = _ALTERNATIVE.search(line)  # `cmd  # or: other-cmd` shows two commands
    if alternative:
        yield from _ours(alternative.group(1))
    for segment in _SEPARATORS.split(_COMMENT.sub("", line)):
        command = _ENV.sub("", segment.strip().removeprefix("$ ").strip())
        if _OURS.match(command):
            yield command


def _block_commands(block: list[str]) -> Iterator[tuple[int, str]]:
    prompted = any(line.lstrip().startswith("$ ") for _, line in block)
    for number, line in block:
        if prompted and not line.lstrip().startswith("$ "):
            continue  # output
        for command in _ours(line.strip()):
            yield number, command


def doc_commands(files: Iterable[Path]) -> list[DocCommand]:
    """Every command of ours written in `files` (code blocks and inline spans)."""
    found = []
    for path in files:
        name = path.relative_to(REPO).as_posix()
        fence: str | None = None
        block: list[tuple[int, str]] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            opened = _FENCE.match(line)
            if opened and fence is None:
                fence, block = opened.group(1).lower(), []
            elif opened:
                if fence in SHELL_FENCES:
                    found += [DocCommand(f"{name}:{n}", c) for n, c in _block_commands(block)]
                fence = None
            elif fence is not None:
                block.append((number, line))
            else:
                for span in _SPAN.findall(line):
                    found += [DocCommand(f"{name}:{number}", c) for c in _ours(span.strip())]
    return found


def script_entry(script: Path) -> tuple[str, str | None]:
    """(the cli module a scripts/ shim imports `main` from, the subcommand it prepends or None)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    modules = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".cli")
    ]
    assert len(modules) == 1, f"{script.name} must import main from exactly one <tool>.cli"
    command = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "main" and node.args:
            first = node.args[0]
            if isinstance(first, ast.List) and isinstance(first.elts[0], ast.Constant):
                command = str(first.elts[0].value)
    return modules[0], command


def _argparse(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """None when `parser` accepts `argv` (--help included), else its complaint."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            parser.parse_args(argv)
    except SystemExit as exc:
        return None if exc.code == 0 else f"rejected: {out.getvalue().strip().splitlines()[-1:]}"
    except Exception as exc:  # our parsers raise UsageError instead of exiting
        return f"rejected: {exc}"
    return None


def _tool(module: str, argv: list[str]) -> str | None:
    if module == "netra_backend":
        return _argparse(importlib.import_module("netra_backend.__main__").build_parser(), argv)
    try:
        cli = importlib.import_module(module if module.startswith("tools.") else f"{module}.cli")
    except ModuleNotFoundError:
        return f"no such tool: python -m {module}"
    parser = cli.build_parser()
    commands = getattr(cli, "COMMANDS", ())
    default = DEFAULT_COMMANDS.get(module)
    if default and not any(a in commands for a in argv) and not {"-h", "--help"} & set(argv):
        argv = [default, *argv]
    return _argparse(parser, argv)


def _script(argv: list[str]) -> str | None:
    path = REPO / argv[0]
    if not path.is_file():
        return f"no such script: {argv[0]}"
    module, command = script_entry(path)
    parser = importlib.import_module(module).build_parser()
    return _argparse(parser, ([command] if command else []) + argv[1:])


def _invoke(argv: list[str]) -> str | None:
    from invoke import Program
    from invoke.exceptions import ParseError
    from invoke.parser import Parser, ParserContext

    from netra_devtools.tasks import TASKS, collection
    from netra_devtools.tasks.from_parser import command_parser, options_of

    program = Program()
    initial = ParserContext(args=program.core_args() + program.task_args())
    try:
        parsed = Parser(initial=initial, contexts=collection().to_contexts()).parse_argv(argv)
    except ParseError as exc:
        return f"invoke rejects it: {exc}"
    for task in parsed[1:]:  # the values, checked by the tool's own parser
        cli, command = TASKS[task.name]
        options = options_of(command_parser(cli.build_parser(), command))
        values = {o.name: task.args[o.name.replace("_", "-")].value for o in options}
        tool_argv = ([command] if command else []) + [
            arg for o in options for arg in o.argv(values[o.name])
        ]
        problem = _argparse(cli.build_parser(), tool_argv)
        if problem:
            return f"invoke {task.name}: {problem}"
    return None


def _nox(argv: list[str], sessions: Callable[[], set[str]]) -> str | None:
    from nox._options import options

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            parsed = options.parser().parse_args(argv)
    except SystemExit:
        return f"nox rejects it: {out.getvalue().strip().splitlines()[-1:]}"
    unknown = sorted(set(getattr(parsed, "sessions", None) or []) - sessions())
    return f"no such nox session: {', '.join(unknown)}" if unknown else None


def _pytest(argv: list[str]) -> str | None:
    paths = [a.split("::")[0] for a in argv if not a.startswith("-") and ("/" in a or ".py" in a)]
    missing = [p for p in paths if not glob.glob(str(REPO / p))]
    return f"no such test path: {', '.join(missing)}" if missing else None


def _benchmarks(module: str, argv: list[str]) -> str | None:
    from benchmarks.__main__ import available

    names = [module.split(".", 1)[1]] if "." in module else argv
    unknown = sorted(set(names) - set(available()))
    return f"no such benchmark: {', '.join(unknown)}" if unknown else None


def check(command: str, sessions: Callable[[], set[str]]) -> str | None:
    """None when the command parses; "generic" for a generic form; else what is wrong."""
    argv = [VALUES.get(word, word) for word in shlex.split(command)]
    if any(GENERIC.search(word) for word in argv):
        return "generic"
    if argv[:2] == ["python", "-m"]:
        module, rest = argv[2], argv[3:]
        if module.split(".")[0] == "benchmarks":
            return _benchmarks(module, rest)
        if module not in ("invoke", "nox", "pytest"):
            return _tool(module, rest)
        argv = [module, *rest]
    elif argv[0] == "python":
        return _script(argv[1:])
    if argv[0] == "invoke":
        return _invoke(argv[1:])
    if argv[0] == "nox":
        return _nox(argv[1:], sessions)
    return _pytest(argv[1:])
