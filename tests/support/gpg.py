"""A throwaway GPG key (no passphrase) in a private GNUPGHOME, made once per test session, and
`pass` stores initialised for it: what the pass backend and the aws-vault pass reader test with."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class GpgKey:
    home: Path  # GNUPGHOME
    fingerprint: str

    @property
    def env(self) -> dict[str, str]:
        return {"GNUPGHOME": str(self.home)}

    def init_pass_store(self, directory: Path) -> Path:
        """A new password store in ``directory`` encrypting to this key (`pass init`)."""
        run_pass(directory, self, "init", self.fingerprint)
        return directory


def run_pass(
    directory: Path, key: GpgKey, *args: str, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """The real `pass` on ``directory``; fails the test when it fails."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(key.home), "PASSWORD_STORE_DIR": str(directory), **key.env}
    done = subprocess.run(["pass", *args], input=stdin, capture_output=True, env=env, check=False, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done


def _gpg(home: Path, *args: str) -> str:
    done = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def gpg_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GpgKey]:
    """An ed25519/cv25519 key without protection; skips when gpg or pass is not installed."""
    if shutil.which("gpg") is None or shutil.which("pass") is None:
        pytest.skip("gpg and pass are needed (scripts/test installs them)")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    _gpg(home, "--quick-gen-key", "awsafe test <test@awsafe.invalid>", "ed25519", "cert", "0")
    fingerprint = next(
        line.split(":")[9]
        for line in _gpg(home, "--list-keys", "--with-colons").splitlines()
        if line.startswith("fpr:")
    )
    _gpg(home, "--quick-add-key", fingerprint, "cv25519", "encr", "0")
    yield GpgKey(home, fingerprint)
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False, timeout=30)
