"""Named cross-process locks (`awsafe.locks.FileLocks`), through their public face only: one
holder per name, the others wait (with one notice) or give up with a message that says what they
waited for; a holder that dies, even by SIGKILL, leaves no stale lock."""

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
from awsafe.locks import FileLocks

NAME = "0123abcd" * 5  # lock names are what SessionKey.name gives: 40 hex digits
LABEL = "assume-role of profile 'test'"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "state" / "locks"


def test_holding_makes_private_state(directory: Path) -> None:
    with FileLocks(directory).hold(NAME, LABEL):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert stat.S_IMODE(directory.parent.stat().st_mode) == 0o700
        files = list(directory.iterdir())
        assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
        assert all(NAME in f.name for f in files)  # named by the hash, never by a profile


def test_a_second_holder_of_the_same_name_gives_up_naming_what_it_waited_for(directory: Path) -> None:
    with FileLocks(directory).hold(NAME, LABEL):
        started = time.monotonic()
        with pytest.raises(StoreError) as raised, FileLocks(directory, timeout=0.3).hold(NAME, LABEL):
            pytest.fail("two holders of one lock")
        assert time.monotonic() - started >= 0.3
    assert raised.value.message == f"gave up after 0s waiting for another awsafe process fetching {LABEL}"


def test_other_names_do_not_wait(directory: Path) -> None:
    locks = FileLocks(directory, timeout=0.2)
    with locks.hold(NAME, LABEL), locks.hold("f" * 40, "another"):
        pass


def test_a_waiter_gets_the_lock_when_the_holder_lets_go_and_is_told_once(directory: Path) -> None:
    notices: list[str] = []
    events: list[str] = []
    held = threading.Event()

    def holder() -> None:
        with FileLocks(directory).hold(NAME, LABEL):
            held.set()
            time.sleep(0.5)
            events.append("released")

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    with FileLocks(directory, notice=notices.append, notice_after=0.1, timeout=10).hold(NAME, LABEL):
        events.append("acquired")
    thread.join()
    assert events == ["released", "acquired"]
    assert notices == [f"waiting for another awsafe process fetching {LABEL}"]


def test_no_notice_when_the_lock_is_free(directory: Path) -> None:
    notices: list[str] = []
    with FileLocks(directory, notice=notices.append, notice_after=0).hold(NAME, LABEL):
        pass
    assert notices == []


def test_the_lock_is_released_when_the_body_raises(directory: Path) -> None:
    with pytest.raises(RuntimeError), FileLocks(directory).hold(NAME, LABEL):
        raise RuntimeError("the fetch failed")
    with FileLocks(directory, timeout=0.2).hold(NAME, LABEL):
        pass


def test_a_holder_killed_with_sigkill_leaves_no_stale_lock(directory: Path) -> None:
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from awsafe.locks import FileLocks\n"
            "with FileLocks(Path(sys.argv[1])).hold(sys.argv[2], 'x'):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
            str(directory),
            NAME,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        with pytest.raises(StoreError, match="gave up"), FileLocks(directory, timeout=0.2).hold(NAME, LABEL):
            pass
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        with FileLocks(directory, timeout=2).hold(NAME, LABEL):
            pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.parametrize("name", ["../escape", "a/b", "", "with space", "x.lock"])
def test_a_name_that_is_not_alphanumeric_is_refused(directory: Path, name: str) -> None:
    with pytest.raises(ValueError), FileLocks(directory).hold(name, LABEL):
        pass
    assert not directory.exists() or list(directory.iterdir()) == []


def test_a_lock_that_cannot_be_made_is_a_store_error_naming_the_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory should be")
    directory = blocker / "locks"
    with (
        pytest.raises(StoreError, match=f"cannot create a lock in {directory}"),
        FileLocks(directory).hold(NAME, LABEL),
    ):
        pass
