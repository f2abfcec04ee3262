"""Which IAM Identity Center a profile signs in to, and which role it takes there; pure.

Two spellings exist in ``~/.aws/config``: a profile naming an ``[sso-session
NAME]`` (start URL, region and registration scopes live there; refreshable
tokens), and the legacy inline keys (``sso_start_url`` and ``sso_region`` on
the profile; tokens cannot be refreshed). One token serves every profile of
the same session, so the session is what logins, locks and stored tokens are
keyed on: its name, or the start URL for the legacy spelling (as the AWS CLI
does for its cache).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping

from awsafe.aws.client import Endpoint
from awsafe.config.parse import ConfigFile
from awsafe.config.profile import ProfileConfig
from awsafe.errors import ConfigError

DEFAULT_SCOPES = ("sso:account:access",)


@dataclasses.dataclass(frozen=True)
class SsoSession:
    """One sign-in: where, and with which registration scopes."""

    start_url: str
    region: str
    name: str | None = None  # the [sso-session NAME]; None for the legacy inline keys
    scopes: tuple[str, ...] = ()

    @property
    def cache_name(self) -> str:
        """What tokens are keyed on; the AWS CLI names its cache file sha1(this)."""
        return self.name or self.start_url

    @property
    def item_id(self) -> str:
        """A name for vault items and locks that does not show the start URL on disk."""
        return hashlib.sha256(f"sso\0{self.cache_name}".encode()).hexdigest()[:40]

    @property
    def refreshable(self) -> bool:
        """Only a registration with sso:account:access receives refresh tokens."""
        return "sso:account:access" in self.scopes

    def describe(self) -> str:
        return f"sso-session {self.name!r}" if self.name else f"SSO start URL {self.start_url}"


@dataclasses.dataclass(frozen=True)
class SsoRole:
    session: SsoSession
    account_id: str
    role_name: str


def _scopes(text: str | None, *, named: bool) -> tuple[str, ...]:
    if text is None:
        return DEFAULT_SCOPES if named else ()
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def _require(values: Mapping[str, str | None], keys: tuple[str, ...], where: str, what: str) -> None:
    missing = [key for key in keys if not values.get(key)]
    if missing:
        raise ConfigError(f"{where}: {what} needs {', '.join(missing)}")


def session_of(profile: ProfileConfig) -> SsoSession:
    """The sign-in of an SSO profile (its [sso-session] values are already merged in)."""
    values = {"sso_start_url": profile.sso_start_url, "sso_region": profile.sso_region}
    what = f"the SSO profile {profile.name!r}"
    _require(values, ("sso_start_url", "sso_region"), profile.where, what)
    assert profile.sso_start_url is not None and profile.sso_region is not None
    return SsoSession(
        start_url=profile.sso_start_url,
        region=profile.sso_region,
        name=profile.sso_session,
        scopes=_scopes(profile.sso_registration_scopes, named=profile.sso_session is not None),
    )


def role_of(profile: ProfileConfig) -> SsoRole:
    """The account and role an SSO profile's credentials are for."""
    session = session_of(profile)
    values = {"sso_account_id": profile.sso_account_id, "sso_role_name": profile.sso_role_name}
    _require(values, ("sso_account_id", "sso_role_name"), profile.where, f"the SSO profile {profile.name!r}")
    assert profile.sso_account_id is not None and profile.sso_role_name is not None
    if not (profile.sso_account_id.isdigit() and len(profile.sso_account_id) == 12):
        raise ConfigError(
            f"{profile.where}: sso_account_id of profile {profile.name!r} must be 12 digits, "
            f"got {profile.sso_account_id!r}"
        )
    return SsoRole(session, profile.sso_account_id, profile.sso_role_name)


def named_session(config: ConfigFile, name: str) -> SsoSession:
    """An ``[sso-session NAME]`` on its own (for `awsafe sso login --sso-session NAME`)."""
    section = config.sso_sessions.get(name)
    if section is None:
        raise ConfigError(f"{config.path}: there is no [sso-session {name}] section")
    _require(section.values, ("sso_start_url", "sso_region"), section.where(), f"[sso-session {name}]")
    return SsoSession(
        start_url=section.values["sso_start_url"],
        region=section.values["sso_region"],
        name=name,
        scopes=_scopes(section.values.get("sso_registration_scopes"), named=True),
    )


@dataclasses.dataclass(frozen=True)
class SsoEndpoints:
    """Where the OIDC service and the portal are called: the session's region, or an override."""

    oidc_url: str | None = None
    portal_url: str | None = None

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> SsoEndpoints:
        """AWS_ENDPOINT_URL_SSO_OIDC / AWS_ENDPOINT_URL_SSO, then AWS_ENDPOINT_URL, as botocore does."""
        from awsafe.endpoint_urls import resolve_endpoint_url

        # No profile endpoint_url here: an sso-session is not a profile.
        return cls(resolve_endpoint_url("sso-oidc", env), resolve_endpoint_url("sso", env))

    def oidc(self, session: SsoSession) -> Endpoint:
        return Endpoint(region=session.region, url=self.oidc_url)

    def portal(self, session: SsoSession) -> Endpoint:
        return Endpoint(region=session.region, url=self.portal_url)
