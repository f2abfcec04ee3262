"""Process-wide guards set at start-up: no core dumps, no passphrase for any program awsafe
starts, and no debugger or core for long-running modes; it imports only os and sys eagerly.

These hold whatever code runs later (``webbrowser``, ``subprocess``, a library), so they are
taken once at the process edge instead of at each place that starts a program.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping  # collections costs the fast path too

# They unlock the file vault: no program awsafe starts (exec's child, credential_process,
# mfa_process, prompts, a browser) may inherit them.
PASSPHRASE_VARIABLES = ("AWSAFE_FILE_PASSPHRASE", "AWS_VAULT_FILE_PASSPHRASE")
# The KeePass database's passphrase (the keepassxc backend): kept from children just the same.
STORE_PASSPHRASE_VARIABLES = ("AWSAFE_KEEPASSXC_PASSPHRASE",)
_PR_GET_DUMPABLE, _PR_SET_DUMPABLE = 3, 4  # <linux/prctl.h>
_taken: dict[str, str] | None = None


def take_process_environ() -> dict[str, str]:
    """A copy of the environment as started, then the passphrase removed from the real one.

    The copy is what awsafe reads (the vault needs the passphrase); ``os.environ`` and the C
    ``environ`` behind it, which every ``subprocess``/``webbrowser``/``os.system`` child inherits
    unless given its own, no longer hold it. Calling it again returns the same copy.
    """
    global _taken
    if _taken is None:
        _taken = dict(os.environ)
        for name in (*PASSPHRASE_VARIABLES, *STORE_PASSPHRASE_VARIABLES):
            os.environ.pop(name, None)  # unsetenv too: C-level children cannot see it either
    return _taken


def without_passphrase(environ: Mapping[str, str]) -> dict[str, str]:
    return {
        k: v
        for k, v in environ.items()
        if k not in PASSPHRASE_VARIABLES and k not in STORE_PASSPHRASE_VARIABLES
    }


def disable_core_dumps() -> None:
    """Soft and hard RLIMIT_CORE to 0: a crash or SIGQUIT never writes memory (passphrase,
    keys) to a core file. Inherited by every child, and not raised again (the hard limit)."""
    if sys.platform == "win32":  # pragma: no cover - no core files, no resource module
        return
    import resource  # a small C module: well under a millisecond

    try:  # noqa: SIM105 - not contextlib: importing it costs the fast path
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError):  # lowering a limit is always allowed
        pass


def make_undumpable() -> bool:
    """PR_SET_DUMPABLE 0 on Linux: no core even where the limit is raised again, and no
    ptrace or ``/proc/<pid>/environ``/``mem`` for other processes of the same user.

    For modes that keep the unlocked vault and fresh credentials in memory for long (servers,
    a sign-in waiting for the browser). A child's ``execve`` makes it dumpable again. True
    when the kernel now says the process is not dumpable.
    """
    if not sys.platform.startswith("linux"):
        return False  # macOS has no prctl; core dumps are off through the limit
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
        return bool(libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return False


def guard_process_start() -> dict[str, str]:
    """Everything taken at start-up, before any command runs; the environment as started."""
    disable_core_dumps()
    return take_process_environ()
