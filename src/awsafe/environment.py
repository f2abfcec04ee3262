"""The process environment, read once at the edge and passed down (streams, variables, home, clock)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from awsafe.clock import Clock, utc_now
from awsafe.process_guard import take_process_environ


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
        """The process's environment as started; the passphrase leaves ``os.environ`` here, so
        no program started later (a browser, a helper) can inherit it."""
        environ = take_process_environ()
        return cls(
            environ=environ,
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            home=Path(environ.get("HOME") or Path.home()),
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
