"""Read the MFA code from a YubiKey's OATH application with ``ykman``; never touches our stdin or stdout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from awsafe.errors import MfaError
from awsafe.prompts.process import run_program

if TYPE_CHECKING:
    from awsafe.prompts.request import MfaRequest


def resolve_account_name(request: MfaRequest, environ: Mapping[str, str]) -> str:
    """The OATH account to read: YKMAN_OATH_CREDENTIAL_NAME, else the serial ARN (as aws-vault)."""
    return environ.get("YKMAN_OATH_CREDENTIAL_NAME") or request.serial


def render_ykman_argv(request: MfaRequest, environ: Mapping[str, str]) -> list[str]:
    """aws-vault's invocation: ``--device`` from YKMAN_OATH_DEVICE_SERIAL, and the pre-4.0
    ``oath code`` when AWS_VAULT_YKMAN_VERSION is 1, 2 or 3."""
    argv = ["ykman"]
    device = environ.get("YKMAN_OATH_DEVICE_SERIAL")
    if device:
        argv += ["--device", device]
    if environ.get("AWS_VAULT_YKMAN_VERSION", "").strip() in ("1", "2", "3"):
        argv += ["oath", "code"]
    else:
        argv += ["oath", "accounts", "code"]
    return [*argv, "--single", resolve_account_name(request, environ)]


def parse_ykman_output(stdout: str) -> str:
    """``--single`` prints the code alone; older versions print ``name  code``: take the last word."""
    words = stdout.split()
    return words[-1] if words else ""


def ask_mfa_code(
    request: MfaRequest,
    *,
    environ: Mapping[str, str],
    timeout: float,
    echo_stderr: bool = False,
    stdin_tty: bool = False,
) -> str:
    """The raw code ykman printed; MfaError naming the OATH account when it cannot."""
    account = resolve_account_name(request, environ)
    purpose = f"ykman, for the MFA code of profile {request.profile!r}"
    done = run_program(
        render_ykman_argv(request, environ),
        environ=environ,
        timeout=timeout,
        purpose=purpose,
        echo_stderr=echo_stderr,
        stdin_tty=stdin_tty,
    )
    if done.returncode != 0:
        detail = f": {done.stderr_line}" if done.stderr_line else ""
        raise MfaError(
            f"ykman could not read OATH account {account!r} for profile {request.profile!r} "
            f"({done.render_exit()}){detail}",
            hint="check `ykman oath accounts list`; set YKMAN_OATH_CREDENTIAL_NAME to the account's name",
        )
    return parse_ykman_output(done.stdout)
