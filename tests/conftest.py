"""Test-wide isolation: no test ever sees the real AWS setup, HOME or vault."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.support.fixtures",
    "tests.support.worlds",
    "tests.support.running_agent",
    "tests.support.gpg",
    "tests.support.keepass",
]

_SCRUBBED_PREFIXES = ("AWS_", "AWSAFE_", "BOTO_")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Scrub AWS_/AWSAFE_/BOTO_ variables; point HOME, AWS config and the vault into tmp_path.

    Returns the fake HOME. Tests override single variables with monkeypatch.setenv/delenv.
    """
    for name in list(os.environ):
        if name.upper().startswith(_SCRUBBED_PREFIXES):
            monkeypatch.delenv(name)
    # The agent's default place would be shared by every test (and every engineer) run as this user.
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWSAFE_FILE_SCRYPT_LOG2N", "14")
    monkeypatch.setenv("AWSAFE_BACKEND", "file")
    monkeypatch.setenv("AWSAFE_FILE_PASSPHRASE", "test-passphrase")
    monkeypatch.setenv("AWSAFE_FILE_DIR", str(home / ".awsafe" / "vault"))
    # Loopback endpoints (moto, fakes) must never go through a proxy.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return home


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "signature_rejections: the test sends wrongly signed requests to moto on purpose "
        "(tests/support/fixtures.py does not fail it for them)",
    )


# Tests that share one host-wide store (the Secret Service on the session bus, where some tests
# also move the `default` alias) run one at a time across xdist workers: each holds an exclusive
# lock for its whole run. (xdist's loadgroup did not keep them on one worker here.)
_HOST_STORE_MARKERS = ("secret_service",)


@pytest.fixture(autouse=True)
def one_at_a_time_on_host_stores(request: pytest.FixtureRequest) -> Iterator[None]:
    if not any(request.node.get_closest_marker(name) for name in _HOST_STORE_MARKERS):
        yield
        return
    # One lock per D-Bus session: each scripts/test run has its own throwaway keyring.
    bus = hashlib.sha256(os.environ.get("DBUS_SESSION_BUS_ADDRESS", "").encode()).hexdigest()[:16]
    with open(os.path.join(tempfile.gettempdir(), f"awsafe-tests-keyring-{bus}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(autouse=True)
def shared_tmp_left_alone() -> Iterator[None]:
    """Fails the test after which the system's temporary directory changed its mode (a test, or
    awsafe run by it, once made /tmp 1700 for everyone), and puts the mode back."""
    shared = tempfile.gettempdir()
    before = os.stat(shared).st_mode
    yield
    after = os.stat(shared).st_mode
    if after != before:
        os.chmod(shared, before)
        pytest.fail(f"{shared} changed its mode from {before:o} to {after:o} during this test", pytrace=False)
