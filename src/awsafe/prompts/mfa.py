"""Where an MFA code comes from (--mfa-token, mfa_process, a prompt driver) and its validation;
it never reads stdin or writes stdout, which belong to an SDK under credential_process.

The chooser: it imports the drivers (terminal, gui, ykman, process), which import only the
leaf ``prompts.request``, never this module."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Mapping

from awsafe.errors import MfaError, UsageError
from awsafe.prompts.request import MfaCodeSource, MfaRequest

__all__ = ["DRIVERS", "MfaCodeSource", "MfaRequest", "choose_mfa_source", "parse_mfa_code"]

DRIVERS = ("terminal", "zenity", "kdialog", "osascript", "ykman")
"""Valid values of --prompt / AWSAFE_PROMPT / AWS_VAULT_PROMPT."""

PROCESS_TIMEOUT = 60.0
"""Seconds an mfa_process or ykman may take: enough to touch a YubiKey, not a wedged program."""
PROMPT_TIMEOUT = 300.0
"""Seconds a dialog may stay open: a person fetching a phone."""

_CODE = re.compile(r"[0-9]{6}")  # not \d: that also matches non-ASCII digits STS refuses
_SHOWN_DIGITS = 8  # a wrong answer is shown only when it is this short and all digits


def parse_mfa_code(raw: str, *, source: str, profile: str) -> str:
    """The code ``raw`` holds (6 ASCII digits once whitespace is stripped), or MfaError.

    The message shows the answer only when it is a short run of digits (a mistyped code);
    anything else might be a pasted password or token, so only its length is told.
    """
    code = raw.strip()
    if _CODE.fullmatch(code):
        return code
    if not code:
        got = "nothing"
    elif code.isascii() and code.isdigit() and len(code) <= _SHOWN_DIGITS:
        got = repr(code)
    else:
        got = f"a value of {len(code)} characters (not shown)"
    raise MfaError(
        f"{source} gave {got} for profile {profile!r}, which is not a 6-digit MFA code",
        hint="an MFA code is the 6 digits your authenticator shows",
    )


def choose_mfa_source(
    *,
    token: str | None,
    driver: str | None,
    environ: Mapping[str, str],
    server_running: bool = False,
    tty_available: Callable[[], bool] | None = None,
    platform: str | None = None,
    process_timeout: float = PROCESS_TIMEOUT,
    prompt_timeout: float = PROMPT_TIMEOUT,
) -> MfaCodeSource:
    """The MFA code source for one run: ``token`` once, then each request's mfa_process, then the
    prompt driver (``driver``, or the first usable one). Cheap: nothing runs until a request.

    ``environ`` gives PATH, DISPLAY, WAYLAND_DISPLAY, YKMAN_* and is the environment of every
    program started. UsageError at once for an unknown driver, or ``terminal`` with a server.
    """
    name = (driver or "").strip().lower() or None
    if name is not None and name not in DRIVERS:
        raise UsageError(
            f"unknown prompt driver {driver!r}; valid: {', '.join(DRIVERS)}",
            hint="check --prompt, AWSAFE_PROMPT and AWS_VAULT_PROMPT",
        )
    if name == "terminal" and server_running:
        raise UsageError(
            "the terminal prompt cannot be used while a credential server runs: a refresh may ask "
            "for a code at any moment, when the terminal belongs to a command or nobody watches it",
            hint="use --prompt zenity, kdialog, osascript or ykman, or set mfa_process",
        )
    if tty_available is None:
        from awsafe.prompts.terminal import tty_available as real_tty_available

        tty_available = real_tty_available
    return _MfaCodeSources(
        token=token,
        driver=name,
        environ=dict(environ),
        server_running=server_running,
        tty_available=tty_available,
        platform=platform or sys.platform,
        process_timeout=process_timeout,
        prompt_timeout=prompt_timeout,
    )


def detect_prompt_driver(
    *,
    environ: Mapping[str, str],
    server_running: bool,
    tty_available: Callable[[], bool],
    platform: str,
) -> str | None:
    """The first usable driver in docs/sessions.md#mfa-codes order, or None; reads /dev/tty and PATH only."""
    import shutil

    path = environ.get("PATH", "")

    def on_path(program: str) -> bool:
        return shutil.which(program, path=path) is not None

    if not server_running and tty_available():
        return "terminal"
    has_display = bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    for gui in ("zenity", "kdialog"):
        if has_display and on_path(gui):
            return gui
    if platform == "darwin" and on_path("osascript"):
        return "osascript"
    if on_path("ykman"):
        return "ykman"
    return None


