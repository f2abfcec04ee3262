"""`run_main(..., timeout=)`: a command that should have been refused but runs on (a server
serving until interrupted) fails its test with exit 70 instead of hanging the suite."""

from __future__ import annotations

import signal

from tests.support.cli import run_main
from tests.support.worlds import Seed


def test_a_command_still_running_at_the_timeout_is_stopped_as_a_bug(seed: Seed) -> None:
    before = signal.getsignal(signal.SIGINT)
    result = run_main("server", "test", env=seed.env, timeout=3)
    assert result.returncode == 70, result.stderr
    assert "unexpected TimeoutError" in result.stderr
    assert "serving credentials of 'test'" in result.stderr  # it really was serving
    assert "server stopped" not in result.stderr
    assert signal.getsignal(signal.SIGINT) is before  # the server put its handlers back
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
