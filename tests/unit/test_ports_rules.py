"""Port doctor rules without processes: errno classes, reloader recognition, system units, input,
JSON."""

from __future__ import annotations

import errno
import json

import pytest

from netra_devtools.compat import LINUX
from netra_devtools.ports._bind import classify, normalise_host
from netra_devtools.ports._diagnose import check_port_number
from netra_devtools.ports._docker import proxy_target
from netra_devtools.ports._model import Diagnosis, Fix, Holder, Socket
from netra_devtools.ports._reloader import entry_point, respawner
from tests.support.skips import by_design


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


UVICORN_RELOAD = ["/venv/bin/python", "/venv/bin/uvicorn", "app:app", "--reload", "--port", "8000"]
UVICORN_WORKER = ["/venv/bin/python", "-c",
                  "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)",
                  "--multiprocessing-fork"]  # fmt: skip
DJANGO = ["python", "manage.py", "runserver", "8000"]
SERVER = ["python", "server.py"]


@pytest.mark.parametrize(
    ("cmdline", "entry"),
    [
        (UVICORN_RELOAD, "uvicorn"),
        (["python3.11", "-X", "dev", "-m", "uvicorn", "app:app"], "uvicorn"),
        (["/usr/bin/python3", "-u", "-m", "watchdog.watchmedo", "auto-restart"], "watchmedo"),
        (["C:\\Python311\\python.exe", "C:\\venv\\Scripts\\watchfiles-script.py"], "watchfiles"),
        (["node", "/usr/lib/node_modules/nodemon/bin/nodemon.js", "server.js"], "nodemon"),
        (["gunicorn: master [app:app]"], "gunicorn"),
        (["/venv/bin/python", "/venv/bin/hypercorn", "app:app", "--reload"], "hypercorn"),
        (["python", "-m", "flask", "run", "--debug"], "flask"),
        (["/usr/bin/python3", "/usr/local/bin/hupper", "-m", "app"], "hupper"),
        (["python", "-m", "watchgod", "app.main"], "watchgod"),
        (["/bin/bash", "-c", "uvicorn app:app --reload"], "bash"),
        (UVICORN_WORKER, ""),
        ([], ""),
    ],
)  # fmt: skip
def test_entry_point_is_the_module_or_script_a_process_runs(cmdline: list[str], entry: str) -> None:
    assert entry_point(cmdline) == entry


RUN_MAIN = {"RUN_MAIN": "true"}


@pytest.mark.parametrize(
    ("parent", "child", "child_env", "kind"),
    [
        (UVICORN_RELOAD, UVICORN_WORKER, {}, "uvicorn"),
        (["/venv/bin/python", "/venv/bin/watchfiles", "uvicorn app:app", "."],
         ["/venv/bin/python", "/venv/bin/uvicorn", "app:app"], {}, "watchfiles"),
        (["node", "/opt/nodemon/bin/nodemon.js"], ["node", "server.js"], None, "nodemon"),
        (["python", "-m", "flask", "run"], ["python", "-m", "flask", "run"], None, "werkzeug"),
        (["/venv/bin/hupper", "-m", "app"], SERVER, None, "hupper"),
        (["python", "-m", "watchgod", "app.main"], SERVER, None, "watchgod"),
        (["/venv/bin/python", "/venv/bin/hypercorn", "app:app"], SERVER, None, "hypercorn"),
        (["gunicorn: master [app:app]"], ["gunicorn: worker [app:app]"], None, "gunicorn"),
        # Django and werkzeug re-run their own command with RUN_MAIN set in the child
        (DJANGO, ["/usr/bin/python3.11", "manage.py", "runserver", "8000"], RUN_MAIN,
         "werkzeug/django autoreload"),
        (SERVER, SERVER, {"WERKZEUG_RUN_MAIN": "true"}, "werkzeug/django autoreload"),
        (DJANGO, DJANGO, {}, ""),  # the same command without the protocol: not a reloader
        (DJANGO, DJANGO, None, ""),  # environment not readable: not known to be one
        # words in a command line never make a reloader
        (["/bin/bash", "-c", "python server.py --reload"], SERVER, RUN_MAIN, ""),
        (["sh", "-c", "watchfiles autoreload --reload"], SERVER, {}, ""),
        (["python", "supervisor.py", "--reload"], SERVER, {}, ""),
        ([], DJANGO, RUN_MAIN, ""),
    ],
)  # fmt: skip
def test_reloaders_are_recognised_by_what_they_are(
    parent: list[str], child: list[str], child_env: dict[str, str] | None, kind: str
) -> None:
    assert respawner(parent, child, child_env) == kind


