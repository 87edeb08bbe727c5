"""The catalog check: validate SPEC/learnings and keep docs/learnings.md current (nox -s learnings).

Checks: defusedxml parsing, learning.xsd (with xmlschema when installed, else the loader's
mirror of it), unique ids, required signatures, examples/near-misses, grep exportability,
related files and verification tests exist, the rendered docs are up to date, and the corpus:
held-out recall per signature and no flagged line in the clean logs (learnings/corpus.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from netra_devtools.cli import ProblemFound
from netra_devtools.learnings import REPO_ROOT, SPEC_DIR, load_catalog
from netra_devtools.learnings.corpus import CORPUS_DIR, corpus_problems
from netra_devtools.learnings.matcher import Matcher
from netra_devtools.learnings.model import CatalogInvalid, LearningError
from netra_devtools.learnings.render import render_markdown
from netra_devtools.learnings.validate import validate_catalog

DOCS = REPO_ROOT / "docs" / "learnings.md"


def xsd_problems(spec_dir: Path) -> list[str]:
    """Validate every XML file against learning.xsd with xmlschema (skipped when absent)."""
    try:
        import xmlschema
    except ImportError:
        return []
    schema = xmlschema.XMLSchema(str(spec_dir / "learning.xsd"))
    problems = []
    for path in sorted(spec_dir.glob("*.xml")):
        for error in schema.iter_errors(str(path)):
            problems.append(f"{path.name}: {error.reason} at {error.path}")
    return problems


def check_catalog(
    *, write_docs: bool = False, skip_references: bool = False, corpus: Path | None = CORPUS_DIR
) -> int:
    """Validate the catalog, the rendered docs and the corpus; ProblemFound counts the problems."""
    try:
        catalog = load_catalog(SPEC_DIR)
        problems = xsd_problems(SPEC_DIR)
        try:
            validate_catalog(catalog, REPO_ROOT, references=not skip_references)
        except CatalogInvalid as exc:
            problems += exc.problems
        if corpus is not None:
            report, corpus_found = corpus_problems(Matcher(catalog.signatures), corpus)
            print("\n".join(report))
            problems += corpus_found
    except LearningError as exc:
        raise ProblemFound(str(exc)) from None
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    rendered = render_markdown(catalog, relative_to=str(REPO_ROOT))
    current = DOCS.read_text("utf-8") if DOCS.exists() else ""
    if write_docs and rendered != current:
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(rendered, "utf-8", newline="\n")
        print(f"wrote {DOCS.relative_to(REPO_ROOT)}")
    elif rendered != current:
        problems.append("docs/learnings.md is out of date")
        print(
            "problem: docs/learnings.md differs from SPEC/learnings; regenerate with "
            "`python -m netra_devtools.learnings --write-docs` and commit it",
            file=sys.stderr,
        )
    if problems:
        raise ProblemFound(f"{len(problems)} problem(s) in SPEC/learnings (listed above)")
    print(
        f"{len(catalog.learnings)} learnings, {len(catalog.signatures)} signatures: all checks passed"
    )
    return 0
