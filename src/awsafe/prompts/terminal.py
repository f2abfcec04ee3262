"""Ask on the controlling terminal (/dev/tty), never on stdout, which may belong to an SDK."""

from __future__ import annotations

import getpass
import io
from typing import TextIO

from awsafe.errors import PromptError


def _open_tty() -> tuple[TextIO, TextIO] | None:
    try:
        tty_in = open("/dev/tty", encoding="utf-8")  # noqa: SIM115 - closed by the caller
    except OSError:
        return None
    tty_out = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115
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
