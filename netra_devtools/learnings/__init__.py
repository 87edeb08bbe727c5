"""Living learnings: load SPEC/learnings, validate them, and match their signatures in logs."""

from __future__ import annotations

from pathlib import Path

from netra_devtools.learnings.loader import load_catalog, load_learning_bytes
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

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = REPO_ROOT / "SPEC" / "learnings"

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
    "load_catalog",
    "load_learning_bytes",
]
