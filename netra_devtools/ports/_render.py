"""Human output for the port doctor (rich, imported only on this path)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netra_devtools.ports._model import OK, Diagnosis, FreeReport, Holder

if TYPE_CHECKING:
    from rich.table import Table


def _when(create_time: float | None) -> str:
    if not create_time:
        return ""
    import datetime

    return datetime.datetime.fromtimestamp(create_time).strftime("%Y-%m-%d %H:%M:%S")


def _command(holder: Holder) -> str:
    if holder.container:
        return f"container {holder.container.get('name') or holder.container}"
    return " ".join(" ".join(holder.cmdline).split())[:80] or holder.note


def _role(holder: Holder) -> str:
    kind = f" ({holder.kind})" if holder.kind else ""
    return f"{holder.role}{kind}" if holder.pid is not None else "?"


def _holder_table(diag: Diagnosis) -> Table:
    """One row per (socket, process): every holder of each socket, each tree's root first."""
    from rich.table import Table

    table = Table("socket", "pid", "role", "name", "user", "started", "command", title="holders")
    order = {h.pid: i for i, h in enumerate(diag.holders)}
    by_pid = {h.pid: h for h in diag.holders if h.pid is not None}
    for sock in diag.sockets:
        label = sock.address + (f" #{sock.inode}" if sock.inode else "")
        rows = [by_pid[p] for p in sorted(sock.pids, key=lambda p: order.get(p, 0)) if p in by_pid]
        for i, h in enumerate(rows):
            table.add_row(label if i == 0 else "", str(h.pid), _role(h), h.name, h.user,
                          _when(h.create_time), _command(h))  # fmt: skip
        if not rows:
            table.add_row(label, "?", "?", "", sock.user, "", "owner not visible to this account")
    for h in diag.holders:  # reloaders hold no socket, and psutil may list a holder unmatched
        if h.pid is not None and not any(h.pid in s.pids for s in diag.sockets):
            table.add_row("—", str(h.pid), _role(h), h.name, h.user, _when(h.create_time),
                          _command(h))  # fmt: skip
    return table


def render_diagnosis(diag: Diagnosis) -> None:
    """Print the verdict, holders by socket, bind tests, notes and fixes for a person."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    style = "green" if diag.bindable else "red"
    console.print(f"[bold {style}]{diag.verdict}[/]")
    if diag.holders:
        console.print(_holder_table(diag))
    binds = Table("address", "bind test", "errno", title=f"binding port {diag.port}")
    for b in diag.binds:
        colour = "green" if b.status == OK else "red"
        binds.add_row(b.address, f"[{colour}]{b.status}[/]", str(b.errno or ""))
    console.print(binds)
    for note in diag.notes:
        console.print(f"note: {note}")
    for fix in diag.fixes:
        admin = " [yellow](admin)[/]" if fix.needs_admin else ""
        console.print(f"fix: {fix.description}{admin}\n     [bold]{fix.command}[/]")


def render_free_report(report: FreeReport) -> None:
    """Print what free() did (or would do, or would not do) and whether the port binds now."""
    from rich.console import Console

    console = Console(highlight=False)
    lines: dict[tuple[str, str], list[str]] = {}  # a tree refused for one reason: one line
    for action in report.actions:
        process = f"{action.name} (pid {action.pid}, {action.role})"
        lines.setdefault((action.outcome, action.detail), []).append(process)
    for (outcome, detail), processes in lines.items():
        console.print(f"{outcome}: {', '.join(processes)}" + (f" — {detail}" if detail else ""))
    for line in report.left_alone:
        console.print(f"left alone: {line}")
    for note in report.notes:
        console.print(f"note: {note}")
    for step in report.next_steps:
        admin = " [yellow](admin)[/]" if step.needs_admin else ""
        console.print(f"to {step.description}{admin}:\n     [bold]{step.command}[/]")
    if report.dry_run:
        console.print("[yellow]dry run: nothing was signalled[/]")
    elif report.freed:
        console.print(f"[bold green]port {report.port} binds now[/]")
    else:
        console.print(f"[bold red]port {report.port} still does not bind[/]")
        if report.diagnosis and not report.next_steps:
            render_diagnosis(report.diagnosis)
