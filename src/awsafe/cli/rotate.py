"""`awsafe rotate`: replace the long-term access key of the IAM user behind a profile.

Wires the procedure of ``awsafe.rotation`` to the vault, STS, IAM, the MFA prompt
and stderr; the steps and their failure handling live there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from collections.abc import Mapping

from awsafe.aws.client import Endpoint
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.model import Credentials
from awsafe.rotation import DEFAULT_TIMEOUT, Rotator, UserKeys, find_key_owner
from awsafe.wiring import (
    CredentialRequest,
    GlobalOptions,
    load_profile_chain,
    mfa_codes,
    open_vault,
    parse_duration,
    session_cache,
)

log = logging.getLogger(__name__)

# The shortest session STS grants: this one only makes three IAM calls.
MFA_SESSION_DURATION = dt.timedelta(minutes=15)


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


def rotate_timeout(env: Environment) -> dt.timedelta:
    """AWSAFE_ROTATE_TIMEOUT: how long the new key may take to work (default 60 s)."""
    text = env.get("AWSAFE_ROTATE_TIMEOUT")
    return parse_duration(text, "AWSAFE_ROTATE_TIMEOUT") if text else DEFAULT_TIMEOUT


def iam_endpoint(environ: Mapping[str, str], profile: ProfileConfig) -> Endpoint:
    """Where IAM is called: AWS_ENDPOINT_URL_IAM > AWS_ENDPOINT_URL > endpoint_url, as for STS.

    IAM is global; botocore maps the profile's region to its partition's IAM endpoint.
    """
    from awsafe.endpoint_urls import resolve_endpoint_url

    url = resolve_endpoint_url("iam", environ, profile.endpoint_url)
    return Endpoint(region=profile.region or "us-east-1", url=url)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    if tail:
        raise UsageError("rotate takes no command")
    from awsafe.aws.iam import IamKeys
    from awsafe.aws.sts import fetch_caller_identity, fetch_session_token
    from awsafe.credentials.rules import endpoint_for_profile

    profile_name = args.profile or env.get("AWS_PROFILE") or "default"
    request = CredentialRequest(profile=profile_name, no_session=args.no_session, mfa_token=args.mfa_token)
    timeout = rotate_timeout(env)
    chain = load_profile_chain(env, request)
    store = open_vault(options, env)
    keys = StoredKeys(store)
    owner = find_key_owner(chain, keys)
    if owner.name != profile_name:
        env.stderr.write(f"Profile {profile_name!r} uses the keys of profile {owner.name!r}\n")
    sts_endpoint = endpoint_for_profile(env.environ)(owner)
    with_mfa = bool(owner.mfa_serial) and not args.no_session

    def caller_arn(credentials: Credentials, probe: bool) -> str:
        if probe:  # does the new key work yet? one attempt: the caller polls
            return fetch_caller_identity(credentials, sts_endpoint, what="GetCallerIdentity", attempts=1)
        what = f"GetCallerIdentity with the keys of profile {owner.name!r}"
        return fetch_caller_identity(credentials, sts_endpoint, what=what)

    def iam_for(credentials: Credentials) -> UserKeys:
        if not with_mfa:
            return IamKeys(credentials, iam_endpoint(env.environ, owner))
        # AWS refuses IAM calls made with a session token unless it carries MFA. Not cached:
        # a one-off session, and the key it comes from is about to be deleted.
        assert owner.mfa_serial is not None
        code = mfa_codes(options, env, request)(owner.name, owner.mfa_serial, owner.mfa_process)
        session = fetch_session_token(
            credentials,
            sts_endpoint,
            MFA_SESSION_DURATION,
            profile=owner.name,
            mfa_serial=owner.mfa_serial,
            token_code=code,
        )
        log.debug("IAM calls use an MFA session of profile %r", owner.name)
        return IamKeys(session, iam_endpoint(env.environ, owner))

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
