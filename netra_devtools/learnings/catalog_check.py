"""The catalog check: validate SPEC/learnings and keep docs/learnings.md current (nox -s learnings).

Checks: defusedxml parsing, learning.xsd (with xmlschema when installed, else the loader's
mirror of it), unique ids, required signatures, examples/near-misses, grep exportability,
related files and verification tests exist, the rendered docs are up to date, and the corpus:
held-out recall per signature and no flagged line in the clean logs (learnings/corpus.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from netra_devtools.learnings import REPO_ROOT, SPEC_DIR, load_catalog
from netra_devtools.learnings.corpus import CORPUS_DIR, corpus_problems
from netra_devtools.learnings.matcher import Matcher
from netra_devtools.learnings.model import Catalog, CatalogInvalid
from netra_devtools.learnings.render import render_markdown
from netra_devtools.learnings.validate import validate_catalog
from netra_devtools.paths import CHECKOUT

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
    """Validate the catalog, the rendered docs and the corpus; CatalogInvalid lists every problem."""
    catalog = load_catalog(SPEC_DIR)  # LearningError: a file that does not load, exit 1
    problems = xsd_problems(SPEC_DIR)
    # installed from a wheel, the related files, tests, docs and corpus the catalog names are not here
    in_checkout = CHECKOUT is not None
    try:
        validate_catalog(catalog, REPO_ROOT, references=in_checkout and not skip_references)
    except CatalogInvalid as exc:
        problems += exc.problems
    if in_checkout and corpus is not None:
        report, corpus_found = corpus_problems(Matcher(catalog.signatures), corpus)
        print("\n".join(report))
        problems += corpus_found
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if in_checkout:
        problems += _docs_problems(catalog, write_docs=write_docs)
    else:
        print("note: not a checkout: references and docs/learnings.md not checked", file=sys.stderr)
    if problems:
        raise CatalogInvalid(problems)
    print(
        f"{len(catalog.learnings)} learnings, {len(catalog.signatures)} signatures: all checks passed"
    )
    return 0


def _docs_problems(catalog: Catalog, *, write_docs: bool) -> list[str]:
    """docs/learnings.md against the catalog rendered: rewritten with write_docs, else compared."""
    rendered = render_markdown(catalog, relative_to=str(REPO_ROOT))
    current = DOCS.read_text("utf-8") if DOCS.exists() else ""
    if write_docs and rendered != current:
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(rendered, "utf-8", newline="\n")
        print(f"wrote {DOCS.relative_to(REPO_ROOT)}")
    elif rendered != current:
        print(
            "problem: docs/learnings.md differs from SPEC/learnings; regenerate with "
            "`python -m netra_devtools.learnings check --write-docs` and commit it",
            file=sys.stderr,
        )
        return ["docs/learnings.md is out of date"]
    return []
