"""What the port doctor reports: sockets, holders, bind results, fixes, diagnosis, free report."""

from __future__ import annotations

from netra_devtools.errors import NetraDevtoolsError

TYPE_CHECKING = False  # typing's import costs ~2 ms on check-port's fast path; mypy knows the name
if TYPE_CHECKING:
    from typing import Any, ClassVar


# Bind-test outcomes, classified from the errno.
OK = "ok"
IN_USE = "in_use"
FORBIDDEN = "forbidden"
PRIVILEGED = "privileged"
NOT_AVAILABLE = "address_not_available"
BLOCKING = (IN_USE, FORBIDDEN, PRIVILEGED)


# A holder's place in its process tree (what must stop for the port to be freed).
ROOT = "root"  # holds the socket and started the others that share it (master, reloader)
MEMBER = "member"  # another holder in the root's tree (a forked child, a worker)
RELOADER = "reloader"  # holds nothing, but restarts the holder below it when that exits


class PortError(NetraDevtoolsError):
    """Base class for port doctor errors."""


class NetshError(PortError):
    """netsh failed or is missing (Windows only)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class _Record:
    """A plain record. Not a dataclass: importing and building dataclasses costs ~8 ms, and
    check-port's whole process has to stay within 1.5x of lsof."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        values = dict(zip(self.__slots__, args, strict=False), **kwargs)
        for name in self.__slots__:
            if name in values:
                value = values[name]
            else:
                default = self._defaults[name]  # KeyError: a required field is missing
                value = default() if callable(default) else default
            setattr(self, name, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {name: _jsonable(getattr(self, name)) for name in self.__slots__}


class Socket(_Record):
    """One listening socket on the port and every process whose descriptors hold it (like `ss -p`).

    `inode` is the kernel's socket inode on Linux (None elsewhere); `pids` is empty when the
    owner is not visible to this account. Windows names only the process that opened it.
    """

    __slots__ = ("address", "inode", "uid", "user", "pids")
    _defaults = {"inode": None, "uid": None, "user": "", "pids": list}
    address: str
    inode: int | None
    uid: int | None
    user: str
    pids: list[int]


class Holder(_Record):
    """A process on the port: it holds a listening socket (pid None when the kernel will not tell
    us whose it is), or, with role "reloader", restarts a process that does.

    `root` is the pid of its tree's root: the process to stop first (it would respawn the rest).
    """

    __slots__ = ("pid", "name", "cmdline", "user", "uid", "create_time", "ppid", "address",
                 "container", "note", "role", "root", "kind")  # fmt: skip
    _defaults = {"name": "", "cmdline": list, "user": "", "uid": None, "create_time": None,
                 "ppid": None, "address": "", "container": None, "note": "", "role": ROOT,
                 "root": None, "kind": ""}  # fmt: skip
    pid: int | None
    name: str
    cmdline: list[str]
    user: str
    uid: int | None
    create_time: float | None
    ppid: int | None
    address: str
    container: dict[str, Any] | None
    note: str
    role: str  # ROOT, MEMBER or RELOADER
    root: int | None
    kind: str  # what a root is, when known: "uvicorn", "watchfiles", "werkzeug/django", ...

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, with `started` (UTC, ISO 8601) beside the raw create time."""
        import time

        data = super().to_json()
        stamp = self.create_time
        data["started"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp)) if stamp else None
        return data


class BindResult(_Record):
    """One bind test: address, status (ok / in_use / forbidden / ...), errno and message."""

    __slots__ = ("address", "status", "errno", "message")
    _defaults = {"errno": None, "message": ""}
    address: str
    status: str
    errno: int | None
    message: str


class Fix(_Record):
    """One command that fixes the cause; `argv` is what to run, `needs_admin` says who may."""

    __slots__ = ("description", "argv", "needs_admin")
    _defaults = {"needs_admin": False}
    description: str
    argv: list[str]
    needs_admin: bool

    @property
    def command(self) -> str:
        """The command as a person would type it."""
        return " ".join(f'"{a}"' if (" " in a or not a) else a for a in self.argv)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, with the typed-out `command`."""
        return dict(super().to_json(), command=self.command)


class Diagnosis(_Record):
    """Why a port does (not) bind, and how to fix it."""

    __slots__ = ("port", "host", "bindable", "verdict", "holders", "binds", "time_wait",
                 "excluded_range", "fixes", "notes", "sockets")  # fmt: skip
    _defaults = {"holders": list, "binds": list, "time_wait": 0, "excluded_range": None,
                 "fixes": list, "notes": list, "sockets": list}  # fmt: skip
    port: int
    host: str | None
    bindable: bool
    verdict: str
    holders: list[Holder]  # one per process, each tree's root first
    binds: list[BindResult]
    time_wait: int | None  # None: not counted, a listener holds the port (it cannot matter)
    excluded_range: tuple[int, int] | None
    fixes: list[Fix]
    notes: list[str]
    sockets: list[Socket]

    def trees(self) -> dict[int | None, list[Holder]]:
        """Holders grouped by their tree's root pid (root first); None: owners not visible."""
        groups: dict[int | None, list[Holder]] = {}
        for holder in self.holders:
            groups.setdefault(holder.root, []).append(holder)
        return groups


class Action(_Record):
    """One step of freeing a port: what was (or would be) done to which process, and why."""

    __slots__ = ("pid", "name", "role", "outcome", "detail")
    _defaults = {"detail": ""}
    pid: int
    name: str
    role: str  # ROOT, MEMBER or RELOADER (see Holder)
    outcome: str  # TERMINATED, KILLED, GONE, WOULD_TERMINATE, or one of the refusals below
    detail: str


# What free() did to a process, or why it did not touch it.
TERMINATED, KILLED, GONE, WOULD_TERMINATE = "terminated", "killed", "gone", "would terminate"
PROTECTED = "protected"  # pid 1, our ancestors, system daemons and services: never signalled
NOT_PERMITTED = "not permitted"  # another user's process and we are not root/admin
NEEDS_CONSENT = "needs consent"  # not ours, no terminal to ask on, no --force
DECLINED = "declined"  # asked on the terminal, the answer was not yes
STACK_RUNNING = "stack running"  # part of our live stack: `invoke down` stops it
CONTAINER = "container"  # Docker's proxy: the container is what to stop


class FreeReport(_Record):
    """The outcome of `free()`: actions taken, processes left alone, and whether it binds now."""

    __slots__ = ("port", "dry_run", "freed", "nothing_to_free", "actions", "left_alone",
                 "notes", "diagnosis", "next_steps")  # fmt: skip
    _defaults = {"nothing_to_free": False, "actions": list, "left_alone": list, "notes": list,
                 "diagnosis": None, "next_steps": list}  # fmt: skip
    port: int
    dry_run: bool
    freed: bool
    nothing_to_free: bool
    actions: list[Action]
    left_alone: list[str]
    notes: list[str]
    diagnosis: Diagnosis | None
    next_steps: list[Fix]  # what the person can run when we did not (--force, invoke down, ...)
