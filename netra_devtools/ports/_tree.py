"""Group a port's holders into process trees and name each tree's root: the process to stop first.

A socket shared by a fork, a master and its workers or a supervisor and its child belongs to one
tree: its root is the topmost holder, or the reloader above it that would start it again. Every
other holder in the tree is a member. Stopping only a member does not free the port.
"""

from __future__ import annotations

from netra_devtools.ports._model import MEMBER, RELOADER, ROOT, Holder
from netra_devtools.ports._reloader import RESPAWNERS, entry_point, respawner

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_RELOADER_LEVELS = 3  # watchfiles → uvicorn --reload → worker; nothing real goes deeper


def _top(holder: Holder, visible: dict[int, Holder]) -> Holder:
    """The topmost ancestor of `holder` that holds a socket on the port too."""
    seen = {holder.pid}
    while holder.ppid in visible and holder.ppid not in seen:
        holder = visible[holder.ppid]
        seen.add(holder.pid)
    return holder


def _reloaders_above(
    top: Holder,
    lookup: Callable[[int], Holder],
    environ: Callable[[int], dict[str, str] | None],
) -> list[Holder]:
    """The unbroken chain of reloaders above `top`, nearest first (empty when there is none)."""
    chain: list[Holder] = []
    child = top
    for _ in range(MAX_RELOADER_LEVELS):
        if not child.ppid or child.ppid <= 1 or child.pid is None:
            break
        parent = lookup(child.ppid)
        kind = respawner(parent.cmdline, child.cmdline, environ(child.pid))
        if not kind or parent.pid is None or parent.create_time is None:
            break
        parent.role, parent.kind = RELOADER, kind
        parent.note = f"holds no socket; restarts pid {child.pid} when it exits"
        chain.append(parent)
        child = parent
    for reloader in chain:
        reloader.root = chain[-1].pid
    return chain


def assign_trees(
    holders: list[Holder],
    lookup: Callable[[int], Holder],
    environ: Callable[[int], dict[str, str] | None],
) -> list[Holder]:
    """Set each holder's role and root; add reloader parents; return them root first, per tree.

    `lookup(pid)` reads a process that holds nothing (a parent); `environ(pid)` its environment.
    """
    visible = {h.pid: h for h in holders if h.pid is not None}
    tops: dict[int, Holder] = {}
    for holder in visible.values():
        top = _top(holder, visible)
        tops[top.pid or 0] = top
        holder.role, holder.root = (ROOT if holder is top else MEMBER), top.pid
    reloaders: dict[int, Holder] = {}
    for top in tops.values():
        top.kind = RESPAWNERS.get(entry_point(top.cmdline), "")
        chain = _reloaders_above(top, lookup, environ)
        if not chain:
            continue
        reloaders.update((r.pid or 0, r) for r in chain)
        for holder in visible.values():
            if holder.root == top.pid:
                holder.role, holder.root = MEMBER, chain[-1].pid
    ordered: list[Holder] = []
    everyone = {**visible, **{pid: r for pid, r in reloaders.items() if pid not in visible}}
    for root in sorted({h.root for h in everyone.values() if h.root is not None}):
        tree = [h for h in everyone.values() if h.root == root]
        ordered.extend(sorted(tree, key=lambda h: (h.pid != root, h.pid or 0)))
    return ordered + [h for h in holders if h.pid is None]