class _MfaCodeSources:
    """The callable ``choose_mfa_source`` returns; the token is not in its repr."""

    def __init__(
        self,
        *,
        token: str | None,
        driver: str | None,
        environ: dict[str, str],
        server_running: bool,
        tty_available: Callable[[], bool],
        platform: str,
        process_timeout: float,
        prompt_timeout: float,
    ) -> None:
        self._token = token
        self._driver = driver
        self._environ = environ
        self._server_running = server_running
        self._tty_available = tty_available
        self._platform = platform
        self._process_timeout = process_timeout
        self._prompt_timeout = prompt_timeout
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        token = "unused" if self._token is not None else "none"
        return f"<MFA code source: token {token}, driver {self._driver or 'automatic'}>"

    def __call__(self, request: MfaRequest) -> str:
        with self._lock:
            token, self._token = self._token, None
        if token is not None:
            return parse_mfa_code(token, source="--mfa-token", profile=request.profile)
        if request.mfa_process:
            from awsafe.prompts.process import ask_mfa_process

            raw = ask_mfa_process(
                request,
                environ=self._environ,
                timeout=self._process_timeout,
                echo_stderr=self._tty_available(),
                stdin_tty=self._hands_the_terminal(),
            )
            return parse_mfa_code(raw, source="mfa_process", profile=request.profile)
        driver = self._driver or detect_prompt_driver(
            environ=self._environ,
            server_running=self._server_running,
            tty_available=self._tty_available,
            platform=self._platform,
        )
        if driver is None:
            raise self._nowhere_to_ask(request)
        return parse_mfa_code(self._ask(driver, request), source=_SOURCE[driver], profile=request.profile)

    def _ask(self, driver: str, request: MfaRequest) -> str:
        if driver == "terminal":
            from awsafe.prompts import terminal

            return terminal.ask_mfa_code(request)
        if driver == "ykman":
            from awsafe.prompts import ykman

            return ykman.ask_mfa_code(
                request,
                environ=self._environ,
                timeout=self._process_timeout,
                echo_stderr=self._tty_available(),
                stdin_tty=self._hands_the_terminal(),
            )
        from awsafe.prompts import gui

        return gui.ask_mfa_code(driver, request, environ=self._environ, timeout=self._prompt_timeout)

    def _hands_the_terminal(self) -> bool:
        """Whether mfa_process and ykman get the terminal as stdin (as in aws-vault), so a
        program that asks (an OATH password, "touch your key, then Enter") works under
        credential_process. Not while a credential server runs: the terminal is the command's."""
        return not self._server_running and self._tty_available()

    def _nowhere_to_ask(self, request: MfaRequest) -> MfaError:
        terminal = (
            "no terminal prompt while a credential server runs" if self._server_running else "no terminal"
        )
        mac = ", osascript" if self._platform == "darwin" else ""
        return MfaError(
            f"no way to ask for the MFA code of profile {request.profile!r} (serial {request.serial}): "
            f"{terminal}, no GUI prompt (zenity or kdialog with DISPLAY or WAYLAND_DISPLAY{mac}), "
            "no ykman on PATH",
            hint="pass --mfa-token CODE, set mfa_process, or use --prompt",
        )


_SOURCE = {
    "terminal": "the terminal",
    "zenity": "the zenity prompt",
    "kdialog": "the kdialog prompt",
    "osascript": "the osascript prompt",
    "ykman": "ykman",
}
