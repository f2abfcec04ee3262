"""The one runner of configured programs: argv without a shell, stdin closed, a deadline, a
cap on stdout, no vault passphrase in its environment, and errors naming only the program."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from awsafe.programs import Limits, ProgramError, run_program

LIMITS = Limits(timeout=10, max_stdout=1024)
SECRET_ARG = "argv-secret-0123456789"


def script(tmp_path: Path, body: str, name: str = "helper") -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport os, sys, time\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_argv_is_not_given_to_a_shell_and_stdin_is_closed(tmp_path: Path) -> None:
    helper = script(tmp_path, "print(sys.argv[1:], repr(sys.stdin.read()))")
    done = run_program([helper, "$HOME", "a b;c"], environ=dict(os.environ), limits=LIMITS)
    assert done.returncode == 0
    assert done.stdout == "['$HOME', 'a b;c'] ''\n"
    assert done.program == "helper"


def test_the_vault_passphrase_stays_out_of_its_environment(tmp_path: Path) -> None:
    helper = script(tmp_path, "print(sorted(k for k in os.environ if 'PASSPHRASE' in k or k == 'KEPT'))")
    environ = {**os.environ, "AWSAFE_FILE_PASSPHRASE": "p", "AWS_VAULT_FILE_PASSPHRASE": "p", "KEPT": "1"}
    environ["AWSAFE_KEEPASSXC_PASSPHRASE"] = "p"
    done = run_program([helper], environ=environ, limits=LIMITS)
    assert done.stdout == "['KEPT']\n"


def test_a_bare_name_is_looked_up_on_the_given_path(tmp_path: Path) -> None:
    script(tmp_path, "print('found')", name="onpath")
    done = run_program(["onpath"], environ={"PATH": str(tmp_path)}, limits=LIMITS)
    assert done.stdout == "found\n"
    with pytest.raises(ProgramError) as caught:
        run_program(["onpath", SECRET_ARG], environ={"PATH": "/nonexistent"}, limits=LIMITS)
    assert (caught.value.kind, caught.value.program) == ("missing", "onpath")
    assert SECRET_ARG not in str(caught.value)


def test_a_program_that_cannot_start_names_only_itself(tmp_path: Path) -> None:
    plain = tmp_path / "notexec"
    plain.write_text("print(1)\n")
    with pytest.raises(ProgramError) as caught:
        run_program([str(plain), SECRET_ARG], environ=dict(os.environ), limits=LIMITS)
    assert caught.value.kind == "unstartable" and isinstance(caught.value.oserror, PermissionError)
    assert str(caught.value) == "notexec: unstartable"


def test_a_program_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    helper = script(tmp_path, "time.sleep(30)")
    started = time.monotonic()
    with pytest.raises(ProgramError) as caught:
        run_program([helper], environ=dict(os.environ), limits=Limits(timeout=0.5, max_stdout=1024))
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 5


def test_output_beyond_the_cap_is_dropped_by_default(tmp_path: Path) -> None:
    helper = script(tmp_path, "sys.stdout.write('x' * 5000 + 'END')\nsys.stderr.write('oops\\n')")
    done = run_program([helper], environ=dict(os.environ), limits=LIMITS)
    assert done.output == b"x" * 1024
    assert done.returncode == 0 and done.stderr_line == "oops"


def test_output_beyond_the_cap_stops_the_program_when_asked(tmp_path: Path) -> None:
    helper = script(tmp_path, "while True: sys.stdout.write('x' * 4096)")
    limits = Limits(timeout=30, max_stdout=64 * 1024, stop_on_overflow=True, read_to_eof=True)
    started = time.monotonic()
    with pytest.raises(ProgramError) as caught:
        run_program([helper], environ=dict(os.environ), limits=limits)
    assert caught.value.kind == "overflow"
    assert time.monotonic() - started < 10


def test_exactly_the_cap_is_allowed(tmp_path: Path) -> None:
    helper = script(tmp_path, "sys.stdout.write('y' * 1024)")
    limits = Limits(timeout=10, max_stdout=1024, stop_on_overflow=True, read_to_eof=True)
    assert run_program([helper], environ=dict(os.environ), limits=limits).output == b"y" * 1024


def test_a_failing_program_is_a_result_not_an_error(tmp_path: Path) -> None:
    helper = script(tmp_path, "sys.exit(4)")
    done = run_program([helper], environ=dict(os.environ), limits=LIMITS)
    assert done.returncode == 4 and done.render_exit() == "helper exited with 4"
    assert SECRET_ARG not in repr(done)
