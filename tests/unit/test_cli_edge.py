"""The shared CLI edge: exit codes, one-line errors, masked secrets, argument types."""

from __future__ import annotations

import argparse

import pytest

from netra_backend.redact import mask_url
from netra_devtools import cli


@pytest.mark.parametrize("text", ["abc", "0", "-1", "70000", ""])
def test_port_number_rejects_bad_ports(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli.port_number(text)


def test_port_number_accepts_edges() -> None:
    assert cli.port_number("1") == 1
    assert cli.port_number(" 65535 ") == 65535


@pytest.mark.parametrize("text", ["localhost", "300.1.1.1", "", "::g"])
def test_ip_address_rejects_non_addresses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli.ip_address(text)


def test_mask_url_hides_password_keeps_the_rest() -> None:
    masked = mask_url(
        "postgresql+psycopg2://app:s3cr@t!@db.local:5432/netra and http://u:p@h:8123/x"
    )
    assert "s3cr" not in masked and ":p@" not in masked
    assert masked.startswith("postgresql+psycopg2://app:***@db.local:5432/netra")
    assert "http://u:***@h:8123/x" in masked


def _work_raising(exc: BaseException):
    def work(argv):
        raise exc

    return work


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (cli.UsageError("bad --port"), 2),
        (cli.ProblemFound("port busy"), 1),
        (KeyboardInterrupt(), 130),
        (RuntimeError("boom postgresql://u:hunter2@h/db"), 1),
    ],
)
def test_run_cli_maps_errors_to_exit_codes_and_one_line(exc, code, capsys) -> None:
    assert cli.run_cli(_work_raising(exc), []) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "hunter2" not in err
    assert len(err.strip().splitlines()) == 1


def test_parser_errors_become_usage_errors() -> None:
    parser = cli.make_parser("doc")
    parser.add_argument("--port", type=cli.port_number)
    with pytest.raises(cli.UsageError):
        parser.parse_args(["--port", "abc"])


def test_errors_of_both_packages_carry_their_exit_code(capsys) -> None:
    from netra_backend.errors import BadInputError, NetraBackendError
    from netra_devtools.errors import BadInput, NetraDevtoolsError

    class PortHeld(NetraDevtoolsError):
        pass

    cases = [(PortHeld("held"), 1), (BadInput("bad"), 2), (NetraBackendError("x"), 1)]
    cases.append((BadInputError("DATABASE_URL is empty"), 2))
    for exc, code in cases:
        assert cli.run_cli(_work_raising(exc), []) == code
        err = capsys.readouterr().err
        assert err == f"error: {exc}\n"
