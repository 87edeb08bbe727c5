"""Inspect, drain and discard the analytics spool, for people (`invoke spool`) and the doctor.

A spool directory belongs to one backend process at a time (an exclusive lock). When a running
backend holds it, drain and discard go through that backend's loopback admin endpoint
(`POST /api/admin/spool/drain|discard`, its address from the spool's owner note, the admin token
from beside it: `netra_backend.admin_client`); otherwise this process opens the spool itself and,
for a drain, ships it into ClickHouse (`--url` or CLICKHOUSE_URL) with the same deduplicated
insert the backend uses. In compose mode the spool lives in the backend containers, so every
action runs `python -m netra_backend.admin_client` inside them (`compose_spool.py`). `losses()`
turns a status into the sentences that make `invoke spool` exit 1: rows dropped past the limit or
lost to damage.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from netra_backend.redact import mask_secrets, mask_url
from netra_devtools.errors import NetraDevtoolsError

DRAIN_TIMEOUT_S = 30.0


class SpoolAdminError(NetraDevtoolsError, RuntimeError):
    """A drain or discard could not be done; the message says why (secrets masked; exit 1)."""


def default_directory(env: dict[str, str] | None = None) -> Path:
    """CLICKHOUSE_SPOOL_DIR, else `.netra/spool` in the local state directory."""
    from netra_devtools.state import state_dir

    env = dict(os.environ) if env is None else env
    return Path(env.get("CLICKHOUSE_SPOOL_DIR") or state_dir() / "spool")


def status(directory: Path) -> dict[str, Any]:
    """The spool's status summed over its replica directories, read without any lock."""
    from netra_backend.app.analytics.spool.disk import read_status

    return read_status(directory)


def _replica_directories(directory: Path) -> list[Path]:
    from netra_backend.app.analytics.spool.status import replica_directories

    return replica_directories(directory)


def _via_backend(replica: Path, action: str, timeout: float) -> dict[str, Any]:
    """Ask the backend that holds `replica` to drain or discard it (its loopback admin endpoint,
    authenticated with the token it wrote beside the spool)."""
    from netra_backend.admin_client import AdminCallError, call
    from netra_backend.app.analytics.spool.status import read_owner

    owner = read_owner(replica)
    try:
        result = call(replica, action, timeout)
    except AdminCallError as exc:
        raise SpoolAdminError(f"{exc}; a backend drains its spool by itself") from None
    return {**result, "via": f"backend pid {owner.get('pid', '?')} at {owner.get('url')}"}


def _replay_here(spool: Any, clickhouse_url: str | None) -> dict[str, Any]:
    """Ship an opened DiskSpool into ClickHouse from this process."""
    from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
    from netra_backend.app.analytics.schema import ensure_schema, insert_batch
    from netra_backend.app.config import load_settings

    before = int(spool.status()["pending_rows"])
    if before == 0:
        return {"drained": True, "sent": 0, **spool.status(), "via": "this process"}
    if not clickhouse_url:
        raise SpoolAdminError("nothing to drain into: pass --url or set CLICKHOUSE_URL")
    settings = load_settings(clickhouse_url=clickhouse_url)  # validates the URL (SettingsError)
    config = ClickHouseConfig.from_settings(settings)
    assert config is not None
    from netra_backend.app.analytics.spool.errors import SpoolError

    error = None
    try:
        client = config.build_client()
        try:
            ensure_schema(client, config.database)
            spool.ship(functools.partial(insert_batch, client, database=config.database))
        finally:
            client.close()
    except SpoolError as exc:  # the disk (full, failing): say so, not ClickHouse
        raise SpoolAdminError(str(exc)) from None
    except Exception as exc:  # ClickHouse went away (or never answered): what is left waits
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        error = f"ClickHouse at {config.address}: {mask_secrets(first, settings.secrets())}"
    after = spool.status()
    if error and after["pending_rows"] == before:
        raise SpoolAdminError(f"{error} (nothing was sent)")
    sent = before - int(after["pending_rows"])
    return {"drained": after["pending_rows"] == 0, "sent": sent, **after, "via": "this process",
            "error": error}  # fmt: skip


def losses(status: dict[str, Any]) -> list[str]:
    """What the spool at `status` lost, one sentence per replica and kind (empty: nothing)."""
    found = []
    for replica in status.get("replicas", []):
        name = Path(replica["directory"]).name
        if replica["dropped_rows"]:
            found.append(f"{name}: {replica['dropped_rows']} rows dropped past the spool limit")
        for damage in replica.get("damage", []):
            unknown = f" and {damage['unknown']} region(s) of unknown size" * bool(
                damage["unknown"]
            )
            where = damage["copy"] or "not set aside yet: the backend does it when it starts"
            found.append(
                f"{name}: {damage['rows']} rows ({damage['bytes']} bytes){unknown} lost to damage "
                f"in {damage['segment']}; damaged copy: {where}"
            )
    return found


def act(
    directory: Path,
    action: str,
    *,
    clickhouse_url: str | None = None,
    timeout: float = DRAIN_TIMEOUT_S,
) -> list[dict[str, Any]]:
    """`drain` or `discard` every replica spool under `directory`; one result per replica."""
    from netra_backend.app.analytics.spool.disk import DiskSpool, SpoolLockedError

    results = []
    for replica in _replica_directories(directory):
        try:
            spool = DiskSpool(replica)
        except SpoolLockedError:
            result = _via_backend(replica, action, timeout)
        else:
            try:
                if action == "drain":
                    result = _replay_here(spool, clickhouse_url)
                else:
                    result = {"discarded": spool.discard(), **spool.status(), "via": "this process"}
            finally:
                spool.close()
        result["directory"] = str(replica)
        results.append(result)
    return results


def describe_url(url: str | None) -> str:
    """The URL for messages, password masked."""
    return mask_url(url or "") or "(unset)"
