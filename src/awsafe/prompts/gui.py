"""Ask for the MFA code in a desktop dialog (zenity, kdialog, osascript); never on a terminal or stdout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from awsafe.errors import MfaError
from awsafe.prompts.process import run_program

if TYPE_CHECKING:
    from awsafe.prompts.request import MfaRequest

GUI_DRIVERS = ("zenity", "kdialog", "osascript")

TITLE = "awsafe"


def render_prompt_text(request: MfaRequest) -> str:
    return f"Enter MFA code for {request.serial} (profile {request.profile})"


def render_zenity_argv(request: MfaRequest) -> list[str]:
    # zenity shows --text with a mnemonic ("_x" underlines x) after C-unescaping it; undo both.
    text = render_prompt_text(request).replace("\\", "\\\\").replace("_", "__")
    return ["zenity", "--entry", "--title", TITLE, "--text", text]


def render_kdialog_argv(request: MfaRequest) -> list[str]:
    return ["kdialog", "--inputbox", render_prompt_text(request), "--title", TITLE]


def render_osascript_argv(request: MfaRequest) -> list[str]:
    text = _applescript_string(render_prompt_text(request))
    dialog = (
        f'display dialog {text} default answer "" buttons {{"Cancel", "OK"}} '
        f'default button "OK" cancel button "Cancel" with title {_applescript_string(TITLE)}'
    )
    return ["osascript", "-e", dialog, "-e", "text returned of result"]


def _applescript_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_RENDERERS = {
    "zenity": render_zenity_argv,
    "kdialog": render_kdialog_argv,
    "osascript": render_osascript_argv,
}


def ask_mfa_code(
    driver: str,
    request: MfaRequest,
    *,
    environ: Mapping[str, str],
    timeout: float,
) -> str:
    """The raw answer typed into the ``driver`` dialog; MfaError when cancelled or it cannot run."""
    argv = _RENDERERS[driver](request)
    purpose = f"the {driver} MFA prompt for profile {request.profile!r}"
    done = run_program(argv, environ=environ, timeout=timeout, purpose=purpose)
    if done.returncode != 0:
        # GTK chatter ("Gtk-Message: ... transient parent") says nothing about why it failed.
        lines = [line for line in done.stderr_lines if not line.startswith("Gtk-Message")]
        detail = f": {lines[0]}" if lines else ""
        raise MfaError(
            f"MFA prompt cancelled ({done.render_exit()}, profile {request.profile!r}){detail}",
            hint="run again and enter the code, or pass --mfa-token CODE",
        )
    return done.stdout
