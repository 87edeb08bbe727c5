"""Catalog checks beyond one file's schema: unique ids, examples, near-misses, references."""

from __future__ import annotations

import re
from pathlib import Path

from netra_devtools.learnings.ere import UnsupportedPattern, to_ere
from netra_devtools.learnings.matcher import Matcher
from netra_devtools.learnings.model import Catalog, CatalogInvalid

REQUIRED_SIGNATURES = (
    "port-in-use",
    "port-access-forbidden",
    "migration-object-missing",
    "migration-object-exists",
    "docker-engine-unreachable",
    "clickhouse-unavailable",
    "postgres-unreachable",
    "postgres-auth-failed",
)
# What docker adds in front of a line; every example must still be recognised behind it.
_DECORATION = b"backend-1  | 2026-01-02T03:04:05.123456789Z "


def check_ids(catalog: Catalog) -> list[str]:
    """Learning and signature ids are unique; the required signature ids are all present."""
    problems = []
    for kind, ids in (
        ("learning", [learning.id for learning in catalog.learnings]),
        ("signature", [sig.id for sig in catalog.signatures]),
    ):
        problems += [
            f"duplicate {kind} id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})
        ]
    present = {sig.id for sig in catalog.signatures}
    problems += [
        f"required signature {sid!r} is missing"
        for sid in REQUIRED_SIGNATURES
        if sid not in present
    ]
    return problems


def check_examples(catalog: Catalog, matcher: Matcher | None = None) -> list[str]:
    """Each example matches its own signature and no other; near-misses match nothing."""
    matcher = matcher or Matcher(catalog.signatures)
    problems = []
    for sig in catalog.signatures:
        where = f"{sig.learning_id}/{sig.id}"
        for example in sig.examples:
            ids = [s.id for s in matcher.identify_all(example)]
            if ids != [sig.id]:
                problems.append(f"{where}: example matches {ids or 'nothing'}: {example!r}")
            hits = list(matcher.scan_block(_DECORATION + example.encode() + b"\n", 1))
            if [h.signature.id for h in hits] != [sig.id]:
                problems.append(f"{where}: example not found behind a compose prefix: {example!r}")
        for near_miss in sig.near_misses:
            ids = [s.id for s in matcher.identify_all(near_miss)]
            if ids:
                problems.append(f"{where}: near-miss matches {ids}: {near_miss!r}")
        try:
            to_ere(sig.pattern)
        except UnsupportedPattern as exc:
            problems.append(f"{where}: pattern cannot be exported for grep: {exc}")
    return problems


def _test_exists(root: Path, test_id: str) -> bool:
    path, _, name = test_id.partition("::")
    file = root / path
    if not file.is_file():
        return False
    if not name:
        return True
    function = re.escape(name.split("[", 1)[0].split("::")[-1])
    return (
        re.search(rf"^\s*(?:async\s+)?def {function}\(", file.read_text("utf-8"), re.M) is not None
    )


def missing_references(catalog: Catalog, root: Path) -> list[str]:
    """Related files and verification tests that do not exist under `root`, one line each."""
    problems = []
    for learning in catalog.learnings:
        problems += [
            f"{learning.id}: related file does not exist: {path}"
            for path in learning.related_files
            if not (root / path).exists()
        ]
        problems += [
            f"{learning.id}: verification test does not exist: {test}"
            for test in learning.verification
            if not _test_exists(root, test)
        ]
    return problems


def validate_catalog(catalog: Catalog, root: Path, *, references: bool = True) -> None:
    """Run every cross-file check; raise CatalogInvalid listing all problems."""
    problems = check_ids(catalog) + check_examples(catalog)
    if references:
        problems += missing_references(catalog, root)
    if problems:
        raise CatalogInvalid(problems)
