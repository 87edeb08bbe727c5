"""One CLI pattern: each tool's options are declared once (its cli), and scripts and tasks use them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from invoke.parser import ParseError, Parser, ParserContext

from netra_devtools.tasks import TASKS, collection
from netra_devtools.tasks.from_parser import command_parser, options_of
from tests.support.commands import script_entry

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((REPO / "scripts").glob("*.py"))


def _task_options(name: str) -> set[str]:
    task = collection()[name]
    return {arg.names[0] for arg in task.get_arguments()}


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_every_script_option_exists_on_its_task(script: Path) -> None:
    module_name, command = script_entry(script)
    cli = importlib.import_module(module_name)
    commands = [command] if command else [c for (m, c) in TASKS.values() if m is cli]
    for each in commands:
        tasks = [name for name, (m, c) in TASKS.items() if m is cli and c == each]
        assert tasks, f"{script.name}: no invoke task runs {module_name} {each}"
        wanted = {
            opt.name.replace("_", "-")
            for opt in options_of(command_parser(cli.build_parser(), each))
        }
        for task in tasks:
            missing = wanted - _task_options(task)
            assert not missing, f"invoke {task} lacks {sorted(missing)} of {script.name}"


def test_every_task_passes_exactly_its_tools_options() -> None:
    for name, (cli, command) in TASKS.items():
        wanted = {
            o.name.replace("_", "-")
            for o in options_of(command_parser(cli.build_parser(), command))
        }
        assert _task_options(name) == wanted, name


def _parse_invoke(argv: list[str]) -> dict[str, object]:
    """invoke's own parser over our collection (what `invoke ARGV` would accept)."""
    parser = Parser(initial=ParserContext(), contexts=collection().to_contexts())
    task_context = parser.parse_argv(argv)[1]
    assert task_context.name == argv[0]
    return {name: arg.value for name, arg in task_context.args.items()}


@pytest.mark.parametrize(
    "argv",
    [
        ["fix-port", "--timeout", "2"],
        ["check-clickhouse", "--spool-max-rows", "10"],
        ["dev", "--profile", "full", "--detach"],
        ["introspect", "--file", "-", "--service", "backend", "--service", "postgres"],
    ],
)
def test_documented_task_options_parse(argv: list[str]) -> None:
    values = _parse_invoke(argv)
    given = {a.removeprefix("--") for a in argv[1:] if a.startswith("--")}
    assert all(values[name] not in ("", False, None, []) for name in given), values


def test_an_option_a_tool_does_not_have_is_rejected_by_invoke() -> None:
    with pytest.raises(ParseError):
        _parse_invoke(["fix-port", "--no-such-option", "1"])


def test_task_hands_the_options_to_main_and_exits_with_its_code(tmp_path: Path) -> None:
    from invoke import Context, Exit

    task = collection()["check-port"]
    with pytest.raises(Exit) as raised:  # a bad port is bad input: exit 2 from the tool itself
        task(Context(), port="70000")
    assert raised.value.code == 2
