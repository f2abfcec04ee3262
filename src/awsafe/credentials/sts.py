"""Providers that turn credentials into temporary ones through STS (the calls live in awsafe.aws)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from awsafe.aws import sts as aws
from awsafe.aws.sts import AssumeRoleRequest, Endpoint
from awsafe.credentials.provider import Provider
from awsafe.model import Credentials


class SessionTokenProvider:
    """sts:GetSessionToken on top of long-term keys."""

    def __init__(
        self,
        source: Provider,
        endpoint: Endpoint,
        duration: dt.timedelta,
        *,
        profile: str,
        mfa_serial: str | None = None,
        token_code: Callable[[], str] | None = None,
    ) -> None:
        self.source = source
        self.endpoint = endpoint
        self.duration = duration
        self.profile = profile
        self.mfa_serial = mfa_serial
        self._token_code = token_code

    def retrieve(self) -> Credentials:
        source = self.source.retrieve()
        code = self._token_code() if self.mfa_serial and self._token_code else None
        return aws.fetch_session_token(
            source,
            self.endpoint,
            self.duration,
            profile=self.profile,
            mfa_serial=self.mfa_serial,
            token_code=code,
        )

    def describe(self) -> str:
        mfa = f" with MFA {self.mfa_serial}" if self.mfa_serial else ""
        return f"GetSessionToken{mfa} for {self.profile!r} ({self.duration}) from {self.source.describe()}"


class AssumeRoleProvider:
    """sts:AssumeRole with the credentials of a source provider."""

    def __init__(
        self,
        source: Provider,
        endpoint: Endpoint,
        request: AssumeRoleRequest,
        *,
        profile: str,
        token_code: Callable[[], str] | None = None,
    ) -> None:
        self.source = source
        self.endpoint = endpoint
        self.request = request
        self.profile = profile
        self._token_code = token_code

    def retrieve(self) -> Credentials:
        source = self.source.retrieve()
        request = self.request
        if request.mfa_serial and self._token_code:
            request = dataclasses.replace(request, token_code=self._token_code())
        return aws.fetch_assume_role(source, self.endpoint, request, profile=self.profile)

    def describe(self) -> str:
        return (
            f"AssumeRole {self.request.role_arn} for {self.profile!r} "
            f"({self.request.duration}) from {self.source.describe()}"
        )


class FederationTokenProvider:
    """sts:GetFederationToken for an IAM user's console session (AWS takes only long-term keys)."""

    def __init__(self, source: Provider, endpoint: Endpoint, duration: dt.timedelta, *, profile: str) -> None:
        self.source = source
        self.endpoint = endpoint
        self.duration = duration
        self.profile = profile

    @property
    def name(self) -> str:
        """The federated user's name: 2-32 characters of [\\w+=,.@-]."""
        cleaned = "".join(c if c.isalnum() or c in "+=,.@-_" else "-" for c in self.profile)
        return f"awsafe-{cleaned}"[:32]

    def retrieve(self) -> Credentials:
        return aws.fetch_federation_token(
            self.source.retrieve(),
            self.endpoint,
            name=self.name,
            duration=self.duration,
            profile=self.profile,
        )

    def describe(self) -> str:
        return f"GetFederationToken for {self.profile!r} ({self.duration}) from {self.source.describe()}"
