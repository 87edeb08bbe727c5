"""An invoke task made from a tool's argparse parser: options are declared once, in the tool's cli.

The task's parameters are the parser's options (a flag is a bool, a repeatable option a list,
anything else a string that the parser itself converts and checks), its help is the options'
help, and its body hands the options back to the tool's `main(argv)` and exits with its code.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from invoke import Context, Exit, Task


@dataclass(frozen=True)
class Option:
    """One parser option as an invoke parameter: its name, its kind and its command-line flag."""

    name: str
    flag: str
    kind: type
    help: str

    @property
    def default(self) -> Any:
        """What invoke passes when the option is not given (nothing is handed to the tool)."""
        return {bool: False, list: None, str: ""}[self.kind]

    def argv(self, value: Any) -> list[str]:
        """The tool's arguments for this option's value."""
        if self.kind is bool:
            return [self.flag] if value else []
        if self.kind is list:
            return [part for item in value or [] for part in (self.flag, str(item))]
        return [self.flag, str(value)] if value not in (None, "") else []


def options_of(parser: argparse.ArgumentParser) -> list[Option]:
    """The visible long options of `parser` (--help and hidden options left out)."""
    options = []
    for action in parser._actions:
        flags = [s for s in action.option_strings if s.startswith("--")]
        if (
            not flags
            or isinstance(action, argparse._HelpAction)
            or action.help == argparse.SUPPRESS
        ):
            continue
        if action.nargs == 0:
            kind: type = bool
        elif isinstance(action, argparse._AppendAction):
            kind = list
        else:
            kind = str
        text = (action.help or "") % {"default": action.default}
        if action.choices and not text:
            text = "one of: " + ", ".join(map(str, action.choices))
        options.append(Option(action.dest, flags[0], kind, text))
    return options


def command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The subcommand's own parser, or `parser` itself for a tool without subcommands."""
    if command is None:
        return parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub: argparse.ArgumentParser = action.choices[command]
            return sub
    raise KeyError(f"{parser.prog} has no command {command!r}")


def cli_task(
    name: str,
    main: Callable[[Sequence[str] | None], int],
    parser: argparse.ArgumentParser,
    command: str | None = None,
) -> Task[Any]:
    """An invoke task `name` that runs `main([command, *options])` and exits with its code."""
    own = command_parser(parser, command)
    options = options_of(own)
    prefix = [command] if command else []

    def body(c: Context, **values: Any) -> None:
        argv = prefix + [arg for opt in options for arg in opt.argv(values.get(opt.name))]
        code = main(argv)
        if code:
            raise Exit(code=code)

    params = [inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [
        inspect.Parameter(opt.name, inspect.Parameter.KEYWORD_ONLY, default=opt.default)
        for opt in options
    ]
    body.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    body.__name__ = name.replace("-", "_")
    body.__doc__ = own.description or own.format_usage()
    return Task(
        body,
        name=name,
        help={opt.name: opt.help for opt in options},
        iterable=[opt.name for opt in options if opt.kind is list],
    )
