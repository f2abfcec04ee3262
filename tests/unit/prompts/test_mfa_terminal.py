"""The terminal driver on a real pseudo-terminal, with stdin, stdout and stderr taken away as
under credential_process: the prompt and the answer go through /dev/tty only."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.tty import run_in_pty
from tests.unit.prompts.conftest import StandIns

SERIAL = "arn:aws:iam::111111111111:mfa/alice"
PROMPT = f"Enter MFA code for {SERIAL}: "

_CHILD = """
import json, os, signal, sys
signal.alarm(20)  # never outlive a stuck test
params = json.loads(os.environ["MFA_TEST_PARAMS"])
# As under credential_process: stdin and stdout belong to the SDK, stderr is captured. The
# terminal stays open (as the user's shell keeps it), but only /dev/tty reaches it.
terminal = os.dup(0)
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
os.dup2(os.open(params["stdout"], os.O_WRONLY | os.O_CREAT, 0o600), 1)
os.dup2(os.open(params["stderr"], os.O_WRONLY | os.O_CREAT, 0o600), 2)
from awsafe.errors import AwsafeError
from awsafe.prompts.mfa import MfaRequest, choose_mfa_source
source = choose_mfa_source(
    token=None, driver=params["driver"], environ={"PATH": params["path"]},
    server_running=params["server_running"],
)
try:
    result = {"code": source(MfaRequest("admin", params["serial"], mfa_process=params["mfa_process"]))}
except AwsafeError as e:
    result = {"error": str(e)}
with open(params["result"], "w") as f:
    json.dump(result, f)
"""


class Run:
    def __init__(self, code: int, screen: str, result: dict[str, Any], stdout: str, stderr: str) -> None:
        self.code = code
        self.screen = screen
        self.result = result
        self.stdout = stdout
        self.stderr = stderr


def run_child(
    tmp_path: Path,
    answers: list[tuple[str, str]],
    *,
    driver: str | None = None,
    path: str = "",
    server_running: bool = False,
    mfa_process: str | None = None,
) -> Run:
    files = {name: tmp_path / f"child-{name}" for name in ("stdout", "stderr", "result")}
    params = {
        **{name: str(p) for name, p in files.items()},
        "driver": driver,
        "path": path,
        "server_running": server_running,
        "serial": SERIAL,
        "mfa_process": mfa_process,
    }
    env = {**os.environ, "MFA_TEST_PARAMS": json.dumps(params)}
    code, screen = run_in_pty([sys.executable, "-c", _CHILD], env, answers, timeout=30)
    result = json.loads(files["result"].read_text()) if files["result"].exists() else {}
    return Run(
        code,
        screen,
        result,
        files["stdout"].read_text() if files["stdout"].exists() else "",
        files["stderr"].read_text() if files["stderr"].exists() else "",
    )


def test_the_code_is_asked_and_read_on_the_terminal_only(tmp_path: Path) -> None:
    run = run_child(tmp_path, [(PROMPT, "123456")])
    assert run.code == 0, run.screen
    assert run.result == {"code": "123456"}
    assert PROMPT in run.screen
    assert "123456" in run.screen  # shown as typed, as aws-vault does
    assert run.stdout == "" and run.stderr == ""


def test_a_mistyped_code_on_the_terminal_is_refused(tmp_path: Path) -> None:
    run = run_child(tmp_path, [(PROMPT, "12345")])
    assert run.result == {
        "error": "the terminal gave '12345' for profile 'admin', which is not a 6-digit MFA code"
    }


def test_end_of_input_on_the_terminal_is_an_mfa_error(tmp_path: Path) -> None:
    run = run_child(tmp_path, [(PROMPT, "\x04")])
    assert run.result == {"error": "no MFA code entered on the terminal for profile 'admin'"}


def test_with_a_server_running_the_terminal_is_not_used(tmp_path: Path) -> None:
    run = run_child(tmp_path, [], server_running=True)
    assert run.result["error"].startswith("no way to ask for the MFA code of profile 'admin'")
    assert "no terminal prompt while a credential server runs" in run.result["error"]
    assert "Enter MFA code" not in run.screen


def test_mfa_process_messages_reach_the_terminal_not_our_stderr(tmp_path: Path, standins: StandIns) -> None:
    # ykman as mfa_process prints "Touch your YubiKey..." on stderr; the person must see it
    # even when the SDK captures awsafe's stderr.
    standins.add("otp", stdout="246802\n", stderr="Touch your YubiKey...\n")
    run = run_child(tmp_path, [], path=str(standins.bin), mfa_process="otp")
    assert run.result == {"code": "246802"}
    assert "Touch your YubiKey..." in run.screen
    assert run.stdout == "" and run.stderr == ""


@pytest.mark.parametrize("driver", ["terminal", None])
def test_an_explicit_or_automatic_terminal_prompt_is_the_same(tmp_path: Path, driver: str | None) -> None:
    run = run_child(tmp_path, [(PROMPT, " 654321 ")], driver=driver)
    assert run.result == {"code": "654321"}
