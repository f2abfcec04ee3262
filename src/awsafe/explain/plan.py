"""The calls a cache miss would make, in order, read off the provider tree the chain builder
built; pure: it builds providers (reading only which keys are stored) and never fetches.

Walking the very tree `exec` would run, rather than re-deriving it, keeps the prediction
honest: the session rules live in one place (``credentials/chain.py``) and `explain` reports
what they decided. A source is walked before the call it signs, which is the order of the
calls on a miss.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from awsafe.aws.sts import Endpoint
from awsafe.credentials.cache import CachedProvider, LazyProvider, SessionKey
from awsafe.credentials.outer import ContainerProvider, EnvironmentProvider, InstanceMetadataProvider
from awsafe.credentials.process import ProcessProvider
from awsafe.credentials.provider import Provider
from awsafe.credentials.stored import StoredKeysProvider
from awsafe.credentials.sts import AssumeRoleProvider, SessionTokenProvider
from awsafe.credentials.webidentity import WebIdentityProvider
from awsafe.errors import NoCredentialsError
from awsafe.model import Credentials


@dataclasses.dataclass(frozen=True)
class Call:
    """One call of a cache miss. ``external_id`` is kept whole here; renderers mask it."""

    operation: str  # GetSessionToken, AssumeRole, AssumeRoleWithWebIdentity, GetRoleCredentials
    service: str  # "sts", or "sso" for IAM Identity Center's GetRoleCredentials
    profile: str
    signed_with: str  # what signs it, in words
    cache_keys: tuple[SessionKey, ...]  # the cached sessions around it, outermost first
    duration: dt.timedelta | None = None
    role_arn: str | None = None
    session_name: str | None = None
    external_id: str | None = dataclasses.field(default=None, repr=False)
    mfa_serial: str | None = None
    source_identity: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    endpoint: Endpoint | None = None
    sso_account_id: str | None = None
    sso_role_name: str | None = None


@dataclasses.dataclass(frozen=True)
class Leaf:
    """Where the chain's first credentials come from: stored keys, SSO, a process, an outer source."""

    kind: str  # "stored keys", "SSO", "credential_process", "credential_source", "web identity"
    profile: str
    detail: str


@dataclasses.dataclass
class Plan:
    calls: list[Call] = dataclasses.field(default_factory=list)
    leaves: list[Leaf] = dataclasses.field(default_factory=list)
    keys: list[SessionKey] = dataclasses.field(default_factory=list)  # every cached session, in order


class SsoLeafProvider:
    """Stands for an SSO profile's GetRoleCredentials in the tree `explain` walks; never fetches."""

    def __init__(self, profile: str, account_id: str | None, role_name: str | None, session: str) -> None:
        self.profile = profile
        self.account_id = account_id
        self.role_name = role_name
        self.session = session

    def retrieve(self) -> Credentials:
        raise NoCredentialsError("explain never fetches credentials")  # pragma: no cover - a guard

    def describe(self) -> str:
        return f"IAM Identity Center role {self.role_name} in {self.account_id} ({self.session})"


def plan_calls(provider: Provider) -> Plan:
    """The calls and sources of ``provider`` on a full cache miss, in the order they happen."""
    plan = Plan()
    _walk(provider, (), plan)
    return plan


def _walk(provider: Provider, keys: tuple[SessionKey, ...], plan: Plan) -> str:
    """Add ``provider``'s calls to ``plan``; return what it yields, in words."""
    if isinstance(provider, CachedProvider):
        plan.keys.append(provider.key)
        return _walk(provider.inner, (*keys, provider.key), plan)
    if isinstance(provider, LazyProvider):
        return _walk(provider.build(), keys, plan)
    if isinstance(provider, SessionTokenProvider):
        signer = _walk(provider.source, keys, plan)
        plan.calls.append(
            Call(
                "GetSessionToken",
                "sts",
                provider.profile,
                signer,
                keys,
                duration=provider.duration,
                mfa_serial=provider.mfa_serial,
                endpoint=provider.endpoint,
            )
        )
        return f"the session token of call {len(plan.calls)}"
    if isinstance(provider, AssumeRoleProvider):
        signer = _walk(provider.source, keys, plan)
        request = provider.request
        plan.calls.append(
            Call(
                "AssumeRole",
                "sts",
                provider.profile,
                signer,
                keys,
                duration=request.duration,
                role_arn=request.role_arn,
                session_name=request.session_name,
                external_id=request.external_id,
                mfa_serial=request.mfa_serial,
                source_identity=request.source_identity,
                tags=request.tags,
                endpoint=provider.endpoint,
            )
        )
        return f"the role credentials of call {len(plan.calls)}"
    if isinstance(provider, WebIdentityProvider):
        plan.leaves.append(Leaf("web identity", provider.profile, f"the token of {provider.source}"))
        plan.calls.append(
            Call(
                "AssumeRoleWithWebIdentity",
                "sts",
                provider.profile,
                f"unsigned, with the token of {provider.source}",
                keys,
                duration=provider.duration,
                role_arn=provider.role_arn,
                session_name=provider.session_name,
                endpoint=provider.endpoint,
            )
        )
        return f"the role credentials of call {len(plan.calls)}"
    if isinstance(provider, SsoLeafProvider):
        plan.leaves.append(Leaf("SSO", provider.profile, provider.describe()))
        plan.calls.append(
            Call(
                "GetRoleCredentials",
                "sso",
                provider.profile,
                f"the access token of {provider.session}",
                keys,
                sso_account_id=provider.account_id,
                sso_role_name=provider.role_name,
            )
        )
        return f"the SSO role credentials of call {len(plan.calls)}"
    if isinstance(provider, StoredKeysProvider):
        plan.leaves.append(Leaf("stored keys", provider.profile, provider.describe()))
        return f"the long-term keys of {provider.profile!r}"
    if isinstance(provider, ProcessProvider):
        plan.leaves.append(Leaf("credential_process", provider.profile, provider.command))
        return f"the output of credential_process of {provider.profile!r}"
    if isinstance(provider, EnvironmentProvider | InstanceMetadataProvider | ContainerProvider):
        plan.leaves.append(Leaf("credential_source", provider.profile, provider.describe()))
        return provider.describe()
    description = provider.describe()  # a source this walk does not know: named, not guessed at
    plan.leaves.append(Leaf("other", "", description))
    return description
