"""Living learnings: load SPEC/learnings, validate them, and match their signatures in logs."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from netra_devtools.learnings.loader import load_catalog, load_learning_bytes
from netra_devtools.learnings.matcher import Matcher
from netra_devtools.learnings.model import (
    Catalog,
    CatalogInvalid,
    Learning,
    LearningError,
    LearningSchemaError,
    LearningSyntaxError,
    Signature,
    SignaturePatternError,
)
from netra_devtools.paths import REPO_ROOT, SPEC_DIR

__all__ = [
    "REPO_ROOT",
    "SPEC_DIR",
    "Catalog",
    "CatalogInvalid",
    "Learning",
    "LearningError",
    "LearningSchemaError",
    "LearningSyntaxError",
    "Signature",
    "SignaturePatternError",
    "default_catalog",
    "explain_lines",
    "load_catalog",
    "load_learning_bytes",
]


@lru_cache(maxsize=1)
def default_catalog() -> tuple[Catalog, Matcher]:
    """The repository's catalog and its compiled matcher, loaded once per process."""
    catalog = load_catalog(SPEC_DIR)
    return catalog, Matcher(catalog.signatures)


def explain_lines(lines: Iterable[str]) -> list[tuple[int, Signature, Learning, str]]:
    """(1-based line, signature, learning, cleaned text) for each line a signature recognises."""
    from netra_devtools.learnings.lines import clean_line

    catalog, matcher = default_catalog()
    found = []
    for number, raw in enumerate(lines, start=1):
        text = clean_line(raw.encode("utf-8", errors="replace"))
        signature = matcher.identify(text)
        if signature is not None:
            found.append((number, signature, catalog.learning(signature.learning_id), text))
    return found
