"""``mfa_process`` (parsed, shell syntax refused) and the MFA policy for running a program that
prints a code (``mfa_process``, ykman, a dialog): 64 KiB, the caller's deadline, MfaError.
The running itself is ``awsafe.programs``'s; it never lets the program near our stdin or stdout."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from awsafe import programs
from awsafe.errors import ConfigError, MfaError
from awsafe.programs import Finished

if TYPE_CHECKING:
    from awsafe.prompts.request import MfaRequest

_OPERATOR_CHARS = frozenset("|&;<>()")
_STDOUT_LIMIT = 64 * 1024  # a code is 6 bytes; anything this long is not one

__all__ = ["Finished", "ask_mfa_process", "parse_mfa_process", "run_program"]


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
    stdin_tty: bool = False,
) -> str:
    """The raw stdout of the profile's ``mfa_process``; MfaError naming the program if it fails."""
    assert request.mfa_process is not None
    argv = parse_mfa_process(request.mfa_process, profile=request.profile)
    where = f"mfa_process of profile {request.profile!r}"
    done = run_program(
        argv, environ=environ, timeout=timeout, purpose=where, echo_stderr=echo_stderr, stdin_tty=stdin_tty
    )
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
    stdin_tty: bool = False,
) -> Finished:
    """Run ``argv`` as ``awsafe.programs`` runs every configured program, with the MFA limits:
    ``timeout``, and the first 64 KiB of stdout kept (stderr too: "Touch your YubiKey" shown
    on /dev/tty when ``echo_stderr``); stdin the terminal when ``stdin_tty`` and there is one.

    MfaError (prefixed with ``purpose``) when the program is missing, cannot start or times out.
    """
    limits = programs.Limits(timeout=timeout, max_stdout=_STDOUT_LIMIT)
    try:
        return programs.run_program(
            argv, environ=environ, limits=limits, echo_stderr=echo_stderr, stdin_tty=stdin_tty
        )
    except programs.ProgramError as e:
        program = e.program
        if e.kind == "missing":
            raise MfaError(f"{purpose}: {program!r} not found on PATH") from None
        if e.kind == "unstartable" and e.oserror is not None:
            why = e.oserror.strerror or e.oserror
            raise MfaError(f"{purpose}: cannot run {program!r}: {why}") from e
        raise MfaError(f"{purpose}: {program} did not finish within {timeout:g} s (stopped it)") from None
