"""Ask on the controlling terminal (/dev/tty), never on stdout, which may belong to an SDK."""

from __future__ import annotations

import getpass
import io
import os
from typing import TYPE_CHECKING, TextIO

from awsafe.errors import MfaError, PromptError

if TYPE_CHECKING:
    from awsafe.prompts.request import MfaRequest

_MAX_ANSWER = 4096  # a line longer than this is not a code; stop reading


def tty_available() -> bool:
    """Whether this process has a controlling terminal it can open (not: whether stdin is one)."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def ask_mfa_code(request: MfaRequest) -> str:
    """The line typed on /dev/tty after ``Enter MFA code for <serial>: ``, raw (the caller
    validates it). The code is echoed as typed, as aws-vault does: it expires in seconds, and
    seeing it catches a typo before STS does. stdin, stdout and stderr are never used."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError as e:
        raise MfaError(
            f"no terminal to ask for the MFA code of profile {request.profile!r}",
            hint="pass --mfa-token CODE, set mfa_process, or use --prompt with a GUI driver",
        ) from e
    try:
        os.write(fd, f"Enter MFA code for {request.serial}: ".encode())
        answer = _read_tty_line(fd)
    finally:
        os.close(fd)
    if answer is None:
        raise MfaError(f"no MFA code entered on the terminal for profile {request.profile!r}")
    return answer.decode("utf-8", errors="replace")


def _read_tty_line(fd: int) -> bytes | None:
    """One line from a terminal in canonical mode; None on end of input (Ctrl-D) before a newline."""
    data = b""
    while b"\n" not in data and len(data) < _MAX_ANSWER:
        chunk = os.read(fd, 1024)
        if not chunk:
            return data or None
        data += chunk
    return data.split(b"\n", 1)[0]


def _open_tty() -> tuple[TextIO, TextIO] | None:
    try:
        tty_in = open("/dev/tty", encoding="utf-8")  # noqa: SIM115 - closed by the caller
    except OSError:
        return None
    try:
        tty_out = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115
    except OSError:
        tty_in.close()
        return None
    return tty_in, tty_out


def ask_secret(prompt: str, *, fallback: TextIO | None = None) -> str:
    """A hidden answer from the terminal; from ``fallback`` (e.g. piped stdin) when none."""
    tty = _open_tty()
    if tty is not None:
        tty[0].close()
        tty[1].close()
        try:
            return getpass.getpass(prompt)
        except (EOFError, getpass.GetPassWarning) as e:
            raise PromptError("no answer on the terminal") from e
    return _read_line(prompt, fallback)


def ask_text(prompt: str, *, fallback: TextIO | None = None) -> str:
    """A visible answer from the terminal; from ``fallback`` when there is none."""
    tty = _open_tty()
    if tty is None:
        return _read_line(prompt, fallback)
    tty_in, tty_out = tty
    try:
        tty_out.write(prompt)
        tty_out.flush()
        answer = tty_in.readline()
    finally:
        tty_in.close()
        tty_out.close()
    if not answer:
        raise PromptError("no answer on the terminal")
    return answer.rstrip("\n")


def _read_line(prompt: str, fallback: TextIO | None) -> str:
    if fallback is None or isinstance(fallback, io.TextIOBase) and fallback.closed:
        raise PromptError(f"cannot ask {prompt.strip().rstrip(':')!r}: no terminal")
    line = fallback.readline()
    if not line:
        raise PromptError(f"cannot ask {prompt.strip().rstrip(':')!r}: no terminal and no input")
    return line.rstrip("\n")
