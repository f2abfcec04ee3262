"""`awsafe rotate`: replace the long-term access key of the IAM user behind a profile.

Wires the procedure of ``awsafe.rotation`` to the vault, the STS and IAM adapters
(``awsafe.wiring.rotation``), the MFA prompt and stderr; the steps and their failure
handling live there.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time

from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.rotation import Rotator, find_key_owner
from awsafe.wiring.mfa import mfa_codes
from awsafe.wiring.options import CredentialRequest, GlobalOptions
from awsafe.wiring.provider import load_profile_chain
from awsafe.wiring.rotation import caller_arns, iam_keys, rotate_timeout
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RotateOptions:
    """What `rotate` was asked: the profile (default $AWS_PROFILE, then default) and its MFA flags."""

    request: CredentialRequest
    tail: tuple[str, ...] = ()  # words after '--': rotate runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> RotateOptions:
        profile = args.profile or env.get("AWS_PROFILE") or "default"
        request = CredentialRequest(profile=profile, no_session=args.no_session, mfa_token=args.mfa_token)
        return cls(request=request, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("rotate takes no command")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE, then default)")
    parser.add_argument(
        "-n",
        "--no-session",
        action="store_true",
        help="make the IAM calls with the long-term keys, without an MFA session",
    )
    parser.add_argument("-t", "--mfa-token", metavar="CODE", help="the MFA code to use (6 digits)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    rotate_options = RotateOptions.from_args(args, tail, env)
    rotate_options.validate(env, options)
    return rotate_keys(rotate_options, options, env)


def rotate_keys(rotate_options: RotateOptions, options: GlobalOptions, env: Environment) -> int:
    """Replace the access key of the IAM user whose keys the profile uses, in IAM and the vault."""
    request = rotate_options.request
    profile_name = request.profile
    timeout = rotate_timeout(env)
    chain = load_profile_chain(env, request)
    store = open_vault(options, env)
    keys = StoredKeys(store)
    owner = find_key_owner(chain, keys)
    if owner.name != profile_name:
        env.stderr.write(f"Profile {profile_name!r} uses the keys of profile {owner.name!r}\n")
    with_mfa = bool(owner.mfa_serial) and not request.no_session
    caller_arn = caller_arns(env.environ, owner)
    iam_for = iam_keys(env.environ, owner, mfa_codes(options, env, request) if with_mfa else None)

    names = [p.name for p in chain]

    def notice(text: str) -> None:
        env.stderr.write(text + "\n")

    cache = session_cache(store, env)  # built now: a bad AWS_MIN_TTL stops us before any change
    exec_flags = "" if with_mfa else " --no-session"
    rotator = Rotator(
        keys=keys,
        caller_arn=caller_arn,
        iam_for=iam_for,
        clear_sessions=lambda: cache.clear_derived_from(names),
        clock=env.clock,
        sleep=time.sleep,
        notice=notice,
        timeout=timeout,
        by_hand=f"awsafe exec {owner.name}{exec_flags} -- aws",
    )
    rotator.rotate(owner.name)
    return ExitCode.OK
