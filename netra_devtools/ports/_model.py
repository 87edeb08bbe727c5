"""What the port doctor reports: holders, bind results, fixes, the diagnosis and the free report."""

from __future__ import annotations

from typing import Any, ClassVar

from netra_devtools.errors import NetraDevtoolsError

# Bind-test outcomes, classified from the errno.
OK = "ok"
IN_USE = "in_use"
FORBIDDEN = "forbidden"
PRIVILEGED = "privileged"
NOT_AVAILABLE = "address_not_available"
BLOCKING = (IN_USE, FORBIDDEN, PRIVILEGED)


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


class Holder(_Record):
    """A process listening on the port (pid None when the kernel will not tell us whose it is)."""

    __slots__ = ("pid", "name", "cmdline", "user", "uid", "create_time", "ppid", "address",
                 "container", "note")  # fmt: skip
    _defaults = {"name": "", "cmdline": list, "user": "", "uid": None, "create_time": None,
                 "ppid": None, "address": "", "container": None, "note": ""}  # fmt: skip
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
                 "excluded_range", "fixes", "notes")  # fmt: skip
    _defaults = {"holders": list, "binds": list, "time_wait": 0, "excluded_range": None,
                 "fixes": list, "notes": list}  # fmt: skip
    port: int
    host: str | None
    bindable: bool
    verdict: str
    holders: list[Holder]
    binds: list[BindResult]
    time_wait: int
    excluded_range: tuple[int, int] | None
    fixes: list[Fix]
    notes: list[str]


class Action(_Record):
    """One step of freeing a port: what was (or would be) done to which process, and why."""

    __slots__ = ("pid", "name", "role", "outcome", "detail")
    _defaults = {"detail": ""}
    pid: int
    name: str
    role: str  # "listener" | "reloader"
    outcome: str  # "terminated" | "killed" | "gone" | "would terminate" | "skipped"
    detail: str


class FreeReport(_Record):
    """The outcome of `free()`: actions taken, processes left alone, and whether it binds now."""

    __slots__ = ("port", "dry_run", "freed", "nothing_to_free", "actions", "left_alone",
                 "notes", "diagnosis")  # fmt: skip
    _defaults = {"nothing_to_free": False, "actions": list, "left_alone": list, "notes": list,
                 "diagnosis": None}  # fmt: skip
    port: int
    dry_run: bool
    freed: bool
    nothing_to_free: bool
    actions: list[Action]
    left_alone: list[str]
    notes: list[str]
    diagnosis: Diagnosis | None
