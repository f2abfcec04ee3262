"""The flock primitive and its two policies: one holder at a time, the next one waits, and a
holder killed with SIGKILL releases the lock."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from awsafe.errors import StoreError
from awsafe.flock import lock_file
from awsafe.locks import FileLocks
from awsafe.statedir import UnsafeStateError
from awsafe.vault.lock import exclusive_lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")

HOLDER = """
import sys, time
from pathlib import Path
from awsafe.flock import lock_file
with lock_file(Path(sys.argv[1])) as lock:
    lock.acquire()
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    order: list[str] = []

    def second() -> None:
        with lock_file(path) as lock:
            lock.acquire()  # blocks while the first holds it
            order.append("second")

    with lock_file(path) as first:
        first.acquire()
        with lock_file(path) as other:
            assert not other.try_acquire()
        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and order == []
        order.append("first released")
    waiter.join(10)
    assert order == ["first released", "second"]


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with lock_file(path) as lock:
            assert not lock.try_acquire()
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(10)
            deadline = time.monotonic() + 10
            while not lock.try_acquire():
                assert time.monotonic() < deadline, "the killed holder's lock was never released"
                time.sleep(0.02)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_the_lock_file_is_private_and_never_a_link(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with lock_file(path) as lock:
        lock.acquire()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    link = tmp_path / "link.lock"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises((UnsafeStateError, OSError)), lock_file(link):
        pass
    assert not (tmp_path / "elsewhere").exists()


def test_vault_lock_waits_for_a_session_lock_on_the_same_file(tmp_path: Path) -> None:
    locks = FileLocks(tmp_path / "locks")
    done = threading.Event()

    def writer() -> None:
        with exclusive_lock(tmp_path / "locks" / "abc.lock"):
            done.set()

    with locks.hold("abc", "profile 'demo'"):
        thread = threading.Thread(target=writer)
        thread.start()
        assert not done.wait(0.3)
    assert done.wait(10)
    thread.join(10)


def test_session_lock_says_who_waits_and_gives_up(tmp_path: Path) -> None:
    notices: list[str] = []
    waiting = FileLocks(tmp_path / "locks", notice=notices.append, timeout=0.4, notice_after=0.1)
    gave_up = pytest.raises(StoreError, match="gave up after 0s waiting for another awsafe process")
    with FileLocks(tmp_path / "locks").hold("abc", "profile 'demo'"), gave_up, waiting.hold("abc", "x"):
        pytest.fail("the lock was granted twice")
    assert notices == ["waiting for another awsafe process fetching x"]
    with waiting.hold("abc", "profile 'demo'"):
        pass  # free again once its holder left
