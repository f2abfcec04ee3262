"""Open a URL in the user's browser through ``webbrowser`` (which honours ``BROWSER``).

A browser started from awsafe inherits its file descriptors; some print to
stdout, which for `export --format json` is the credential_process channel an
SDK parses. So stdout points at stderr while the browser is launched.
"""

from __future__ import annotations

import contextlib
import os
import sys


def open_in_browser(url: str) -> bool:
    """True when a browser was launched; False when none could be (the caller decides what then)."""
    import webbrowser

    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        try:
            return bool(webbrowser.open(url))
        except webbrowser.Error:
            return False
    finally:
        os.dup2(saved, 1)
        os.close(saved)
