"""Port doctor rules without processes: errno classes, reloader recognition, input, JSON."""

from __future__ import annotations

import errno
import json

import pytest

from netra_devtools.ports._bind import classify, normalise_host
from netra_devtools.ports._diagnose import check_port_number
from netra_devtools.ports._docker import proxy_target
from netra_devtools.ports._model import Diagnosis, Fix, Holder
from netra_devtools.ports._reloader import is_reloader


@pytest.mark.parametrize(
    ("code", "port", "status"),
    [
        (errno.EADDRINUSE, 8000, "in_use"),
        (10048, 8000, "in_use"),  # WSAEADDRINUSE
        (10013, 8000, "forbidden"),  # WSAEACCES: excluded range / exclusive bind
        (errno.EACCES, 80, "privileged"),
        (errno.EADDRNOTAVAIL, 8000, "address_not_available"),
        (errno.EAFNOSUPPORT, 8000, "address_not_available"),
    ],
)
def test_bind_errors_are_classified(code: int, port: int, status: str) -> None:
    assert classify(OSError(code, "x"), port) == status


UVICORN_PARENT = ["/venv/bin/python", "/venv/bin/uvicorn", "app:app", "--reload", "--port", "8000"]
UVICORN_WORKER = ["/venv/bin/python", "-c",
                  "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)",
                  "--multiprocessing-fork"]  # fmt: skip
DJANGO = ["python", "manage.py", "runserver", "8000"]


@pytest.mark.parametrize(
    ("parent", "child", "expected"),
    [
        (UVICORN_PARENT, UVICORN_WORKER, True),
        (DJANGO, ["/usr/bin/python3.11", "manage.py", "runserver", "8000"], True),  # re-exec
        (["/venv/bin/python", "/venv/bin/watchfiles", "uvicorn app:app", "."],
         ["/venv/bin/python", "/venv/bin/uvicorn", "app:app"], True),
        (["/bin/bash"], ["python", "server.py"], False),
        (["python", "supervisor.py"], ["python", "server.py"], False),
        (["python", "other.py", "--reload"], ["python", "server.py"], False),
        ([], DJANGO, False),
    ],
)  # fmt: skip
def test_reloader_parents_are_recognised(
    parent: list[str], child: list[str], expected: bool
) -> None:
    assert is_reloader(parent, child) is expected


@pytest.mark.parametrize("bad", [0, -1, 70000, 65536, True, "8000", None])
def test_bad_port_numbers_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        check_port_number(bad)  # type: ignore[arg-type]


def test_hosts_are_normalised_or_refused() -> None:
    assert normalise_host("[::1]") == "::1"
    assert normalise_host("") is None
    with pytest.raises(ValueError):
        normalise_host("localhost")


def test_docker_proxy_cmdline_names_the_target() -> None:
    cmd = ["/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port",
           "8000", "-container-ip", "172.17.0.2", "-container-port", "80"]  # fmt: skip
    assert proxy_target(cmd) == {"container_ip": "172.17.0.2", "container_port": "80"}


def test_diagnosis_json_is_plain_data() -> None:
    diag = Diagnosis(8000, None, False, "in use", [Holder(42, name="x")], excluded_range=(1, 2))
    diag.fixes.append(Fix("stop", ["kill", "42"]))
    data = json.loads(json.dumps(diag.to_json()))
    assert data["holders"][0]["pid"] == 42 and data["holders"][0]["cmdline"] == []
    assert data["fixes"][0] == {"description": "stop", "argv": ["kill", "42"],
                                "needs_admin": False, "command": "kill 42"}  # fmt: skip
    assert data["excluded_range"] == [1, 2]
    assert Holder(1).cmdline is not Holder(2).cmdline  # defaults are not shared
