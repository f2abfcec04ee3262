"""A program double that records the environment it was started with, for tests of what awsafe's
children inherit.

``env_dump.py OUT [MODE ...]`` appends one JSON line ``{"argv": [...], "environ": {...}}`` to
the file OUT, then acts according to MODE:

* ``--credentials``: print a credential_process answer (fixed fake temporary credentials);
* ``--code CODE``: print CODE, as an ``mfa_process`` does;
* ``--browser URL``: be a browser (``BROWSER="<python> env_dump.py OUT --browser %s"``): visit
  URL from a detached process, following redirects only while they stay on 127.0.0.1, so a
  loopback sign-in completes and nothing leaves the machine; exit 0 at once;
* nothing: exit 0.

Only the standard library is used: the script runs outside the test process.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CREDENTIALS = {
    "Version": 1,
    "AccessKeyId": "ASIAENVDUMPENVDUMP01",
    "SecretAccessKey": "env-dump-secret",
    "SessionToken": "env-dump-session-token",
    "Expiration": "2099-01-01T00:00:00Z",
}
_VISIT = "--visit"


def command(out: Path, *mode: str) -> list[str]:
    """The argv that runs this script with ``out`` and ``mode``."""
    return [sys.executable, str(Path(__file__).resolve()), str(out), *mode]


def read_dumps(out: Path) -> list[dict[str, object]]:
    """Every record written to ``out`` so far."""
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _visit(url: str) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    for _ in range(10):
        if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            return  # a real site: never leave the machine
        deadline = time.monotonic() + 10
        while True:
            try:
                with opener.open(url, timeout=30) as response:
                    response.read()
                return
            except urllib.error.HTTPError as e:
                location = e.headers.get("Location") if 300 <= e.code < 400 else None
                e.close()
                if not location:
                    return
                url = urllib.parse.urljoin(url, location)
                break
            except OSError as e:
                if not isinstance(getattr(e, "reason", e), ConnectionRefusedError):
                    return
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.1)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == _VISIT:
        with contextlib.suppress(Exception):  # nobody reads a browser's failure
            _visit(argv[1])
        return 0
    out, mode = Path(argv[0]), argv[1:]
    with open(out, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"argv": argv, "environ": dict(os.environ)}) + "\n")
    if mode[:1] == ["--credentials"]:
        print(json.dumps(CREDENTIALS))
    elif mode[:1] == ["--code"]:
        print(mode[1])
    elif mode[:1] == ["--browser"]:
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), _VISIT, mode[1]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
