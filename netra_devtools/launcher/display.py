"""What the launcher shows people: a live service table while waiting, step lines, URLs."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Any

_STYLE = {
    "healthy": "green",
    "running": "green",
    "ok": "green",
    "starting": "yellow",
    "created": "yellow",
    "missing": "dim",
    "restarting": "yellow",
    "unhealthy": "red",
    "exited": "red",
    "dead": "red",
    "failed": "red",
    "disabled": "yellow",
    "unavailable": "yellow",
}


def console(stderr: bool = False) -> Any:
    """A rich Console (imported here so --help and --json never load rich)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)  # logs: one line per line


def step(out: Any, name: str, status: str, detail: str) -> None:
    """One line per launcher step: `name  status  detail`."""
    style = _STYLE.get(status, "white")
    out.print(f"[bold]{name:<11}[/bold] [{style}]{status:<11}[/{style}] {detail}", soft_wrap=True)


class LiveServices:
    """A live table of service states, redrawn on each update (plain lines when not a terminal)."""

    def __init__(self, out: Any, title: str) -> None:
        self._out = out
        self._title = title
        self._live: Any = None
        self._last: dict[str, str] = {}

    def __enter__(self) -> LiveServices:
        if self._out.is_terminal:
            from rich.live import Live

            self._live = Live(self._render({}), console=self._out, refresh_per_second=8)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def update(self, states: Mapping[str, Any], elapsed: float = 0.0) -> None:
        """Show the new states (each value has .label() and .ready)."""
        labels = {name: state.label() for name, state in states.items()}
        if self._live is not None:
            self._live.update(self._render(labels, elapsed))
            return
        for name, label in labels.items():
            if self._last.get(name) != label:
                print(f"{name}: {label}", file=sys.stdout, flush=True)
        self._last = labels

    def _render(self, labels: Mapping[str, str], elapsed: float = 0.0) -> Any:
        from rich.table import Table

        table = Table(title=f"{self._title} ({elapsed:.0f}s)", title_justify="left")
        table.add_column("service")
        table.add_column("state")
        for name, label in labels.items():
            style = _STYLE.get(label.split(" ")[0], "white")
            table.add_row(name, f"[{style}]{label}[/{style}]")
        return table


def urls(out: Any, entries: Mapping[str, str]) -> None:
    """Print the URLs people use once the stack is ready (passwords masked, always)."""
    from rich.table import Table

    from netra_backend.redact import mask_url

    table = Table(show_header=False, box=None, pad_edge=False)
    for name, url in entries.items():
        table.add_row(f"[bold]{name}[/bold]", mask_url(url))
    out.print(table)
