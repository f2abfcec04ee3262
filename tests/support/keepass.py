"""KeePass databases made by `keepassxc-cli` (an implementation independent of pykeepass): one
made per test session, copied for each test (creating one costs a key derivation benchmark)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSPHRASE = "keepass-test-passphrase"


@dataclass(frozen=True)
class KeePassTemplate:
    path: Path
    passphrase: str

    def copy_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "awsafe.kdbx"
        shutil.copy2(self.path, target)
        return target


def keepassxc_cli(*args: str, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess[str]:
    """The real keepassxc-cli, the passphrase on stdin; fails the test when it fails."""
    done = subprocess.run(
        ["keepassxc-cli", *args], input=passphrase + "\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="session")
def keepass_template(tmp_path_factory: pytest.TempPathFactory) -> KeePassTemplate:
    """An empty database from `keepassxc-cli db-create` (its default format and KDF)."""
    if shutil.which("keepassxc-cli") is None:
        pytest.skip("keepassxc-cli is needed (scripts/test installs keepassxc)")
    path = tmp_path_factory.mktemp("keepass") / "template.kdbx"
    done = subprocess.run(
        ["keepassxc-cli", "db-create", "--set-password", "--decryption-time", "100", str(path)],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return KeePassTemplate(path, PASSPHRASE)
