"""The ECS endpoint's ``/role-arn/ARN`` credentials: that role assumed through STS, kept fresh per ARN."""

from __future__ import annotations

import collections
from collections.abc import Callable

from awsafe.aws.sts import AssumeRoleRequest, fetch_assume_role
from awsafe.config.profile import ROLE_ARN, ProfileConfig
from awsafe.credentials.rules import ONE_HOUR, endpoint_for_profile, generated_session_name
from awsafe.environment import Environment
from awsafe.errors import UsageError
from awsafe.model import Credentials
from awsafe.server.routes import FreshCredentials

MAX_ROLES_KEPT = 64  # /role-arn/ARN credentials kept fresh at once; the least recently asked go first


def role_fetcher(
    env: Environment, base: FreshCredentials, profile: ProfileConfig, min_ttl_seconds: float
) -> Callable[[str], Credentials]:
    """``/role-arn/ARN``: that role assumed with the profile's credentials, kept fresh per ARN
    (refetched when ``min_ttl_seconds`` remain)."""
    endpoint = endpoint_for_profile(env.environ)(profile)
    roles: collections.OrderedDict[str, FreshCredentials] = collections.OrderedDict()

    def fetch(role_arn: str) -> Credentials:
        if not ROLE_ARN.match(role_arn):
            raise UsageError(f"{role_arn!r} is not an IAM role ARN")
        if role_arn not in roles:
            request = AssumeRoleRequest(role_arn, generated_session_name(env.clock), ONE_HOUR)
            roles[role_arn] = FreshCredentials(
                lambda: fetch_assume_role(base(), endpoint, request, profile=profile.name),
                env.clock,
                min_ttl_seconds,
            )
            if len(roles) > MAX_ROLES_KEPT:  # a client asking for ever new ARNs must not grow us
                roles.popitem(last=False)
        roles.move_to_end(role_arn)
        return roles[role_arn]()

    return fetch
