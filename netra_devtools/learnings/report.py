"""Introspection output: a rich table grouped by signature for people, JSON for machines.

A JSON finding is `{"signature", "learning", "line", "source", "text", "cause", "fix",
"fix_task"}`: the cause and fix come from the learning, so a machine reading the stream needs
no catalog of its own. The table fits 80 columns; the fix of each signature follows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import PurePath
from typing import TextIO

from netra_devtools.learnings.introspect import Finding, Summary
from netra_devtools.learnings.model import Catalog

TABLE_WIDTH = 80


def finding_json(finding: Finding, catalog: Catalog) -> dict[str, object]:
    """The finding object of the JSON contract, with its learning's cause and fix."""
    learning = catalog.learning(finding.learning)
    return {
        **finding.as_json(),
        "cause": learning.root_cause,
        "fix": learning.fix,
        "fix_task": learning.fix_task,
    }


def write_json(
    findings: Iterable[Finding], summary: Summary, catalog: Catalog, out: TextIO
) -> None:
    """One JSON object, streamed: findings are written as they come, the summary at the end."""
    out.write('{"findings": [')
    for index, finding in enumerate(findings):
        out.write(("" if index == 0 else ", ") + json.dumps(finding_json(finding, catalog)))
    out.write('], "summary": ' + json.dumps(summary.as_json()) + "}\n")
    out.flush()


def write_json_lines(findings: Iterable[Finding], catalog: Catalog, out: TextIO) -> None:
    """`--follow --json`: one finding object per line, flushed as it arrives."""
    for finding in findings:
        out.write(json.dumps(finding_json(finding, catalog)) + "\n")
        out.flush()


def _where(finding: Finding | None, one_source: bool) -> str:
    """`line` when there is one source (named in the title), else `service:line`."""
    if finding is None:
        return ""
    if one_source:
        return str(finding.line)
    source = finding.source
    if "/" in source or "\\" in source:
        source = PurePath(source.replace("\\", "/")).name
    return f"{source}:{finding.line}"


def render_table(summary: Summary, catalog: Catalog, out: TextIO) -> None:
    """Findings grouped by signature (count, first and last line), then each learning's fix."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, soft_wrap=False, width=TABLE_WIDTH)
    if not summary.findings:
        console.print(f"No known problems in {summary.lines} line(s).")
        return
    stats_by_sig = summary.by_signature.values()
    sources = {f.source for s in stats_by_sig for f in (s.first, s.last) if f is not None}
    one_source = len(sources) == 1
    title = f"{summary.findings} finding(s) in {summary.lines} line(s)"
    title += f" of {next(iter(sources))}" if one_source else ""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("signature", no_wrap=True, overflow="ellipsis")
    table.add_column("count", justify="right", no_wrap=True, min_width=5)
    table.add_column("first", no_wrap=True, overflow="ellipsis", max_width=22)
    table.add_column("last", no_wrap=True, overflow="ellipsis", max_width=22)
    ranked = sorted(summary.by_signature.items(), key=lambda item: -item[1].count)
    for signature_id, stats in ranked:
        table.add_row(
            signature_id,
            str(stats.count),
            _where(stats.first, one_source),
            _where(stats.last, one_source),
        )
    console.print(table)
    for signature_id, stats in ranked:
        learning = catalog.learning(catalog.signature(signature_id).learning_id)
        console.print(f"\n[bold]{signature_id}[/bold]: {escape(learning.title)}")
        console.print(f"  fix ([bold]{escape(learning.fix_task)}[/bold]): {escape(learning.fix)}")
        if stats.first is not None:
            console.print(f"  e.g. {escape(stats.first.text[:300])}", style="dim")


def write_finding_line(finding: Finding, catalog: Catalog, out: TextIO) -> None:
    """`--follow` for people: one line per finding as it arrives."""
    task = catalog.learning(finding.learning).fix_task
    out.write(f"{finding.source}:{finding.line}  {finding.signature}  → {task}  {finding.text}\n")
    out.flush()
