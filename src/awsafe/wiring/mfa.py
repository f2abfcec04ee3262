"""Wiring of MFA codes: the prompt driver the flags and environment choose, asked lazily."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from awsafe.credentials.rules import MfaCodes
from awsafe.environment import Environment
from awsafe.wiring.options import CredentialRequest, GlobalOptions

if TYPE_CHECKING:
    from awsafe.prompts.request import MfaRequest


def mfa_codes(options: GlobalOptions, env: Environment, request: CredentialRequest) -> MfaCodes:
    """Ask for MFA codes the way the user chose; the choice is made on the first question only."""
    chosen: list[Callable[[MfaRequest], str]] = []

    def ask(profile: str, serial: str, process: str | None) -> str:
        from awsafe.prompts.mfa import choose_mfa_source
        from awsafe.prompts.request import MfaRequest

        if not chosen:
            chosen.append(
                choose_mfa_source(
                    token=request.mfa_token,
                    driver=options.prompt or env.get("AWSAFE_PROMPT", "AWS_VAULT_PROMPT"),
                    environ=env.environ,
                    server_running=request.server_running,
                )
            )
        return chosen[0](MfaRequest(profile=profile, serial=serial, mfa_process=process))

    return ask
