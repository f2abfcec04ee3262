"""The credential_process pattern of docs/leaving-plaintext.md cannot call awsafe into itself.

With the keys in a keychain that asks no passphrase, a profile whose credential_process is
`awsafe export` for that very profile, and no keys for it in the vault, would make awsafe start
itself and wait for itself on the session cache's lock for ever. It writes nothing to the
keyring, but opens the "awsafe" service there, so it runs only inside scripts/test's keyring.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.support.env import start_awsafe
from tests.support.keyring import THROWAWAY_KEYRING_ONLY
from tests.support.worlds import BIN

pytestmark = THROWAWAY_KEYRING_ONLY


def test_a_credential_process_calling_awsafe_for_itself_stops_with_a_clear_error(isolated_env: Path) -> None:
    config = isolated_env / ".aws" / "config"
    config.parent.mkdir(parents=True)
    config.write_text(f"[profile demo]\ncredential_process = {BIN / 'awsafe'} export --format json demo\n")
    process = start_awsafe("export", "--format", "json", "demo", env={"AWSAFE_BACKEND": "secret-service"})
    try:
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the whole chain shares its process group
            process.communicate()
    assert process.returncode == 5, stderr
    assert "credential_process of profile 'demo' asked awsafe for 'demo' again (a loop)" in stderr
    assert stderr.count("awsafe: credential_process of profile 'demo'") == 2  # the inner one, the outer
    assert "Traceback" not in stderr
