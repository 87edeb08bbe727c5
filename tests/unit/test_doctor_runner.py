"""The doctor's runner: isolation of crashing checks, fixes, verdicts and the CLI contract."""

from __future__ import annotations

import json

from netra_devtools.doctor import runner
from netra_devtools.doctor.cli import main
from netra_devtools.doctor.model import Check, CheckResult, FixOutcome, Status


def _ok() -> CheckResult:
    return CheckResult(Status.OK, "fine")


def _boom() -> CheckResult:
    raise RuntimeError("probe exploded")


def test_a_crashing_check_is_reported_and_the_others_still_run() -> None:
    verdicts = runner.run_all([Check("a", "A", _boom), Check("b", "B", _ok)])
    assert [v.result.status for v in verdicts] == [Status.CRASHED, Status.OK]
    assert "probe exploded" in verdicts[0].result.reason
    assert runner.overall(verdicts) == Status.FAIL


def test_fix_is_applied_then_the_check_runs_again() -> None:
    state = {"broken": True}

    def probe() -> CheckResult:
        if state["broken"]:
            return CheckResult(Status.FAIL, "broken", fix="repair it", fixable=True)
        return CheckResult(Status.OK, "repaired")

    def repair(_result: CheckResult) -> FixOutcome:
        state["broken"] = False
        return FixOutcome(True, "repaired")

    verdicts = runner.run_all([Check("x", "X", probe, repair=repair)], fix=True)
    assert verdicts[0].result.status == Status.OK
    assert verdicts[0].fix is not None and verdicts[0].fix.applied


def test_destructive_fix_is_not_applied_when_declined() -> None:
    applied = []

    def probe() -> CheckResult:
        return CheckResult(Status.FAIL, "held", fixable=True)

    check = Check(
        "p",
        "P",
        probe,
        repair=lambda r: applied.append(1) or FixOutcome(True, "x"),
        destructive=True,
    )
    verdicts = runner.run_all([check], fix=True, confirm=lambda _q: False)
    assert applied == []
    assert verdicts[0].result.status == Status.FAIL
    assert verdicts[0].fix is not None and verdicts[0].fix.message == "declined"


def test_json_masks_passwords() -> None:
    def leaky() -> CheckResult:
        return CheckResult(Status.FAIL, "postgresql://app:hunter2@db:5432/x refused")

    out = runner.to_json(runner.run_all([Check("pg", "PG", leaky)]))
    assert "hunter2" not in out
    assert json.loads(out)["status"] == "fail"


def test_unknown_check_name_is_bad_usage(capsys) -> None:
    assert main(["--check", "no-such-check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown check 'no-such-check'")


def test_list_checks_names_every_check(capsys) -> None:
    assert main(["--list-checks"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["python", "docker", "ports", "postgres", "migrations", "clickhouse", "logs"]
