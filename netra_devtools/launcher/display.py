"""What the launcher shows people: a spinner or live table while waiting, step lines, URLs."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
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
    "warn": "yellow",
    "yours": "green",
}


def console(stderr: bool = False) -> Any:
    """A rich Console (imported here so --help and --json never load rich)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)  # logs: one line per line


@contextlib.contextmanager
def waiting(out: Any, what: str) -> Iterator[Any]:
    """A spinner with the elapsed seconds while `what` runs, on a terminal (nothing in a log file
    or a pipe, where the step line that follows says it all); yields the rich Status or None."""
    if not getattr(out, "is_terminal", False):
        yield None
        return
    import threading
    import time

    started = time.monotonic()
    done = threading.Event()
    with out.status(f"{what} ...") as status:

        def tick() -> None:  # the elapsed time tells a slow step from a stuck one
            while not done.wait(1.0):
                status.update(f"{what} ... {time.monotonic() - started:.0f}s")

        ticker = threading.Thread(target=tick, name="spinner-clock", daemon=True)
        ticker.start()
        try:
            yield status
        finally:
            done.set()
            ticker.join(2)


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


def urls(out: Any, entries: Mapping[str, str], env_file: Path | None = None) -> None:
    """Print the URLs people use once the stack is ready, one per line so each copies whole
    (passwords masked, always), and the 0600 file that holds them in full."""
    from netra_backend.redact import mask_url

    width = max((len(name) for name in entries), default=0)
    for name, url in entries.items():
        out.print(f"{name:<{width}}  {mask_url(url)}", markup=False, soft_wrap=True)
    if env_file is not None:
        from netra_devtools.state import shown_path

        out.print(
            f"full URLs, passwords included: {shown_path(env_file)} (mode 0600)",
            markup=False,
            soft_wrap=True,
        )
