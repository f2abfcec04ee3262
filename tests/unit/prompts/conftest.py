"""Stand-in executables for zenity, kdialog, osascript, ykman and mfa_process commands."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

_SCRIPT = """#!{python}
import json, os, sys, time
record = {{"argv": sys.argv[1:], "env": {{k: os.environ.get(k) for k in {env_keys!r}}}}}
try:
    record["stdin"] = os.readlink("/proc/self/fd/0")
except OSError:
    record["stdin"] = None
with open({log!r}, "a") as f:
    f.write(json.dumps(record) + "\\n")
sys.stderr.write({stderr!r})
sys.stderr.flush()
sys.stdout.write({stdout!r})
sys.stdout.flush()
time.sleep({sleep!r})
sys.exit({exit_code!r})
"""

_ENV_KEYS = (
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "YKMAN_OATH_CREDENTIAL_NAME",
    "MARKER",
    "AWSAFE_FILE_PASSPHRASE",
    "AWS_VAULT_FILE_PASSPHRASE",
)


class StandIn:
    """One fake program; ``calls()`` is what each run of it received."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.log = log

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls()]


class StandIns:
    """A bin directory holding only stand-ins; ``environ`` has it as the whole PATH."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self.logs = root / "logs"
        self.logs.mkdir()
        self.environ: dict[str, str] = {"PATH": str(self.bin)}

    def add(
        self,
        name: str,
        *,
        stdout: str = "",
        stderr: str = "",
        exit_code: int = 0,
        sleep: float = 0.0,
    ) -> StandIn:
        path = self.bin / name
        log = self.logs / f"{name}.jsonl"
        path.write_text(
            _SCRIPT.format(
                python=sys.executable,
                env_keys=_ENV_KEYS,
                log=str(log),
                stderr=stderr,
                stdout=stdout,
                sleep=sleep,
                exit_code=exit_code,
            )
        )
        path.chmod(0o755)
        return StandIn(path, log)


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIns:
    found = StandIns(tmp_path / "standins")
    # First on the real PATH too, in case anything looked there instead of at `environ`.
    monkeypatch.setenv("PATH", str(found.bin) + os.pathsep + os.environ.get("PATH", ""))
    return found
