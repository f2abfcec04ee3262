"""Role credentials from IAM Identity Center: an access token of the session, then GetRoleCredentials."""

from __future__ import annotations

from awsafe.aws import sso as api
from awsafe.errors import AwsError
from awsafe.model import Credentials
from awsafe.sso.settings import SsoRole
from awsafe.sso.tokens import SsoTokens


class SsoRoleProvider:
    """GetRoleCredentials for one account and role; a token the portal rejects is replaced once."""

    def __init__(self, tokens: SsoTokens, role: SsoRole, *, profile: str) -> None:
        self._tokens = tokens
        self._role = role
        self._profile = profile

    def retrieve(self) -> Credentials:
        session = self._role.session
        token = self._tokens.access_token(session)
        try:
            return self._fetch(token)
        except AwsError as e:
            if e.code != "UnauthorizedException":
                raise
        # The token looked valid here but the portal no longer takes it (signed out elsewhere).
        self._tokens.invalidate(session, token)
        return self._fetch(self._tokens.access_token(session))

    def _fetch(self, token: str) -> Credentials:
        role = self._role
        return api.get_role_credentials(
            self._tokens.endpoints.portal(role.session), token, role.account_id, role.role_name
        )

    def describe(self) -> str:
        role = self._role
        return (
            f"IAM Identity Center role {role.role_name} in account {role.account_id} "
            f"({role.session.describe()}) for profile {self._profile!r}"
        )
