"""The introspect command's work: open the log sources, scan or follow them, report findings."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from netra_devtools.errors import BadInput
from netra_devtools.learnings.engines import EngineUnavailable
from netra_devtools.learnings.introspect import Finding, Summary, follow_sources, scan_sources
from netra_devtools.learnings.matcher import Matcher

EXIT_FOUND = 1


def _check_usage(args: argparse.Namespace) -> None:
    a = vars(args)
    if a["file"] and (a["project"] or a["service"] or a["since"] or a["via"] != "auto"):
        raise BadInput("--file cannot be combined with --project/--service/--since/--via")
    if a["max_findings"] is not None and a["max_findings"] < 1:
        raise BadInput("--max-findings must be at least 1")
    if a["timeout"] is not None and a["timeout"] <= 0:
        raise BadInput("--timeout must be positive")
    if a["learnings"] is not None and not a["learnings"].is_dir():
        raise BadInput(f"--learnings: not a directory: {a['learnings']}")


NO_INPUT = (
    "no Docker engine here to read container logs from; give introspect its input another way: "
    "--file PATH (a log file), --file - (stdin, e.g. `docker compose logs --no-color | ...`), "
    "or --file .netra/logs/backend.log (the local stack's logs, `invoke dev --mode local`)"
)


def _no_source_asked(args: argparse.Namespace) -> bool:
    """True when the user named no source at all (the bare command)."""
    a = vars(args)
    return not (a["project"] or a["service"] or a["since"] or a["compose_file"]) and (
        a["via"] == "auto"
    )


def default_project() -> str:
    """Compose's default project name: COMPOSE_PROJECT_NAME, else the directory name."""
    name = os.environ.get("COMPOSE_PROJECT_NAME") or Path.cwd().name
    return "".join(ch for ch in name.lower() if ch.isalnum() or ch in "-_")


def _open_sources(args: argparse.Namespace) -> list[Any]:
    """The log sources the arguments ask for (SDK, with the compose CLI as fallback; a file)."""
    from netra_devtools.docker import sources as src

    a = vars(args)
    if a["file"]:
        try:
            return [src.file_source(a["file"])]
        except src.SourceError as exc:  # a --file that cannot be read is bad input
            raise BadInput(str(exc)) from None
    project = a["project"] or default_project()
    try:
        since = src.parse_since(a["since"]) if a["since"] else None
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    sdk_error = None
    if a["via"] in ("auto", "sdk"):
        try:
            return _sdk_sources(project, a["service"], since, a["follow"])
        except Exception as exc:  # engine missing/refusing: the CLI fallback may still work
            if a["via"] == "sdk" or isinstance(exc, src.SourceError):
                raise
            sdk_error = exc
    try:
        source = src.compose_cli_source(
            project,
            services=a["service"],
            since=a["since"],
            follow=a["follow"],
            timeout=a["timeout"],
            compose_files=a["compose_file"],
        )
    except src.SourceError as exc:
        if sdk_error is not None and _no_source_asked(args):
            raise src.SourceError(NO_INPUT) from None
        raise src.SourceError(
            f"Docker SDK: {sdk_error}; compose CLI fallback: {exc}" if sdk_error else str(exc)
        ) from None

    if sdk_error is not None:
        context = None if _no_source_asked(args) else f"Docker SDK: {sdk_error}"
        source.chunks = _explain_failure(source.chunks, context)
    return [source]


def _explain_failure(chunks: Iterator[bytes], context: str | None) -> Iterator[bytes]:
    """A failing CLI fallback says why the SDK was not used; for the bare command (`context`
    None: no engine, no source named) it names the other ways to give input instead."""
    from netra_devtools.docker.sources import SourceError

    try:
        yield from chunks
    except SourceError as exc:
        if context is None:
            raise SourceError(NO_INPUT) from None
        raise SourceError(f"{context}; compose CLI fallback: {exc}") from None


def _sdk_sources(
    project: str, services: Sequence[str], since: int | None, follow: bool
) -> list[Any]:
    import docker

    from netra_devtools.docker import detect
    from netra_devtools.docker.sources import container_sources

    url = detect().url
    client = (
        docker.from_env()
        if url == os.environ.get("DOCKER_HOST")
        else docker.DockerClient(base_url=url)
    )
    return container_sources(client, project, services=services, since=since, follow=follow)


def run_introspection(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Scan the chosen source and print findings; 1 when anything was found, else 0."""
    from netra_devtools.learnings import SPEC_DIR, load_catalog, report

    out = out or sys.stdout
    _check_usage(args)
    a = vars(args)
    summary = Summary()
    catalog = load_catalog(a["learnings"] or SPEC_DIR)
    try:
        matcher = Matcher(catalog.signatures, engine=a["engine"])
    except EngineUnavailable as exc:
        raise BadInput(str(exc)) from None
    sources = _open_sources(args)
    findings: Iterator[Finding]
    if a["follow"]:
        findings = follow_sources(
            matcher,
            sources,
            summary,
            max_findings=a["max_findings"],
            timeout=a["timeout"],
        )
    else:
        findings = scan_sources(matcher, sources, summary)
        if a["max_findings"] is not None:
            findings = _limit(findings, a["max_findings"])
    if a["json"] and a["follow"]:
        report.write_json_lines(findings, catalog, out)
    elif a["json"]:
        report.write_json(findings, summary, catalog, out)
    elif a["follow"]:
        for finding in findings:
            report.write_finding_line(finding, catalog, out)
    else:
        for _ in findings:
            pass
        report.render_table(summary, catalog, out)
    return EXIT_FOUND if summary.findings else 0


def _limit(findings: Iterator[Finding], limit: int) -> Iterator[Finding]:
    for index, finding in enumerate(findings, 1):
        yield finding
        if index >= limit:
            return
