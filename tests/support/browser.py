"""A web browser double for Python's :mod:`webbrowser`: a user who signs in at once.

Tests set ``BROWSER`` to :func:`browser_command` (``<python> <this file> %s``); webbrowser
splits that with :func:`shlex.split`, puts the URL in place of ``%s`` and waits for the command.
The script then

* appends the URL (one line) to the file named by ``FAKE_BROWSER_LOG``, if set: what the
  browser's command line held;
* with ``FAKE_BROWSER_MODE=follow`` (the default) visits it from a detached background process
  (new session, standard streams on /dev/null), so the caller is not blocked: HTTP GET, following
  redirects hop by hop as a browser must (awsafe hands out a one-time loopback URL that redirects
  to the real one), retrying each hop on a refused connection for a few seconds because the
  caller's loopback listener may not accept yet. HTTP errors end the visit quietly. Each hop
  is appended to ``<FAKE_BROWSER_LOG>.visits`` as a JSON line ``{"url", "status",
  "location"}`` (status 0: no answer), read back with :func:`read_visits`.
  ``FAKE_BROWSER_MODE=record`` only records.

It exits 0 at once (a non-zero exit makes webbrowser try the next, real, browser).
Only the standard library is used: the script runs outside the test process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

LOG_ENV = "FAKE_BROWSER_LOG"
MODE_ENV = "FAKE_BROWSER_MODE"
_VISIT = "--visit"
CONNECT_RETRY_SECONDS = 10.0
MAX_REDIRECTS = 10


def visits_path(log: Path) -> Path:
    """Where the double records the hops of its visits, next to the log of opened URLs."""
    return log.with_name(log.name + ".visits")


def read_visits(log: Path, *, at_least: int = 0, timeout: float = 10.0) -> list[dict[str, object]]:
    """The hops visited so far; waits up to ``timeout`` s for ``at_least`` of them (visits are async)."""
    deadline = time.monotonic() + timeout
    while True:
        path = visits_path(log)
        hops = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        if len(hops) >= at_least or time.monotonic() >= deadline:
            return hops
        time.sleep(0.05)


def browser_command() -> str:
    """The ``BROWSER`` value that makes :mod:`webbrowser` run this script."""
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(Path(__file__).resolve()))} %s"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand every 3xx back to the caller, which follows it with its own retries."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(opener: urllib.request.OpenerDirector, url: str, deadline: float) -> tuple[int, str | None]:
    """GET `url`; its status (0: no answer) and redirect target (None when the visit ends here)."""
    while True:
        try:
            with opener.open(url, timeout=30) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as e:
            location = e.headers.get("Location") if 300 <= e.code < 400 else None
            e.close()
            return e.code, urllib.parse.urljoin(url, location) if location else None
        except (urllib.error.URLError, OSError) as e:
            # Only a refused connection is retried: the request never reached a listener.
            refused = isinstance(getattr(e, "reason", e), ConnectionRefusedError)
            if not refused or time.monotonic() >= deadline:
                return 0, None
            time.sleep(0.1)


def visit(url: str, visits: Path | None = None) -> None:
    """Follow `url` and its redirects like a browser whose user approves everything."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    next_url: str | None = url
    for _ in range(MAX_REDIRECTS + 1):
        if next_url is None:
            return
        hop = next_url
        status, next_url = _get(opener, hop, time.monotonic() + CONNECT_RETRY_SECONDS)
        if visits is not None:
            with open(visits, "a", encoding="utf-8") as f:
                f.write(json.dumps({"url": hop, "status": status, "location": next_url}) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == _VISIT:
        # A browser never crashes the test, and nobody sees this process's output anyway.
        log = os.environ.get(LOG_ENV)
        with contextlib.suppress(Exception):
            visit(argv[1], visits_path(Path(log)) if log else None)
        return 0
    if len(argv) != 1:
        print(f"usage: {Path(__file__).name} URL", file=sys.stderr)
        return 0
    url = argv[0]
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(url + "\n")
    mode = os.environ.get(MODE_ENV, "follow")
    if mode == "follow":
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), _VISIT, url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    elif mode != "record":
        print(f"{MODE_ENV}={mode!r} is neither 'follow' nor 'record': only recorded", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
