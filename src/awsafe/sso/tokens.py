"""One valid access token per SSO session, shared by every process: refresh early, sign in once.

Every renewal happens under a cross-process lock per session, and whoever
gets the lock first reads the vault again: N parallel callers without a token
start one sign-in, and the others use the token it stored. The cases that
bite in practice:

- under 15 minutes left and a refresh token: refresh; if that fails while the
  token is still good, keep using it (and say so);
- a refresh rejected as invalid (revoked, or already used): if another
  process stored a newer token meanwhile, use it; else drop the stale token
  and start exactly one sign-in;
- a refresh that fails for a transient reason (5xx, network): keep the
  refresh token, report, and start no sign-in the user did not need.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from awsafe.aws import sso as api
from awsafe.aws.sso import ClientRegistration, Registrations, TokenGrant
from awsafe.clock import Clock
from awsafe.errors import AwsError, LoginError
from awsafe.sso.cli_cache import CliTokenCache
from awsafe.sso.settings import SsoEndpoints, SsoSession
from awsafe.sso.store import SsoToken, SsoTokenStore

log = logging.getLogger(__name__)

REFRESH_WINDOW = dt.timedelta(minutes=15)
STILL_USABLE = dt.timedelta(minutes=1)  # less than this left and a token is not worth handing out
REGISTRATION_MARGIN = dt.timedelta(hours=1)
# The OIDC service's answers to a refresh token that will never work again.
REJECTED = frozenset({"InvalidGrantException", "InvalidClientException", "UnauthorizedClientException"})

SignIn = Callable[[SsoSession, Registrations], TokenGrant]


class Locks(Protocol):
    def hold(self, name: str, label: str) -> AbstractContextManager[None]: ...


@dataclasses.dataclass(frozen=True)
class SsoTokens:
    """Hands out access tokens; ``sign_in`` runs the interactive flow when nothing else works."""

    store: SsoTokenStore
    locks: Locks
    clock: Clock
    endpoints: SsoEndpoints
    sign_in: SignIn
    cli_cache: CliTokenCache | None = None
    notice: Callable[[str], object] = lambda _: None

    def access_token(self, session: SsoSession) -> str:
        token = self._current(session)
        if token is not None and self._fresh(token):
            return token.access_token
        with self._lock(session):
            token = self._current(session)  # another process may have renewed it meanwhile
            if token is not None and self._fresh(token):
                return token.access_token
            return self._renew(session, token).access_token

    def renew(self, session: SsoSession, *, force_sign_in: bool = False) -> SsoToken:
        """`awsafe sso login`: a fresh token, refreshing or signing in as needed."""
        with self._lock(session):
            token = None if force_sign_in else self._current(session)
            if token is not None and self._fresh(token):
                return token
            return self._renew(session, token)

    def invalidate(self, session: SsoSession, rejected: str) -> None:
        """The portal refused ``rejected``: treat it as expired (its refresh token may still work),
        unless another process already replaced it."""
        with self._lock(session):
            token = self.store.token(session)
            if token is not None and token.access_token == rejected:
                self.store.put_token(session, dataclasses.replace(token, expires_at=self.clock()))

    def logout(self, session: SsoSession) -> bool:
        """End the session at IAM Identity Center (best effort) and forget its token here."""
        with self._lock(session):
            token = self.store.token(session)
            if token is None:
                return False
            if token.valid_for(self.clock()) > dt.timedelta(0):
                try:
                    api.logout(self.endpoints.portal(session), token.access_token)
                except AwsError as e:
                    self.notice(f"{e.message} (the token is forgotten here anyway)")
            self.store.delete_token(session)
            if self.cli_cache is not None:
                self.cli_cache.delete(session)
            return True

    # -- internals ---------------------------------------------------------------------------

    def _lock(self, session: SsoSession) -> AbstractContextManager[None]:
        """One renewal per session across processes; the others wait and read what it stored."""
        return self.locks.hold(session.item_id, f"the SSO token of {session.describe()}")

    def _fresh(self, token: SsoToken) -> bool:
        left = token.valid_for(self.clock())
        return left > REFRESH_WINDOW or (left > STILL_USABLE and not token.can_refresh)

    def _current(self, session: SsoSession) -> SsoToken | None:
        """The best token known: the vault's, or the AWS CLI's when sharing is on and it is newer."""
        token = self.store.token(session)
        if self.cli_cache is not None:
            theirs = self.cli_cache.read(session)
            newer = theirs is not None and (token is None or theirs.expires_at > token.expires_at)
            # the same access token is not newer: ours may be marked expired after the portal refused it
            if theirs is not None and newer and (token is None or theirs.access_token != token.access_token):
                log.debug("using the AWS CLI's cached token of %s", session.describe())
                self.store.put_token(session, theirs)
                token = theirs
        return token

    def _renew(self, session: SsoSession, token: SsoToken | None) -> SsoToken:
        if token is not None and token.can_refresh:
            refreshed = self._refresh(session, token)
            if refreshed is not None:
                return refreshed
        elif token is not None and token.valid_for(self.clock()) > STILL_USABLE:
            return token
        if token is not None:
            self.store.delete_token(session)
        return self._keep(session, self._sign_in(session))

    def _refresh(self, session: SsoSession, token: SsoToken) -> SsoToken | None:
        """A refreshed token; the old one while it is still usable; None when a sign-in is needed."""
        assert token.registration is not None and token.refresh_token is not None
        log.debug("refreshing the SSO token of %s", session.describe())
        try:
            grant = api.create_token(
                self.endpoints.oidc(session),
                token.registration,
                self.clock(),
                f"refreshing the SSO token of {session.describe()}",
                grantType=api.REFRESH_GRANT,
                refreshToken=token.refresh_token,
            )
        except AwsError as e:
            return self._after_failed_refresh(session, token, e)
        refreshed = SsoToken(
            grant.access_token,
            grant.expires_at,
            grant.refresh_token or token.refresh_token,
            token.registration,
        )
        return self._keep(session, refreshed)

    def _after_failed_refresh(self, session: SsoSession, token: SsoToken, error: AwsError) -> SsoToken | None:
        rejected = error.code in REJECTED
        if error.code == "InvalidClientException" and token.registration is not None:
            self.store.delete_registration(session, token.registration.flow)  # register anew to sign in
        if rejected:
            latest = self._current(session)
            if latest is not None and latest.refresh_token != token.refresh_token and self._usable(latest):
                log.debug("another process renewed the SSO token of %s meanwhile", session.describe())
                return latest
        if self._usable(token):
            left = int(token.valid_for(self.clock()).total_seconds() // 60)
            self.notice(f"{error.message}; using the current token, valid for {left} more minutes")
            if rejected:  # do not try this refresh token again
                self.store.put_token(session, dataclasses.replace(token, refresh_token=None))
            return token
        if rejected:
            self.notice(f"{error.message}; signing in again")
            return None
        raise AwsError(
            f"{error.message}; the refresh token is kept, no new sign-in was started",
            code=error.code,
            status=error.status,
            hint="try again in a moment; `awsafe sso login` signs in anew",
        ) from error

    def _usable(self, token: SsoToken) -> bool:
        return token.valid_for(self.clock()) > STILL_USABLE

    def _sign_in(self, session: SsoSession) -> SsoToken:
        used: list[ClientRegistration] = []

        def registrations(flow: str) -> ClientRegistration:
            registration = self._registration(session, flow)
            used.append(registration)
            return registration

        grant = self.sign_in(session, registrations)
        if not used:
            raise LoginError(f"the sign-in to {session.describe()} registered no client")
        return SsoToken(grant.access_token, grant.expires_at, grant.refresh_token, used[-1])

    def _registration(self, session: SsoSession, flow: str) -> ClientRegistration:
        stored = self.store.registration(session, flow)
        if (
            stored is not None
            and stored.scopes == session.scopes
            and stored.expires_at - self.clock() > REGISTRATION_MARGIN
        ):
            return stored
        registration = api.register_client(
            self.endpoints.oidc(session),
            flow=flow,
            scopes=session.scopes,
            start_url=session.start_url,
        )
        self.store.put_registration(session, registration)
        return registration

    def _keep(self, session: SsoSession, token: SsoToken) -> SsoToken:
        self.store.put_token(session, token)
        if self.cli_cache is not None:
            self.cli_cache.write(session, token)
        return token
