"""What moving keys needs besides the transfer itself: a backend opened by name exactly as every
command opens its vault, the plaintext credentials file's default path, and `--verify`'s
GetCallerIdentity with each key on its profile's STS endpoint."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from awsafe.config.resolve import resolve_profile
from awsafe.credentials.rules import endpoint_for_profile
from awsafe.environment import Environment
from awsafe.model import Credentials
from awsafe.vault.base import Store
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.provider import read_config
from awsafe.wiring.vault import open_vault

log = logging.getLogger(__name__)

# (profile, keys) -> the ARN the keys act as; AwsError when STS refuses them
CallerCheck = Callable[[str, Credentials], str]


def open_backend(name: str, options: GlobalOptions, env: Environment) -> Store:
    """The vault of backend ``name`` with the rest of the flags as given (--file-dir and the
    passphrase), through ``open_vault``: a write to it marks the vault changed for an agent."""
    return open_vault(dataclasses.replace(options, backend=name), env)


def credentials_file_path(env: Environment) -> Path:
    """AWS_SHARED_CREDENTIALS_FILE when set, else ~/.aws/credentials (as the AWS CLI reads it)."""
    configured = env.get("AWS_SHARED_CREDENTIALS_FILE")
    return Path(configured).expanduser() if configured else env.home / ".aws" / "credentials"


def caller_check(env: Environment) -> CallerCheck:
    """GetCallerIdentity with a profile's keys, on the STS endpoint its config section names
    (region, endpoint_url, AWS_ENDPOINT_URL_STS), as the keys will be used once in the vault."""
    from awsafe.aws.sts import fetch_caller_identity

    config = read_config(env)
    endpoint_for = endpoint_for_profile(env.environ)

    def check(profile: str, credentials: Credentials) -> str:
        endpoint = endpoint_for(resolve_profile(config, profile, env.environ))
        what = f"GetCallerIdentity with the keys of profile {profile!r}"
        arn = fetch_caller_identity(credentials, endpoint, what=what, attempts=1)
        log.debug("the keys of %r act as %s", profile, arn)
        return arn

    return check
