"""Run a program that prints an MFA code (``mfa_process``, ykman, a dialog): argv only, no shell,
stdin closed, bounded in time; it never lets the program near our stdin or stdout."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING

from awsafe.errors import ConfigError, MfaError
from awsafe.process_guard import PASSPHRASE_VARIABLES

if TYPE_CHECKING:
    from awsafe.prompts.request import MfaRequest

_OPERATOR_CHARS = frozenset("|&;<>()")
# A helper that prints a code has no business unlocking the long-term keys the vault protects.
_NOT_FOR_CHILDREN = PASSPHRASE_VARIABLES
_STDOUT_LIMIT = 64 * 1024  # a code is 6 bytes; anything this long is not one
_STDERR_LINES = 5
_LINE_LIMIT = 200


@dataclasses.dataclass(frozen=True)
class Finished:
    """How a program ended; ``program`` is its name only, never its argv (which may hold a secret)."""

    program: str
    returncode: int
    stdout: str = dataclasses.field(repr=False)
    stderr_lines: tuple[str, ...] = ()

    @property
    def stderr_line(self) -> str:
        return self.stderr_lines[0] if self.stderr_lines else ""

    def render_exit(self) -> str:
        if self.returncode < 0:
            return f"{self.program} was killed by signal {-self.returncode}"
        return f"{self.program} exited with {self.returncode}"


def parse_mfa_process(command: str, *, profile: str) -> list[str]:
    """Split ``mfa_process`` as a shell would split words; refuse shell syntax we will not run."""
    where = f"mfa_process of profile {profile!r}"
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise ConfigError(f"{where} cannot be split into arguments: {e}") from e
    if not argv:
        raise ConfigError(f"{where} is empty")
    operator = _find_shell_operator(command)
    if operator:
        raise ConfigError(
            f"{where} uses shell syntax ({operator!r}), but awsafe runs it without a shell",
            hint="write it as: mfa_process = sh -c '...'",
        )
    return argv


def _find_shell_operator(command: str) -> str | None:
    # Non-POSIX mode keeps quotes on their words, so a quoted "|" is not mistaken for a pipe.
    lexer = shlex.shlex(command, posix=False, punctuation_chars=True)
    lexer.whitespace_split = True
    previous = ""
    try:
        for token in lexer:
            if set(token) <= _OPERATOR_CHARS and not previous.endswith("\\"):
                return token
            previous = token
    except ValueError:
        return None  # unbalanced quotes; shlex.split has already said so
    return None


def ask_mfa_process(
    request: MfaRequest,
    *,
    environ: Mapping[str, str],
    timeout: float,
    echo_stderr: bool = False,
) -> str:
    """The raw stdout of the profile's ``mfa_process``; MfaError naming the program if it fails."""
    assert request.mfa_process is not None
    argv = parse_mfa_process(request.mfa_process, profile=request.profile)
    where = f"mfa_process of profile {request.profile!r}"
    done = run_program(argv, environ=environ, timeout=timeout, purpose=where, echo_stderr=echo_stderr)
    if done.returncode != 0:
        detail = f": {done.stderr_line}" if done.stderr_line else ""
        raise MfaError(
            f"{where} failed: {done.render_exit()}{detail}",
            hint="run the mfa_process command by hand to see why",
        )
    return done.stdout


def run_program(
    argv: Sequence[str],
    *,
    environ: Mapping[str, str],
    timeout: float,
    purpose: str,
    echo_stderr: bool = False,
) -> Finished:
    """Run ``argv`` with ``environ`` (less the vault passphrase) and stdin closed; stdout
    captured, stderr kept (and shown on /dev/tty when ``echo_stderr``, so "Touch your YubiKey"
    reaches the person even when an SDK captures our stderr).

    MfaError (prefixed with ``purpose``) when the program is missing, cannot start or times out.
    """
    program = os.path.basename(argv[0])
    executable = _find_executable(argv[0], environ)
    if executable is None:
        raise MfaError(f"{purpose}: {program!r} not found on PATH")
    try:
        proc = subprocess.Popen(
            list(argv),
            executable=executable,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={k: v for k, v in environ.items() if k not in _NOT_FOR_CHILDREN},
        )
    except OSError as e:
        raise MfaError(f"{purpose}: cannot run {program!r}: {e.strerror or e}") from e
    assert proc.stdout is not None and proc.stderr is not None
    out = _Collector(proc.stdout, limit=_STDOUT_LIMIT)
    err = _Collector(proc.stderr, limit=_STDOUT_LIMIT, echo_fd=_open_tty_for_echo() if echo_stderr else None)
    try:
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise MfaError(f"{purpose}: {program} did not finish within {timeout:g} s (stopped it)") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # A grandchild may still hold the pipes open: wait briefly, never forever.
        out.join(1.0)
        err.join(1.0)
    return Finished(
        program=program,
        returncode=returncode,
        stdout=out.text(),
        stderr_lines=_first_lines(err.text()),
    )


def _find_executable(name: str, environ: Mapping[str, str]) -> str | None:
    if os.sep in name:
        return name  # a path: Popen reports it if it is missing or not executable
    return shutil.which(name, path=environ.get("PATH", os.defpath))


def _open_tty_for_echo() -> int | None:
    try:
        return os.open("/dev/tty", os.O_WRONLY | os.O_NOCTTY)
    except OSError:
        return None


def _first_lines(text: str) -> tuple[str, ...]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return tuple(line[:_LINE_LIMIT] for line in lines[:_STDERR_LINES])


class _Collector:
    """Drain one pipe on a daemon thread, keeping at most ``limit`` bytes (and echoing them)."""

    def __init__(self, stream: IO[bytes], *, limit: int, echo_fd: int | None = None) -> None:
        self._stream = stream
        self._limit = limit
        self._echo_fd = echo_fd
        self._chunks: list[bytes] = []
        self._size = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        fd = self._stream.fileno()
        echo_fd = self._echo_fd
        try:
            while chunk := os.read(fd, 4096):
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

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", errors="replace")
