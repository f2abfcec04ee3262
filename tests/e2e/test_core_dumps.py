"""No core file: `awsafe server` started under `ulimit -c unlimited` has core dumps off (soft and
hard) and is not dumpable, so SIGQUIT leaves no core holding the passphrase or the keys."""

from __future__ import annotations

import re
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import browser_command
from tests.support.env import run_awsafe, start_awsafe
from tests.support.fake_federation import FakeFederation
from tests.support.worlds import Seed, SsoWorld

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl are Linux's")


def _core_unlimited() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))  # `ulimit -c unlimited` where allowed


@pytest.fixture
def server(seed: Seed, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
        pytest.skip("the hard core limit is 0 here: nothing to turn off")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    process = start_awsafe(
        "server",
        "--debug",
        "test",
        env={**seed.env, "AWS_VAULT_FILE_PASSPHRASE": "test-passphrase"},
        cwd=cwd,
        preexec_fn=_core_unlimited,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        line = process.stdout.readline()
        assert line.startswith("AWS_CONTAINER_CREDENTIALS_FULL_URI="), process.stderr.read()
        yield process, cwd
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=20)


def _limits(pid: int) -> tuple[str, str]:
    text = Path(f"/proc/{pid}/limits").read_text()
    match = re.search(r"^Max core file size\s+(\S+)\s+(\S+)", text, re.MULTILINE)
    assert match, text
    return match.group(1), match.group(2)


@linux_only
def test_server_has_core_dumps_off_and_sigquit_leaves_no_core(
    server: tuple[subprocess.Popen[str], Path],
) -> None:
    process, cwd = server
    assert _limits(process.pid) == ("0", "0")
    process.send_signal(signal.SIGQUIT)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == -signal.SIGQUIT
    # Root (the tests' user) may read any process, so the kernel's own word is what it reported:
    # prctl(PR_GET_DUMPABLE) in the server said 0 (tests/unit/test_process_guard.py checks that call).
    assert f"process {process.pid} is not dumpable" in stderr
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if not pattern.startswith("|"):  # a file pattern: relative ones land in the cwd
        directory = Path(pattern).parent if pattern.startswith("/") else cwd
        prefix = Path(pattern).name.split("%")[0]
        assert [p.name for p in directory.iterdir() if p.name.startswith(prefix)] == []


@linux_only
def test_without_the_guard_sigquit_does_leave_a_core_here(tmp_path: Path) -> None:
    # The control: the check above can fail on this machine, since an unguarded process dumps.
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if pattern.startswith("|") or pattern.startswith("/"):
        pytest.skip(f"cores go to {pattern!r}, not to the working directory")
    if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
        pytest.skip("the hard core limit is 0 here")
    victim = subprocess.run(
        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGQUIT)"],
        cwd=tmp_path,
        preexec_fn=_core_unlimited,
        check=False,
    )
    assert victim.returncode == -signal.SIGQUIT
    prefix = Path(pattern).name.split("%")[0]
    cores = [p for p in tmp_path.iterdir() if p.name.startswith(prefix)]
    assert cores
    for core in cores:
        core.unlink()


@linux_only
def test_exec_in_server_mode_makes_awsafe_not_dumpable(seed: Seed) -> None:
    served = run_awsafe("--debug", "exec", "--ecs-server", "test", "--", "true", env=seed.env)
    assert served.returncode == 0, served.stderr
    assert re.search(r"process \d+ is not dumpable", served.stderr), served.stderr


@linux_only
def test_an_sso_sign_in_makes_awsafe_not_dumpable(sso: SsoWorld) -> None:
    signed_in = run_awsafe("--debug", "export", "sso-dev", env=sso.env)
    assert signed_in.returncode == 0, signed_in.stderr
    assert "not dumpable while signing in" in signed_in.stderr
    cached = run_awsafe("--debug", "export", "sso-dev", env=sso.env)  # no sign-in: no need
    assert cached.returncode == 0 and "dumpable" not in cached.stderr


@linux_only
def test_login_waiting_for_the_browser_makes_awsafe_not_dumpable(seed: Seed, tmp_path: Path) -> None:
    with FakeFederation(seed.moto.url, moto_calls=seed.moto.calls) as federation:
        env = {**seed.env, **federation.env(), "BROWSER": browser_command()}
        env["FAKE_BROWSER_LOG"] = str(tmp_path / "browser.log")
        opened = run_awsafe("--debug", "login", "test", env=env)
        printed = run_awsafe("--debug", "login", "test", "--stdout", env=env)  # no wait: no need
    assert opened.returncode == 0, opened.stderr
    assert re.search(r"process \d+ is not dumpable while the browser signs in", opened.stderr)
    assert printed.returncode == 0 and "dumpable" not in printed.stderr
