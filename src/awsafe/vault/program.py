"""Runs a vault backend's helper program (``pass``): argv without secrets, the value on stdin
only, a deadline, and errors that name the program and its first stderr line, never the value."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from awsafe.errors import StoreError, StoreUnavailableError
from awsafe.process_guard import without_passphrase

# Long enough for gpg-agent's pinentry to ask a person for the key's passphrase.
TIMEOUT_SECONDS = 120.0


class Ran:
    """How the program ended: its exit code, its stdout (may be a secret: never in a repr) and
    the first line of its stderr (what the program says went wrong)."""

    __slots__ = ("returncode", "stdout", "stderr_line")

    def __init__(self, returncode: int, stdout: bytes, stderr_line: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr_line = stderr_line

    def __repr__(self) -> str:
        return f"Ran(returncode={self.returncode})"


def run_store_program(
    argv: Sequence[str], *, environ: Mapping[str, str], stdin: bytes = b"", what: str
) -> Ran:
    """Run ``argv`` with ``environ`` (less every vault passphrase) and ``stdin`` as its input.

    ``what`` names the store in errors. A missing program is StoreUnavailableError, a hung one
    StoreError; a non-zero exit is the caller's to judge (``Ran.returncode``).
    """
    program = os.path.basename(argv[0])
    try:
        done = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            env=without_passphrase(environ),
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as e:
        raise StoreUnavailableError(
            f"{what}: the program {program!r} is not installed or not on PATH",
            hint="install it, or name it with --pass-cmd",
        ) from e
    except subprocess.TimeoutExpired as e:
        raise StoreError(f"{what}: {program} did not finish within {TIMEOUT_SECONDS:.0f} s") from e
    except OSError as e:
        raise StoreUnavailableError(f"{what}: cannot run {program}: {e.strerror or e}") from e
    # gpg chatters on stderr ("checking the trustdb"); pass's own complaint starts "Error:".
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    line = next((x for x in lines if x.startswith("Error")), lines[-1] if lines else "")
    return Ran(done.returncode, done.stdout, line[:200])
