"""The one way a configured program runs (``credential_process``, ``mfa_process``, ykman, a
dialog): argv only and no shell, stdin closed (or the terminal, for a program that asks), a
deadline, a cap on what it prints, an environment without the vault passphrase, and errors
that name the program only (its argv may hold a secret). It imports nothing of awsafe above
``process_guard``; the callers turn ``ProgramError`` into their own errors, with their own limits.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO

from awsafe.process_guard import without_passphrase

_STDERR_LINES = 5
_LINE_LIMIT = 200
# After the program exits, how long to wait for the end of what it printed when a
# grandchild may still hold the pipe open: briefly, never forever.
_DRAIN_GRACE = 1.0


@dataclasses.dataclass(frozen=True)
class Limits:
    """How long a program may run and how much it may print on stdout.

    ``stop_on_overflow``: more is an error and the program is stopped at once (credentials
    are a few KiB); otherwise the rest is read and dropped (a code is a few bytes; keep the
    head, let the program finish). ``read_to_eof``: after it exits, wait (until the deadline)
    for stdout to close, as the SDKs do; otherwise only ``_DRAIN_GRACE``.
    """

    timeout: float
    max_stdout: int
    stop_on_overflow: bool = False
    read_to_eof: bool = False


@dataclasses.dataclass(frozen=True)
class Finished:
    """How a program ended; ``program`` is its name only, never its argv (which may hold a secret)."""

    program: str
    returncode: int
    output: bytes = dataclasses.field(repr=False)
    stderr_lines: tuple[str, ...] = ()

    @property
    def stdout(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    @property
    def stderr_line(self) -> str:
        return self.stderr_lines[0] if self.stderr_lines else ""

    def render_exit(self) -> str:
        if self.returncode < 0:
            return f"{self.program} was killed by signal {-self.returncode}"
        return f"{self.program} exited with {self.returncode}"


class ProgramError(Exception):
    """The program could not run to its end; ``kind`` says why, the caller words it.

    kinds: "missing" (a bare name not on PATH), "unstartable" (``oserror`` from exec),
    "timeout" (stopped at the deadline), "overflow" (printed more than allowed, stopped).
    """

    def __init__(self, kind: str, program: str, oserror: OSError | None = None) -> None:
        super().__init__(f"{program}: {kind}")
        self.kind = kind
        self.program = program
        self.oserror = oserror


def run_program(
    argv: Sequence[str],
    *,
    environ: Mapping[str, str],
    limits: Limits,
    capture_stderr: bool = True,
    echo_stderr: bool = False,
    stdin_tty: bool = False,
) -> Finished:
    """Run ``argv`` with ``environ`` less the vault passphrase and stdin closed; stdout captured.

    ``stdin_tty``: stdin is the controlling terminal when there is one (a program that asks the
    person, such as ykman for an OATH password, even when our own stdin is an SDK's pipe), else
    closed. Never our own stdin: under ``credential_process`` it belongs to the SDK.

    stderr is captured (its first lines kept; with ``echo_stderr`` also shown on /dev/tty, so
    "Touch your YubiKey" reaches the person even when an SDK captures our stderr) or, with
    ``capture_stderr=False``, left as ours, for a program that explains or prompts there.
    Raises ProgramError.
    """
    program = os.path.basename(argv[0])
    executable = _find_executable(argv[0], environ)
    if executable is None:
        raise ProgramError("missing", program)
    tty_in = _open_tty(os.O_RDONLY) if stdin_tty else None
    try:
        proc = subprocess.Popen(
            list(argv),
            executable=executable,
            stdin=subprocess.DEVNULL if tty_in is None else tty_in,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture_stderr else None,
            env=without_passphrase(environ),
        )
    except OSError as e:
        raise ProgramError("unstartable", program, e) from e
    finally:
        if tty_in is not None:
            os.close(tty_in)  # the child has its own copy
    assert proc.stdout is not None
    overflowed = threading.Event()

    def overflow() -> None:
        if limits.stop_on_overflow:
            overflowed.set()
            proc.kill()

    out = _Collector(proc.stdout, limit=limits.max_stdout, on_overflow=overflow)
    err = None
    if proc.stderr is not None:
        echo_fd = _open_tty(os.O_WRONLY) if echo_stderr else None
        err = _Collector(proc.stderr, limit=limits.max_stdout, echo_fd=echo_fd)
    try:
        returncode = _wait(proc, out, limits, program)
    except ProgramError:
        if overflowed.is_set():  # stopped for printing too much, not for being slow
            raise ProgramError("overflow", program) from None
        raise
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out.join(_DRAIN_GRACE)
        if err is not None:
            err.join(_DRAIN_GRACE)
    if overflowed.is_set():
        raise ProgramError("overflow", program)
    return Finished(
        program=program,
        returncode=returncode,
        output=out.data(),
        stderr_lines=_first_lines(err.data().decode("utf-8", errors="replace")) if err else (),
    )


def _wait(proc: subprocess.Popen[bytes], out: _Collector, limits: Limits, program: str) -> int:
    deadline = time.monotonic() + limits.timeout
    try:
        returncode = proc.wait(timeout=limits.timeout)
    except subprocess.TimeoutExpired:
        raise ProgramError("timeout", program) from None
    if limits.read_to_eof:
        out.join(max(deadline - time.monotonic(), 0.0))
        if out.alive():
            raise ProgramError("timeout", program)
    return returncode


def _find_executable(name: str, environ: Mapping[str, str]) -> str | None:
    if os.sep in name:
        return name  # a path: Popen reports it if it is missing or not executable
    return shutil.which(name, path=environ.get("PATH", os.defpath))


def _open_tty(mode: int) -> int | None:
    try:
        return os.open("/dev/tty", mode | os.O_NOCTTY)
    except OSError:
        return None


def _first_lines(text: str) -> tuple[str, ...]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return tuple(line[:_LINE_LIMIT] for line in lines[:_STDERR_LINES])


class _Collector:
    """Drain one pipe on a daemon thread, keeping at most ``limit`` bytes (and echoing them)."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        limit: int,
        echo_fd: int | None = None,
        on_overflow: Callable[[], None] = lambda: None,
    ) -> None:
        self._stream = stream
        self._limit = limit
        self._echo_fd = echo_fd
        self._on_overflow = on_overflow
        self._chunks: list[bytes] = []
        self._size = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        fd = self._stream.fileno()
        echo_fd = self._echo_fd
        overflowed = False
        try:
            while chunk := os.read(fd, 65536):
                if self._size + len(chunk) > self._limit and not overflowed:
                    overflowed = True
                    self._on_overflow()
                if self._size < self._limit:
                    self._chunks.append(chunk[: self._limit - self._size])
                    self._size += len(self._chunks[-1])
                if echo_fd is not None:
                    try:
                        os.write(echo_fd, chunk)
                    except OSError:
                        echo_fd = None  # stop echoing; keep collecting
        except OSError:
            pass
        finally:
            self._stream.close()
            if self._echo_fd is not None:
                os.close(self._echo_fd)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def data(self) -> bytes:
        return b"".join(self._chunks)
