"""tests/load.py: the command runs while the spinners spin, its status is the exit status, and no spinner
outlives it."""

from __future__ import annotations

import sys

import pytest

from tests.load import main, start_load, stop_load


def test_the_command_status_is_the_exit_status() -> None:
    assert main(["--cpus", "1", "--", sys.executable, "-c", "raise SystemExit(3)"]) == 3
    assert main(["--cpus", "0", "--", sys.executable, "-c", "pass"]) == 0


def test_the_spinners_spin_during_the_command_and_are_gone_after() -> None:
    spinners = start_load(2, nice=5)
    try:
        assert all(spinner.poll() is None for spinner in spinners)
    finally:
        stop_load(spinners)
    assert all(spinner.returncode is not None for spinner in spinners)


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--cpus", "1"])
    assert "give the command to run after --" in capsys.readouterr().err
