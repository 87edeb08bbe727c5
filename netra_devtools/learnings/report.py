"""Introspection output: a rich table grouped by signature for people, JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from netra_devtools.learnings.introspect import Finding, Summary
from netra_devtools.learnings.model import Catalog


def write_json(findings: Iterable[Finding], summary: Summary, out: TextIO) -> None:
    """One JSON object, streamed: findings are written as they come, the summary at the end."""
    out.write('{"findings": [')
    for index, finding in enumerate(findings):
        out.write(("" if index == 0 else ", ") + json.dumps(finding.as_json()))
    out.write('], "summary": ' + json.dumps(summary.as_json()) + "}\n")
    out.flush()


def write_json_lines(findings: Iterable[Finding], out: TextIO) -> None:
    """`--follow --json`: one finding object per line, flushed as it arrives."""
    for finding in findings:
        out.write(json.dumps(finding.as_json()) + "\n")
        out.flush()


def _where(finding: Finding | None) -> str:
    return "" if finding is None else f"{finding.source}:{finding.line}"


def render_table(summary: Summary, catalog: Catalog, out: TextIO) -> None:
    """Findings grouped by signature: count, first/last occurrence, the learning's fix."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, soft_wrap=False)
    if not summary.findings:
        console.print(f"No known problems in {summary.lines} line(s).")
        return
    table = Table(title=f"{summary.findings} finding(s) in {summary.lines} line(s)")
    table.add_column("signature", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("first", overflow="fold")
    table.add_column("last", overflow="fold")
    table.add_column("fix", no_wrap=True)
    ranked = sorted(summary.by_signature.items(), key=lambda item: -item[1].count)
    for signature_id, stats in ranked:
        learning = catalog.learning(catalog.signature(signature_id).learning_id)
        table.add_row(
            signature_id,
            str(stats.count),
            _where(stats.first),
            _where(stats.last),
            f"[bold]{learning.fix_task}[/bold]",
        )
    console.print(table)
    for signature_id, stats in ranked:
        learning = catalog.learning(catalog.signature(signature_id).learning_id)
        console.print(f"\n[bold]{signature_id}[/bold]: {escape(learning.title)}")
        console.print(f"  fix: {escape(learning.fix)}")
        if stats.first is not None:
            console.print(f"  e.g. {escape(stats.first.text)}", style="dim")


def write_finding_line(finding: Finding, catalog: Catalog, out: TextIO) -> None:
    """`--follow` for people: one line per finding as it arrives."""
    task = catalog.learning(finding.learning).fix_task
    out.write(f"{finding.source}:{finding.line}  {finding.signature}  → {task}  {finding.text}\n")
    out.flush()
