"""The suite's two kinds of skip, told apart by their reason.

- `service_missing(reason)`: the test needs something this machine lacks (a server, a CLI, a
  Python package, a Docker feature). It skips with "service missing: ..." and, under
  `NETRA_REQUIRE_SERVICES=1` (CI), fails instead: there a missing service is a broken setup.
  `require_module()` and `console_script()` are its two common cases.
- `by_design(condition, reason)`: the behaviour does not exist here (netsh only on Windows) or
  cannot be observed as this user (root bypasses permissions). Always a skip, "by design: ...".

A test skips any other way only for a condition the machine did not produce at run time (a port
that was not free, a socket the kernel did not keep), with `pytest.skip` and its reason.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

SERVICE_MISSING = "service missing: "
BY_DESIGN = "by design: "


def service_missing(reason: str) -> NoReturn:
    """Skip for a missing service, or fail when services are required (NETRA_REQUIRE_SERVICES=1)."""
    if os.environ.get("NETRA_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing (NETRA_REQUIRE_SERVICES=1): {reason}", pytrace=False)
    pytest.skip(SERVICE_MISSING + reason)


def require_module(name: str, why: str = "") -> ModuleType:
    """Import `name`, or service_missing naming the package (pytest.importorskip hides it)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        service_missing(f"Python package {name!r} is not installed{why and f' ({why})'}: {exc}")


def console_script(name: str) -> Path:
    """The console script `name` installed next to this Python (bin/ or Scripts\\), or missing."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        service_missing(f"{name} is not installed next to {sys.executable}")
    return Path(found)


def by_design(condition: bool, reason: str) -> pytest.MarkDecorator:
    """Skip where `condition` holds because the behaviour does not apply there (never missing)."""
    return pytest.mark.skipif(condition, reason=BY_DESIGN + reason)
