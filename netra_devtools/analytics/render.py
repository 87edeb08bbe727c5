"""What `invoke spool` and `invoke check-clickhouse` show people (rich, imported on this path only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def human_size(count: int) -> str:
    """Bytes in B, kB, MB or GB (powers of 1000)."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return str(count)


def render_spool_status(status: dict[str, Any], problems: list[str]) -> None:
    """One table row per replica directory (owner, pending, oldest, dropped, damaged, bytes),
    then every loss in red: what was lost, where, and where the damaged copy is."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not status["replicas"]:
        console.print(f"no spool at {status['directory']}: nothing is waiting")
        return
    table = Table(title=f"analytics spool: {status['directory']}")
    columns = ("replica", "owner", "pending rows", "oldest", "dropped", "damaged", "bytes")
    for column in columns:
        table.add_column(column, justify="left" if column in ("replica", "owner") else "right")
    import psutil

    for replica in status["replicas"]:
        pid = replica["owner"].get("pid")
        owner = "-"
        if isinstance(pid, int):  # the note outlives its process: say whether it still runs
            owner = f"pid {pid}" if psutil.pid_exists(pid) else f"pid {pid} (gone)"
        damaged = replica.get("damaged_rows", 0)
        table.add_row(
            Path(replica["directory"]).name,
            owner,
            str(replica["pending_rows"]),
            f"{replica['oldest_age_s']:.0f} s",
            str(replica["dropped_rows"]),
            f"[red]{damaged}[/red]" if damaged or replica.get("damaged_bytes") else "0",
            human_size(replica["bytes"]),
        )
    console.print(table)
    for problem in problems:
        console.print(f"[red]lost:[/red] {problem}", highlight=False)


def render_check_results(results: list[Any], url: str) -> None:
    """One table row per check-clickhouse scenario: sent, stored, spooled, dropped, refused, lost."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ClickHouse degradation ({url})")
    headers = (
        "scenario",
        "startup→ready",
        "health",
        "sent",
        "stored",
        "spooled",
        "dropped",
        "refused",
        "lost",
    )
    for header in headers:
        table.add_column(header, justify="left" if header in ("scenario", "health") else "right")
    for r in results:
        lost = f"[red]{r.lost}[/red]" if r.lost else "0"
        table.add_row(r.scenario, f"{r.startup_to_ready_s:.2f} s", r.health, str(r.sent),
                      str(r.stored), str(r.spooled), str(r.dropped), str(r.refused), lost)  # fmt: skip
    Console().print(table)