@pytest.mark.parametrize(
    ("cgroup", "unit"),
    [
        ("0::/system.slice/ssh.service\n", "ssh.service"),
        ("12:pids:/\n1:name=systemd:/system.slice/postgresql@15-main.service\n0::/\n",
         "postgresql@15-main.service"),
        ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/dev.service\n", ""),
        ("0::/init.scope\n", ""),
        ("0::/\n", ""),
        ("0::/system.slice/docker-4f2a.scope\n", ""),  # a container's processes are not units
    ],
)  # fmt: skip
@by_design(not LINUX, "cgroups and systemd are Linux's")
def test_system_units_are_read_from_the_cgroup(cgroup: str, unit: str) -> None:
    from netra_devtools.ports._linux import unit_from_cgroup

    assert unit_from_cgroup(cgroup) == unit


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
    holders = [Holder(42, name="x", root=42), Holder(43, name="y", role="member", root=42)]
    diag = Diagnosis(8000, None, False, "in use", holders, excluded_range=(1, 2))
    diag.sockets.append(Socket("127.0.0.1", 99, 0, "root", [42, 43]))
    diag.fixes.append(Fix("stop", ["kill", "42"]))
    data = json.loads(json.dumps(diag.to_json()))
    assert data["holders"][0]["pid"] == 42 and data["holders"][0]["cmdline"] == []
    assert [h["role"] for h in data["holders"]] == ["root", "member"]
    assert data["sockets"] == [
        {"address": "127.0.0.1", "inode": 99, "uid": 0, "user": "root", "pids": [42, 43]}
    ]
    assert list(diag.trees()) == [42]
    assert data["fixes"][0] == {"description": "stop", "argv": ["kill", "42"],
                                "needs_admin": False, "command": "kill 42"}  # fmt: skip
    assert data["excluded_range"] == [1, 2]
    assert Holder(1).cmdline is not Holder(2).cmdline  # defaults are not shared


@pytest.mark.parametrize(
    "argv",
    [["check", "--json"], ["check", "--port", "8123", "--json"], ["check", "--json", "--port", "1"],
     ["check", "--port=65535", "--json"], ["check", "--json", "--port", "08000"]],
)  # fmt: skip
def test_the_fast_path_serves_check_json_as_the_parser_reads_it(argv: list[str]) -> None:
    from netra_devtools.ports.cli import build_parser, fast_check_port

    args = build_parser().parse_args(argv)
    assert (args.command, args.json, args.host) == ("check", True, None)
    assert fast_check_port(argv) == args.port


@pytest.mark.parametrize(
    "argv",
    [["check"], ["check", "--port", "8000"], ["fix", "--json"], ["check", "--json", "--help"],
     ["check", "--json", "--port", "0"], ["check", "--json", "--port", "70000"],
     ["check", "--json", "--port", "x"], ["check", "--json", "--port", "\u0668"],
     ["check", "--json", "--host", "::1"], ["check", "--json", "--json"],
     ["check", "--json", "--verbose"], ["check", "--json", "--port"], []],
)  # fmt: skip
def test_everything_else_goes_to_the_parser(argv: list[str]) -> None:
    from netra_devtools.ports.cli import fast_check_port

    assert fast_check_port(argv) is None


@pytest.mark.parametrize(
    "value",
    [{"a": [1, 2.5, None, True, False], "b": {"c": "d"}}, "naïve \u2603 \n\t\"\\ \x00",
     [], {}, 1796278506.86, -0.0, 10**20, ("t", 1), {"started": None, "argv": ["kill", "42"]}],
)  # fmt: skip
def test_the_fast_paths_json_text_is_what_json_dumps_writes(value: object) -> None:
    from netra_devtools.ports._jsontext import dumps

    assert dumps(value) == json.dumps(value)
