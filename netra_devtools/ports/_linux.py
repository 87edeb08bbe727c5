"""Linux: the kernel's socket tables (sock_diag, else /proc/net/tcp{,6}), every owner from
/proc/<pid>/fd (as `ss -p` finds them), details from /proc — no psutil (check-port's fast path)."""

from __future__ import annotations

import _socket  # not `socket`: its import (selectors, enum wrappers) costs a few ms
import os
import struct
import sys

from netra_devtools.ports._model import Holder, Socket

assert sys.platform.startswith("linux")  # Linux only: imported by _posix.scan

LISTEN = "0A"
TIME_WAIT = "06"
_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
_STATE_BITS = {LISTEN: 1 << 10, TIME_WAIT: 1 << 6}
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST_DUMP = 0x301
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_IPPROTO_TCP = 6


def _decode_address(hex_addr: str) -> str:
    """Kernel hex (host byte order per 32-bit word) → printable IP address."""
    raw = bytes.fromhex(hex_addr)
    if sys.byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    # An IPv4-mapped listener in tcp6 is an IPv4 listener for our purposes (see _printable).
    return _printable(_socket.AF_INET if len(raw) == 4 else _socket.AF_INET6, raw)


def _printable(family: int, raw: bytes) -> str:
    text = _socket.inet_ntop(family, raw)
    return text[7:] if text.startswith("::ffff:") and "." in text else text


def _diag_dump(family: int, states: int, port: int) -> list[tuple[str, str, int, int]]:
    """One NETLINK_SOCK_DIAG dump: the kernel walks only the tables for `states` (LISTEN is
    a tiny hash), ~100x cheaper than generating /proc/net/tcp on a busy machine."""
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, _NETLINK_SOCK_DIAG)
    try:
        sock.settimeout(2.0)
        request = struct.pack("=BBBBI", family, _IPPROTO_TCP, 0, 0, states) + bytes(48)
        header = struct.pack(
            "=IHHII", 16 + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST_DUMP, 1, 0
        )
        sock.sendto(header + request, (0, 0))
        rows: list[tuple[str, str, int, int]] = []
        names = {bit: name for name, bit in _STATE_BITS.items()}
        while True:
            data = sock.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == _NLMSG_DONE:
                    return rows
                if kind == _NLMSG_ERROR or length < 16:
                    raise OSError("sock_diag refused the dump")
                body = offset + 16  # struct inet_diag_msg
                state, sport = data[body + 1], struct.unpack_from(">H", data, body + 4)[0]
                if sport == port:
                    size = 4 if family == _socket.AF_INET else 16
                    address = _printable(family, data[body + 8 : body + 8 + size])
                    uid, inode = struct.unpack_from("=II", data, body + 64)
                    rows.append((address, names.get(1 << state, f"{state:02X}"), uid, inode))
                offset += (length + 3) & ~3
    finally:
        sock.close()


def socket_rows(port: int, states: tuple[str, ...]) -> list[tuple[str, str, int, int]]:
    """(address, state, uid, inode) for every TCP socket on local `port` in one of `states`."""
    mask = sum(_STATE_BITS[s] for s in states)
    try:
        return [
            row
            for family in (_socket.AF_INET, _socket.AF_INET6)
            for row in _diag_dump(family, mask, port)
        ]
    except OSError:  # no sock_diag (old kernel, sandbox): the text tables always exist
        return proc_socket_rows(port, states)


def proc_socket_rows(port: int, states: tuple[str, ...]) -> list[tuple[str, str, int, int]]:
    """socket_rows() from /proc/net/tcp and tcp6 (slower: the kernel formats every socket)."""
    needle = b":%04X " % port  # cheap pre-filter: busy machines have thousands of rows
    rows = []
    for table in _TABLES:
        try:
            with open(table, "rb") as fh:
                data = fh.read()
        except OSError:
            continue  # no IPv6 in this kernel / namespace
        for line in data.split(b"\n"):
            if needle not in line:
                continue
            parts = line.decode().split()
            local, _, hex_port = parts[1].partition(":")
            if hex_port != f"{port:04X}" or parts[3] not in states:
                continue  # the needle matched the remote address
            rows.append((_decode_address(local), parts[3], int(parts[7]), int(parts[9])))
    return rows


