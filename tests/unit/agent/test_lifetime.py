"""The agent's deadlines with a fake clock: idle time, busy time, the maximum lifetime, a stop."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import pytest

from awsafe.agent.lifetime import Lifetime, resolve_limits
from awsafe.errors import UsageError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lifetime(clock: FakeClock, idle: float = 60, lifetime: float = 600) -> Lifetime:
    return Lifetime(dt.timedelta(seconds=idle), dt.timedelta(seconds=lifetime), monotonic=clock)


def test_limits_from_flags_then_environment_then_defaults() -> None:
    assert resolve_limits(None, None, {}) == (dt.timedelta(hours=1), dt.timedelta(hours=12))
    environ = {"AWSAFE_AGENT_IDLE": "2s", "AWSAFE_AGENT_LIFETIME": "1h30m"}
    assert resolve_limits(None, None, environ) == (dt.timedelta(seconds=2), dt.timedelta(minutes=90))
    assert resolve_limits("5m", "2h", environ) == (dt.timedelta(minutes=5), dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("idle", "message"), [("0s", "--idle must be at least 1s"), ("soon", "not a duration")]
)
def test_bad_limits_are_usage_errors(idle: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_limits(idle, None, {})


def test_idle_counts_from_the_last_use_and_not_while_busy() -> None:
    clock = FakeClock()
    life = _lifetime(clock)
    assert life._next_wake() == 60
    clock.now += 50
    life.begin_use()
    clock.now += 100  # a long request (an MFA prompt): never idle meanwhile
    assert life._expired() is None
    assert life.idle_left() == 60
    life.end_use()
    assert life.idle_left() == 60
    clock.now += 59
    assert life._expired() is None
    clock.now += 1
    assert life._expired() == "it was idle too long"


def test_the_maximum_lifetime_ends_even_a_busy_agent() -> None:
    clock = FakeClock()
    life = _lifetime(clock, idle=60, lifetime=90)
    life.begin_use()
    clock.now += 89
    assert life._expired() is None
    assert life._next_wake() == 1
    clock.now += 1
    assert life._expired() == "its maximum lifetime ran out"
    assert life.lifetime_left() == 0


def test_the_first_stop_reason_stays() -> None:
    life = _lifetime(FakeClock())
    life.stop("asked to stop")
    life.stop("signal SIGTERM")
    assert life.wait() == "asked to stop"


def test_a_stop_wakes_the_wait_at_once() -> None:
    life = Lifetime(dt.timedelta(hours=1), dt.timedelta(hours=2))
    reasons: list[str] = []
    waiter = threading.Thread(target=lambda: reasons.append(life.wait()))
    waiter.start()
    life.stop("asked to stop")
    waiter.join(2)
    assert reasons == ["asked to stop"]


def test_the_socket_watch(tmp_path: Path) -> None:
    clock = FakeClock()
    life = _lifetime(clock, idle=100)
    assert life.watch_interval == 10  # idle / 10, between 1 s and 30 s
    path = tmp_path / "s"
    path.write_text("")
    life.watch_socket(str(path))
    assert life._next_wake() == 10
    assert life.socket_is_ours()
    os.chmod(path, 0o600)  # a chmod is no replacement
    assert life.socket_is_ours()
    path.unlink()
    time.sleep(0.02)  # past the file system's timestamp granularity
    path.write_text("")  # another file under the same name (often the same inode number)
    assert not life.socket_is_ours()
    assert life._expired() == "its socket was removed or replaced"
    os.unlink(path)
    assert not life.socket_is_ours()


def test_the_watch_interval_is_bounded() -> None:
    assert _lifetime(FakeClock(), idle=3600).watch_interval == 30
    assert _lifetime(FakeClock(), idle=2).watch_interval == 1


def test_status_answer_times_are_the_median_and_99th_percentile_in_ms() -> None:
    from awsafe.agent.service import render_answer_times

    assert render_answer_times([]) == {}
    times = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    assert render_answer_times(times) == {"answers_timed": 100, "answer_ms_p50": 51.0, "answer_ms_p99": 100.0}
