"""The process environment, read once at the edge and passed down (streams, variables, home, clock)."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from awsafe.clock import Clock, utc_now

# They unlock the file vault: no program awsafe starts (exec's child, credential_process,
# mfa_process, prompts) may inherit them.
PASSPHRASE_VARIABLES = ("AWSAFE_FILE_PASSPHRASE", "AWS_VAULT_FILE_PASSPHRASE")


def without_passphrase(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k not in PASSPHRASE_VARIABLES}


@dataclasses.dataclass
class Environment:
    environ: Mapping[str, str]
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    home: Path
    clock: Clock

    @classmethod
    def from_process(cls) -> Environment:
        return cls(
            environ=dict(os.environ),
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            home=Path(os.environ.get("HOME") or Path.home()),
            clock=utc_now,
        )

    def get(self, *names: str) -> str | None:
        """The first non-empty variable of ``names`` (``AWSAFE_X`` before ``AWS_VAULT_X``)."""
        for name in names:
            value = self.environ.get(name)
            if value:
                return value
        return None

    def stdin_isatty(self) -> bool:
        try:
            return self.stdin.isatty()
        except (AttributeError, ValueError):
            return False
