"""mfa_process: split with shlex, run without a shell, bounded in time, its failures named."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from awsafe.errors import ConfigError, MfaError
from awsafe.prompts.mfa import MfaRequest, choose_mfa_source
from tests.unit.prompts.conftest import StandIns

SERIAL = "arn:aws:iam::111111111111:mfa/alice"


def no_tty() -> bool:
    return False


def ask(standins: StandIns, command: str, *, timeout: float = 10.0) -> str:
    source = choose_mfa_source(
        token=None,
        driver=None,
        environ=standins.environ,
        tty_available=no_tty,
        process_timeout=timeout,
    )
    return source(MfaRequest("admin", SERIAL, mfa_process=command))


def test_the_command_is_split_like_shell_words_and_its_stdout_is_the_code(standins: StandIns) -> None:
    otp = standins.add("otp", stdout="  135790\n")
    assert ask(standins, "otp item get 'AWS admin' --field=\"one time\" a\\ b") == "135790"
    [call] = otp.calls()
    assert call["argv"] == ["item", "get", "AWS admin", "--field=one time", "a b"]
    assert call["stdin"] in (None, os.devnull)


def test_quoted_shell_characters_are_plain_arguments(standins: StandIns) -> None:
    otp = standins.add("otp", stdout="135790\n")
    ask(standins, "otp 'a|b' \";\" x\\&y")
    assert otp.argvs() == [["a|b", ";", "x&y"]]


def test_the_command_gets_the_environment_but_not_the_vault_passphrase(standins: StandIns) -> None:
    otp = standins.add("otp", stdout="135790\n")
    standins.environ.update(
        MARKER="seen", AWSAFE_FILE_PASSPHRASE="pass-1", AWS_VAULT_FILE_PASSPHRASE="pass-2"
    )
    ask(standins, "otp")
    [call] = otp.calls()
    assert call["env"]["MARKER"] == "seen"
    assert call["env"]["AWSAFE_FILE_PASSPHRASE"] is None
    assert call["env"]["AWS_VAULT_FILE_PASSPHRASE"] is None


def test_a_program_given_by_path_runs(standins: StandIns) -> None:
    otp = standins.add("otp", stdout="135790\n")
    assert ask(standins, f"{otp.path} --now") == "135790"
    assert otp.argvs() == [["--now"]]


def test_a_failing_command_names_profile_program_exit_code_and_its_first_error_line(
    standins: StandIns,
) -> None:
    standins.add("otp", stderr="\nvault is sealed\nsecond line\n", exit_code=3)
    with pytest.raises(MfaError) as e:
        ask(standins, "otp --password hunter2")
    assert str(e.value) == "mfa_process of profile 'admin' failed: otp exited with 3: vault is sealed"
    assert "hunter2" not in str(e.value)  # the program's name, never its argv
    assert e.value.hint == "run the mfa_process command by hand to see why"


def test_a_missing_program_is_named(standins: StandIns) -> None:
    with pytest.raises(MfaError, match="^mfa_process of profile 'admin': 'nosuch' not found on PATH$"):
        ask(standins, "nosuch --flag")


def test_a_file_that_is_not_executable_is_named(standins: StandIns, tmp_path: Path) -> None:
    script = tmp_path / "otp.sh"
    script.write_text("echo 123456\n")
    with pytest.raises(MfaError, match=r"^mfa_process of profile 'admin': cannot run 'otp.sh': "):
        ask(standins, str(script))


def test_a_command_that_hangs_is_stopped_at_the_timeout(standins: StandIns) -> None:
    standins.add("otp", stdout="135790\n", sleep=30)
    started = time.monotonic()
    with pytest.raises(MfaError) as e:
        ask(standins, "otp", timeout=0.5)
    assert time.monotonic() - started < 5
    assert str(e.value) == "mfa_process of profile 'admin': otp did not finish within 0.5 s (stopped it)"


@pytest.fixture
def grandchild_pids(tmp_path: Path) -> Iterator[Path]:
    pid_file = tmp_path / "grandchild.pid"
    yield pid_file
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_a_grandchild_holding_the_pipe_does_not_make_it_hang(
    standins: StandIns, grandchild_pids: Path
) -> None:
    # The command starts a background process that inherits stdout, then hangs itself.
    launcher = standins.bin / "launcher"
    launcher.write_text(
        f"#!{sys.executable}\n"
        "import subprocess, sys, time\n"
        "p = subprocess.Popen(['sleep', '30'])\n"
        f"open({str(grandchild_pids)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(30)\n"
    )
    launcher.chmod(0o755)
    environ = {"PATH": f"{standins.bin}{os.pathsep}{os.environ['PATH']}"}
    source = choose_mfa_source(
        token=None, driver=None, environ=environ, tty_available=no_tty, process_timeout=0.5
    )
    started = time.monotonic()
    with pytest.raises(MfaError, match="did not finish within 0.5 s"):
        source(MfaRequest("admin", SERIAL, mfa_process="launcher"))
    assert time.monotonic() - started < 5


def test_output_that_is_not_a_code_is_refused_and_not_shown(standins: StandIns) -> None:
    secret = "AQoDYXdzEJr//////////wEaoAK1wvxJY12r2IrDFT2IvAzTCn3zHoZ7YNtpiQLF0MqZye/qwjzP2"
    standins.add("otp", stdout=secret + "\n")
    with pytest.raises(MfaError) as e:
        ask(standins, "otp")
    assert secret not in str(e.value)
    assert str(e.value).startswith(f"mfa_process gave a value of {len(secret)} characters (not shown)")


@pytest.mark.parametrize(
    ("command", "operator"),
    [
        ("op item get x --otp | tr -d ' '", "|"),
        ("otp>code.txt", ">"),
        ("otp && true", "&&"),
        ("otp; true", ";"),
        ("otp $(cat name)", "("),
    ],
)
def test_shell_syntax_is_refused_with_the_way_to_write_it(
    standins: StandIns, command: str, operator: str
) -> None:
    with pytest.raises(ConfigError) as e:
        ask(standins, command)
    assert str(e.value) == (
        f"mfa_process of profile 'admin' uses shell syntax ({operator!r}), but awsafe runs it without a shell"
    )
    assert e.value.hint == "write it as: mfa_process = sh -c '...'"


def test_sh_c_is_how_to_use_a_pipe(standins: StandIns, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(standins.environ, "PATH", os.environ["PATH"])  # sh and tr from the system
    assert ask(standins, 'sh -c \'echo " 24 68 10" | tr -d " "\'') == "246810"


@pytest.mark.parametrize("command", ["otp 'unclosed", "   "])
def test_an_unusable_command_line_is_a_config_error(standins: StandIns, command: str) -> None:
    with pytest.raises(ConfigError, match="^mfa_process of profile 'admin' "):
        ask(standins, command)