def owners_of(inodes: set[int]) -> dict[int, list[int]]:
    """inode → every pid whose descriptor table holds it (what `ss -p` and lsof show).

    Every process is read: a socket shared by a fork, a master and its workers, or a reloader
    and its child is held by all of them, and stopping one of them does not free the port.
    Links are read relative to each fd directory (dir_fd): one path lookup each, not four.
    """
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    found: dict[int, list[int]] = {}
    readlink, listdir = os.readlink, os.listdir
    flags = os.O_RDONLY | os.O_DIRECTORY
    for entry in listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fd_dir = os.open(f"/proc/{entry}/fd", flags)
        except OSError:
            continue  # gone, or another user's and we are not root
        try:
            for fd in listdir(fd_dir):
                try:
                    inode = wanted.get(readlink(fd, dir_fd=fd_dir))
                except OSError:
                    continue
                if inode is not None and int(entry) not in found.setdefault(inode, []):
                    found[inode].append(int(entry))
        except OSError:
            pass  # exited while we read it
        finally:
            os.close(fd_dir)
    return found


_BOOT_TIME: float | None = None


def boot_time() -> float:
    """Seconds since the epoch at boot (/proc/stat btime), as psutil computes it."""
    global _BOOT_TIME
    if _BOOT_TIME is None:
        with open("/proc/stat", encoding="utf-8") as fh:  # utf-8's codec is loaded already
            for line in fh:
                if line.startswith("btime"):
                    _BOOT_TIME = float(line.split()[1])
                    break
            else:
                _BOOT_TIME = 0.0
    return _BOOT_TIME


def process_holder(pid: int, address: str = "") -> Holder:
    """A Holder for `pid` read from /proc (name, cmdline, user, ppid, create time)."""
    holder = Holder(pid=pid, address=address)
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            stat = fh.read()
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        holder.ppid = int(fields[1])
        holder.create_time = boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            raw = fh.read()
        holder.cmdline = [a.decode(errors="replace") for a in raw.rstrip(b"\0").split(b"\0") if a]
        holder.name = comm
        if len(comm) >= 15 and holder.cmdline:  # comm is truncated to 15 characters
            base = os.path.basename(holder.cmdline[0])
            holder.name = base if base.startswith(comm) else comm
        with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("Uid:"):
                    holder.uid = int(line.split()[1])
                    break
    except (OSError, ValueError, IndexError):
        holder.note = "process exited or is not readable"
        return holder
    holder.user = user_name(holder.uid)
    return holder


_USERS: dict[int, str] = {}


def user_name(uid: int | None) -> str:
    """The login name for `uid`, or the number as text."""
    if uid is None:
        return ""
    if uid not in _USERS:
        import pwd

        try:
            _USERS[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            _USERS[uid] = str(uid)
    return _USERS[uid]


def environ(pid: int) -> dict[str, str] | None:
    """The environment `pid` started with, or None when it is not readable (another user's)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


def scan(port: int) -> tuple[list[Socket], list[Holder], int | None]:
    """(listening sockets on `port`, the processes holding them, count of TIME_WAIT sockets).

    TIME_WAIT is counted only when nothing listens, the one case where it can explain a failed
    bind: the kernel walks its whole connection table for it (~4 ms on a busy machine), where
    listeners are a small table of their own.
    """
    rows = sorted(socket_rows(port, (LISTEN,)))
    if not rows:
        return [], [], len(socket_rows(port, (TIME_WAIT,)))
    owners = owners_of({r[3] for r in rows})
    sockets: list[Socket] = []
    holders: dict[int, Holder] = {}
    hidden: list[Holder] = []
    for address, _state, uid, inode in rows:
        pids = sorted(owners.get(inode, []))
        sockets.append(Socket(address, inode, uid, user_name(uid), pids))
        for pid in pids:
            if pid not in holders:
                holders[pid] = process_holder(pid, address)
        if not pids:
            note = "owner not visible (another user's process; run as root to see it)"
            hidden.append(
                Holder(pid=None, uid=uid, user=user_name(uid), address=address, note=note)
            )
    return sockets, [*holders.values(), *hidden], None


def systemd_unit(pid: int) -> str:
    """The systemd system service `pid` runs in ("" for none, a user's unit, or unreadable)."""
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as fh:
            return unit_from_cgroup(fh.read())
    except OSError:
        return ""


def unit_from_cgroup(text: str) -> str:
    """`0::/system.slice/ssh.service` → "ssh.service"; user slices and containers → ""."""
    for line in text.splitlines():
        hierarchy, _, path = line.partition(":")[2].partition(":")
        if hierarchy not in ("", "name=systemd"):
            continue
        parts = path.split("/")
        if len(parts) > 2 and parts[1] == "system.slice" and parts[2].endswith(".service"):
            return parts[2]
    return ""
