"""Recognise a reloader parent (uvicorn --reload, watchfiles, werkzeug, Django) of a listener."""

from __future__ import annotations

import os

# Markers of supervisors that restart their child when it dies or files change.
RELOADER_MARKERS = ("--reload", "watchfiles", "watchgod", "watchmedo", "hupper", "autoreload")


def _normalise(cmdline: list[str]) -> list[str]:
    """argv with the interpreter reduced to "python" (werkzeug re-execs via sys.executable)."""
    if not cmdline:
        return []
    first = os.path.basename(cmdline[0]).lower().removesuffix(".exe")
    return ["python" if first.startswith("python") else first, *cmdline[1:]]


def is_reloader(parent: list[str], child: list[str]) -> bool:
    """True when `parent` is a reloader of the same command that would respawn `child`."""
    if not parent or not child:
        return False
    if _normalise(parent) == _normalise(child):
        return True  # werkzeug and Django re-execute the same argv with RUN_MAIN set
    joined = " ".join(parent)
    if not any(marker in joined for marker in RELOADER_MARKERS):
        return False
    child_text = " ".join(child)
    if "spawn_main" in child_text or "--multiprocessing-fork" in child_text:
        return True  # uvicorn/hypercorn --reload: the worker is a multiprocessing child
    # watchfiles "uvicorn app:app": the child's own command appears in the parent's arguments.
    tokens = [os.path.basename(t) for t in _normalise(child) if t != "python"][:3]
    return bool(tokens) and all(token in joined for token in tokens)
