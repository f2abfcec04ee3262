"""What `awsafe rotate` hands to the rotation procedure: STS for the caller, IAM for the keys, its timeout."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from awsafe.aws.client import Endpoint
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.rules import MfaCodes, endpoint_for_profile
from awsafe.durations import parse_duration
from awsafe.environment import Environment
from awsafe.model import Credentials
from awsafe.rotation import DEFAULT_TIMEOUT, UserKeys

log = logging.getLogger(__name__)

# The shortest session STS grants: this one only makes three IAM calls.
MFA_SESSION_DURATION = dt.timedelta(minutes=15)


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


def caller_arns(environ: Mapping[str, str], owner: ProfileConfig) -> Callable[[Credentials, bool], str]:
    """GetCallerIdentity on the owner's STS endpoint; ``probe``: one attempt (the caller polls)."""
    from awsafe.aws.sts import fetch_caller_identity

    sts_endpoint = endpoint_for_profile(environ)(owner)

    def caller_arn(credentials: Credentials, probe: bool) -> str:
        if probe:  # does the new key work yet? one attempt: the caller polls
            return fetch_caller_identity(credentials, sts_endpoint, what="GetCallerIdentity", attempts=1)
        what = f"GetCallerIdentity with the keys of profile {owner.name!r}"
        return fetch_caller_identity(credentials, sts_endpoint, what=what)

    return caller_arn


def iam_keys(
    environ: Mapping[str, str], owner: ProfileConfig, mfa_codes: MfaCodes | None
) -> Callable[[Credentials], UserKeys]:
    """IAM calls with the given keys, through an MFA session when ``mfa_codes`` is given."""
    from awsafe.aws.iam import IamKeys
    from awsafe.aws.sts import fetch_session_token

    sts_endpoint = endpoint_for_profile(environ)(owner)

    def iam_for(credentials: Credentials) -> UserKeys:
        if mfa_codes is None:
            return IamKeys(credentials, iam_endpoint(environ, owner))
        # AWS refuses IAM calls made with a session token unless it carries MFA. Not cached:
        # a one-off session, and the key it comes from is about to be deleted.
        assert owner.mfa_serial is not None
        code = mfa_codes(owner.name, owner.mfa_serial, owner.mfa_process)
        session = fetch_session_token(
            credentials,
            sts_endpoint,
            MFA_SESSION_DURATION,
            profile=owner.name,
            mfa_serial=owner.mfa_serial,
            token_code=code,
        )
        log.debug("IAM calls use an MFA session of profile %r", owner.name)
        return IamKeys(session, iam_endpoint(environ, owner))

    return iam_for
