"""Render docs/learnings.md from the catalog, so the documentation never drifts from the XML."""

from __future__ import annotations

from netra_devtools.learnings.model import Catalog, Learning

HEADER = """# Learnings

<!-- Generated from SPEC/learnings/*.xml by `python -m netra_devtools.learnings --write-docs`.
     Do not edit by hand: `nox -s learnings` fails when this file differs from the XML. -->

Each learning is a living spec: its signatures are matched against container logs by
`invoke introspect` (scripts/docker_log_introspection_windows.py), and `nox -s learnings`
keeps every example, near-miss, related file and verification test true. It also measures the
signatures on real error lines they were not written from (`tests/data/corpus/heldout.tsv`,
collected from public issue threads, each with its source): every generic signature needs at
least 10 held-out lines and 90 % recall, and nothing may be flagged in the logs of healthy runs
of our stack (`tests/data/corpus/clean/`). Signatures are written from
`tests/data/corpus/train.tsv` only.

`invoke introspect --json` prints one object: `{"findings": [{"signature", "learning", "line",
"source", "text", "cause", "fix", "fix_task"}], "summary": {"lines", "findings",
"by_signature": {id: count}}}`; `cause`, `fix` and `fix_task` are the learning's root cause, fix
and invoke task below. With `--follow`, each finding object is one line (JSON Lines).

| learning | severity | signatures | fix |
|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{_cell(text)}{pad}{fence}"


def _learning(learning: Learning) -> list[str]:
    lines = [
        f"## {learning.title}",
        "",
        f"`{learning.id}` · severity **{learning.severity}** · `{learning.source_file}`",
        "",
        f"**Context.** {learning.context}",
        "",
        f"**Root cause.** {learning.root_cause}",
        "",
        f"**Fix** (`{learning.fix_task}`). {learning.fix}",
        "",
        "**Related files:** " + ", ".join(f"`{p}`" for p in learning.related_files),
        "",
        "**Verified by:** " + ", ".join(f"`{t}`" for t in learning.verification),
        "",
    ]
    for sig in learning.signatures:
        lines += [f"### Signature `{sig.id}`", ""]
        lines += [sig.description, ""] if sig.description else []
        lines += ["Pattern (RE2):", "", "```", sig.pattern, "```", ""]
        lines += ["| matches | line |", "|---|---|"]
        lines += [f"| yes | {_code(ex)} |" for ex in sig.examples]
        lines += [f"| no | {_code(nm)} |" for nm in sig.near_misses]
        lines.append("")
    return lines


def render_markdown(catalog: Catalog, *, relative_to: str = "") -> str:
    """The whole docs/learnings.md text; file names are shown relative to `relative_to`."""
    rows = [
        f"| [{lr.title}](#{lr.id}) | {lr.severity} | "
        + ", ".join(f"`{s.id}`" for s in lr.signatures)
        + f" | `{lr.fix_task}` |"
        for lr in catalog.learnings
    ]
    body: list[str] = []
    for learning in catalog.learnings:
        name = learning.source_file
        if relative_to and name.startswith(relative_to):
            name = name[len(relative_to) :].lstrip("/\\").replace("\\", "/")
        body += [f'<a id="{learning.id}"></a>', ""]
        body += _learning(_with_source(learning, name))
    return HEADER + "\n".join(rows) + "\n\n" + "\n".join(body).rstrip() + "\n"


def _with_source(learning: Learning, name: str) -> Learning:
    from dataclasses import replace

    return replace(learning, source_file=name)
