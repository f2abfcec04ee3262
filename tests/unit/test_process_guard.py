"""Start-up guards, each in a fresh interpreter (they change the process for good)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")


def _python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@linux_only
def test_make_undumpable_leaves_the_process_not_dumpable() -> None:
    out = _python(
        "import ctypes; from awsafe.process_guard import make_undumpable\n"
        "before = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)\n"
        "said = make_undumpable()\n"
        "print(before, said, ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))"
    )
    assert out.split() == ["1", "True", "0"]


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_CORE")
def test_disable_core_dumps_sets_soft_and_hard_limits_to_zero() -> None:
    out = _python(
        "import resource; from awsafe.process_guard import disable_core_dumps\n"
        "disable_core_dumps(); print(*resource.getrlimit(resource.RLIMIT_CORE))"
    )
    assert out.split() == ["0", "0"]


def test_the_passphrase_is_kept_for_awsafe_and_gone_for_every_later_child() -> None:
    out = _python(
        "import json, os, subprocess, sys\n"
        "from awsafe.process_guard import take_process_environ\n"
        "taken = take_process_environ()\n"
        "dump = 'import os, json; print(json.dumps(dict(os.environ)))'\n"
        "child = subprocess.run([sys.executable, '-c', dump], capture_output=True, text=True).stdout\n"
        "shell = subprocess.run('env', shell=True, capture_output=True, text=True).stdout\n"
        "print(json.dumps([taken.get('AWSAFE_FILE_PASSPHRASE'), taken.get('AWS_VAULT_FILE_PASSPHRASE'),"
        " take_process_environ() is taken, 'AWSAFE_FILE_PASSPHRASE' in os.environ,"
        " sorted(k for k in json.loads(child) if 'PASSPHRASE' in k), 'pass-phrase-1' in shell + child]))",
        AWSAFE_FILE_PASSPHRASE="pass-phrase-1",
        AWS_VAULT_FILE_PASSPHRASE="pass-phrase-1",
        AWSAFE_KEEPASSXC_PASSPHRASE="pass-phrase-1",  # the KeePass database's, just the same
    )
    assert json.loads(out) == ["pass-phrase-1", "pass-phrase-1", True, False, [], False]
