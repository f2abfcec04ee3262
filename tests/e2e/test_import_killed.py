"""`awsafe import credentials-file` killed with SIGKILL at each step keeps every key somewhere.

How the kill lands at a step, honestly and without a hook in awsafe: the test watches the two
folders awsafe writes to with Linux inotify (through ctypes) while the real command runs as its
own process, and sends SIGKILL the moment it sees the event that marks the step: the first and
the 20th item renamed into the vault folder (keys written, more to come), the temporary
credentials file created next to the old one (about to be renamed over it), the rename itself,
and the append to ~/.aws/config (the last step). The process runs on for the few microseconds
the signal takes, so a step is the earliest point a kill lands, not an exact one; each run
records where it really stopped (how many keys are in the vault, whether the file still holds
them), and the test requires that some runs stopped mid-transfer. After every kill: each key is
in the old file or in the vault (or both), never neither, no other file holds a secret, and
running the import again finishes the move.
"""

from __future__ import annotations

import configparser
import ctypes
import os
import select
import signal
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from awsafe.credentials.stored import read_keys
from awsafe.model import Credentials
from awsafe.vault.file import FileStore
from tests.support.cli import run_main
from tests.support.env import start_awsafe

PROFILES = 40  # enough keys that the transfer outlasts the test's reaction to an event
PASSPHRASE = "test-passphrase"  # conftest's AWSAFE_FILE_PASSPHRASE
IN_MODIFY, IN_MOVED_TO, IN_CREATE = 0x2, 0x80, 0x100
Event = tuple[str, int, str]  # (folder label, mask, file name)


class Watch:
    """inotify on a few folders: creations, renames into them, and writes."""

    def __init__(self, folders: dict[str, Path]) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        self.labels = {}
        for label, folder in folders.items():
            wd = libc.inotify_add_watch(self.fd, os.fsencode(folder), IN_MODIFY | IN_MOVED_TO | IN_CREATE)
            assert wd >= 0, os.strerror(ctypes.get_errno())
            self.labels[wd] = label

    def events(self, timeout: float) -> list[Event]:
        if not select.select([self.fd], [], [], timeout)[0]:
            return []
        data, offset, found = os.read(self.fd, 1 << 16), 0, []
        while offset < len(data):
            wd, mask, _, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16 : offset + 16 + length].rstrip(b"\0").decode()
            found.append((self.labels[wd], mask, name))
            offset += 16 + length
        return found

    def close(self) -> None:
        os.close(self.fd)


def _nth(count: int, label: str, mask: int, name: Callable[[str], bool]) -> Callable[[list[Event]], bool]:
    return lambda seen: sum(1 for e in seen if e[0] == label and e[1] & mask and name(e[2])) >= count


STEPS = {
    "first key in the vault": _nth(1, "vault", IN_MOVED_TO, lambda n: not n.startswith(".")),
    "20th key in the vault": _nth(20, "vault", IN_MOVED_TO, lambda n: not n.startswith(".")),
    "new credentials file made": _nth(1, "aws", IN_CREATE, lambda n: n.startswith(".credentials.")),
    "renamed over the old file": _nth(1, "aws", IN_MOVED_TO, lambda n: n == "credentials"),
    "config section appended": _nth(1, "aws", IN_MODIFY, lambda n: n == "config"),
}


def _keys() -> dict[str, Credentials]:
    return {
        f"user{i:02d}": Credentials(f"AKIAKILLTEST{i:08d}", f"kill-test-secret/{i:02d}/value")
        for i in range(PROFILES)
    }


def _world(home: Path, keys: dict[str, Credentials]) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWSAFE_FILE_DIR": str(home / ".awsafe" / "vault"),
    }
    (home / ".aws").mkdir(parents=True)
    lines = ["# team keys\n"]
    for name, k in keys.items():
        lines += [f"[{name}]\n", f"aws_access_key_id = {k.access_key_id}\n"]
        lines += [f"aws_secret_access_key = {k.secret_access_key}\n", "region = eu-west-1\n\n"]
    (home / ".aws" / "credentials").write_text("".join(lines))
    (home / ".aws" / "config").write_text("[profile user00]\nregion = eu-west-1\n")
    # an existing vault, so that its folder can be watched from the start
    other = {"AWS_ACCESS_KEY_ID": "AKIAOTHEROTHEROTHER0", "AWS_SECRET_ACCESS_KEY": "other"}
    assert run_main("add", "other", "--env", env={**env, **other}).returncode == 0
    return env


def _where(home: Path, keys: dict[str, Credentials]) -> tuple[int, int]:
    """(keys still in the file, keys in the vault); fails if one is in neither or a secret is
    anywhere but the credentials file."""
    parser = configparser.RawConfigParser()
    parser.read(home / ".aws" / "credentials")
    store = FileStore(home / ".awsafe" / "vault", lambda: PASSPHRASE, scrypt_log2n=14)
    in_file = in_vault = 0
    for name, k in keys.items():
        filed = parser.get(name, "aws_secret_access_key", fallback=None) == k.secret_access_key
        vaulted = read_keys(store, name) == k
        assert filed or vaulted, f"{name}: in neither the file nor the vault"
        in_file += filed
        in_vault += vaulted
    for folder, _, names in os.walk(home):
        for file_name in names:
            path = Path(folder) / file_name
            if path != home / ".aws" / "credentials":
                data = path.read_bytes()
                assert not any(k.secret_access_key.encode() in data for k in keys.values()), path
    return in_file, in_vault


@pytest.mark.parametrize("step", list(STEPS))
def test_killed_at_each_step_every_key_is_in_the_file_or_the_vault(tmp_path: Path, step: str) -> None:
    keys = _keys()
    home = tmp_path / "home-killed"
    env = _world(home, keys)
    watch = Watch({"vault": home / ".awsafe" / "vault", "aws": home / ".aws"})
    seen: list[Event] = []
    process = start_awsafe("import", "credentials-file", env=env)
    try:
        while process.poll() is None and not STEPS[step](seen):
            seen += watch.events(0.2)
        killed = process.poll() is None
        if killed:
            os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        watch.close()
        if process.poll() is None:
            process.kill()
    assert killed, f"the import finished before the step {step!r} was seen: {process.stderr}"
    in_file, in_vault = _where(home, keys)
    print(f"killed after {step!r}: {in_file} keys in the file, {in_vault} in the vault")
    if step.endswith("in the vault"):  # the rename comes after every key: the file is whole
        assert in_file == PROFILES and 1 <= in_vault < PROFILES
    if step == "config section appended":
        assert in_file == 0 and in_vault == PROFILES

    again = run_main("import", "credentials-file", env=env)
    assert again.returncode == 0, again.stderr
    assert _where(home, keys) == (0, PROFILES)
    assert b"aws_" not in (home / ".aws" / "credentials").read_bytes()
    assert sorted(p.name for p in (home / ".aws").iterdir()) == ["config", "credentials"]  # none left over
