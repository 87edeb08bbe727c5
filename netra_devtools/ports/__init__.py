"""The port doctor: `diagnose(port)` names every holder of a port and why it will not bind;
`free(port)` frees it with consent (`ownership()`: whose a holder is, by .netra/state.json)."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: its import costs ~2 ms on check-port's fast path
if TYPE_CHECKING:
    from typing import Any

    from netra_devtools.ports._bind import port_is_free
    from netra_devtools.ports._consent import FOREIGN, ORPHAN, STACK, ownership, stack_running
    from netra_devtools.ports._diagnose import diagnose
    from netra_devtools.ports._free import free
    from netra_devtools.ports._model import Diagnosis, FreeReport

__all__ = ["FOREIGN", "ORPHAN", "STACK", "Diagnosis", "FreeReport", "diagnose", "free",
           "ownership", "port_is_free", "stack_running"]  # fmt: skip

# Loaded on first use so `import netra_devtools.ports` stays cheap (the check-port fast path).
_LAZY = {
    "port_is_free": "netra_devtools.ports._bind",
    "diagnose": "netra_devtools.ports._diagnose",
    "free": "netra_devtools.ports._free",
    "ownership": "netra_devtools.ports._consent",
    "stack_running": "netra_devtools.ports._consent",
    "ORPHAN": "netra_devtools.ports._consent",
    "STACK": "netra_devtools.ports._consent",
    "FOREIGN": "netra_devtools.ports._consent",
    "Diagnosis": "netra_devtools.ports._model",
    "FreeReport": "netra_devtools.ports._model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
