"""Run awsafe's CLI in this process (`run_main`): for checks that need no real process.

`run_main` calls ``awsafe.cli.main.main`` with an Environment built from os.environ (already
scrubbed by tests/conftest.py) updated by ``env``, captures what it writes, and returns the same
``CompletedProcess`` as :func:`tests.support.env.run_awsafe`, so a check reads alike in both
tiers. It skips what only a real process has: the fast path of ``entry()`` (``export``/``exec``
on a cache hit), the core-dump guard, signals, a terminal, children. Checks of those stay in
tests/e2e with ``run_awsafe``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from awsafe.cli.main import main
from awsafe.clock import utc_now
from awsafe.environment import Environment


class _Stream(io.StringIO):
    """A captured stream that is not a terminal, as stdout/stderr/stdin of `run_awsafe` are not."""

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _deadline(seconds: float | None, what: str) -> Iterator[None]:
    """A TimeoutError in this (the main) thread after ``seconds``: main() reports it as a bug (70),
    so a command that should have been refused but serves until interrupted fails the test
    instead of hanging it."""
    if seconds is None:
        yield
        return

    def expire(_signal: int, _frame: object) -> None:
        raise TimeoutError(f"{what} still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_main(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """`awsafe *args` through ``main()`` in this process; stdin is empty unless ``input`` is given.

    argparse writes ``--help``/``--version`` to ``sys.stdout`` and raises SystemExit: both are
    captured too. os.environ is the given environment while main() runs (libraries such as
    botocore read it), and the ``awsafe`` logger is put back as it was afterwards. ``timeout``
    (as for `run_awsafe`): main() is interrupted after that many seconds and returns 70.
    """
    environ = dict(os.environ)
    environ.update(env or {})
    stdout, stderr = _Stream(), _Stream()
    environment = Environment(
        environ=environ,
        stdin=_Stream(input or ""),
        stdout=stdout,
        stderr=stderr,
        home=Path(environ.get("HOME") or Path.home()),
        clock=utc_now,
    )
    logger = logging.getLogger("awsafe")
    handlers, level = list(logger.handlers), logger.level
    try:
        with (
            mock.patch.dict(os.environ, environ, clear=True),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            _deadline(timeout, " ".join(["awsafe", *args])),
        ):
            try:
                code = main(list(args), environment)
            except SystemExit as e:  # argparse's --help and --version
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)
    return subprocess.CompletedProcess(["awsafe", *args], code, stdout.getvalue(), stderr.getvalue())
