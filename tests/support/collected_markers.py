"""A pytest plugin for the marker tests: write every collected test's markers to a JSON file.

`pytest --collect-only -p tests.support.collected_markers -m EXPR` with NETRA_MARKERS_OUT=PATH
writes {nodeid: {"markers": [...], "selected": bool}}: all tests, and whether EXPR kept them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_deselected: list[pytest.Item] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Remember what `-m` dropped: it is reported too, marked not selected."""
    _deselected.extend(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Write the report once collection (and selection) is done."""
    report = {
        item.nodeid: {"markers": sorted({m.name for m in item.iter_markers()}), "selected": kept}
        for kept, items in ((True, session.items), (False, _deselected))
        for item in items
    }
    Path(os.environ["NETRA_MARKERS_OUT"]).write_text(json.dumps(report), encoding="utf-8")
