"""Human output for the port doctor (rich, imported only on this path)."""

from __future__ import annotations

from netra_devtools.ports._model import OK, Diagnosis, FreeReport


def _when(create_time: float | None) -> str:
    if not create_time:
        return ""
    import datetime

    return datetime.datetime.fromtimestamp(create_time).strftime("%Y-%m-%d %H:%M:%S")


def render_diagnosis(diag: Diagnosis) -> None:
    """Print the verdict, holders, bind tests, notes and fixes for a person."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    style = "green" if diag.bindable else "red"
    console.print(f"[bold {style}]{diag.verdict}[/]")
    if diag.holders:
        table = Table("pid", "name", "user", "address", "started", "command", title="holders")
        for h in diag.holders:
            command = " ".join(" ".join(h.cmdline).split())[:80]
            if h.container:
                command = f"container {h.container.get('name') or h.container}"
            table.add_row(
                str(h.pid) if h.pid is not None else "?",
                h.name,
                h.user,
                h.address,
                _when(h.create_time),
                command or h.note,
            )
        console.print(table)
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
    """Print what free() did (or would do) and whether the port binds now."""
    from rich.console import Console

    console = Console(highlight=False)
    for action in report.actions:
        detail = f" — {action.detail}" if action.detail else ""
        console.print(f"{action.outcome}: {action.name} (pid {action.pid}, {action.role}){detail}")
    for line in report.left_alone:
        console.print(f"left alone: {line}")
    for note in report.notes:
        console.print(f"note: {note}")
    if report.dry_run:
        console.print("[yellow]dry run: nothing was signalled[/]")
    elif report.freed:
        console.print(f"[bold green]port {report.port} binds now[/]")
    else:
        console.print(f"[bold red]port {report.port} still does not bind[/]")
        if report.diagnosis:
            render_diagnosis(report.diagnosis)
