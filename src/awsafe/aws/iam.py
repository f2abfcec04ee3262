"""IAM calls for key rotation: list, create and delete one user's access keys; botocore errors -> AwsError.

Every call names the user explicitly (``UserName``), so the caller's identity never decides
whose keys change. The secret of a created key is returned inside ``Credentials`` (repr
redacted) and never reaches a message or a log line.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from awsafe.aws import client as clients
from awsafe.aws.client import Endpoint, calling
from awsafe.errors import AwsError
from awsafe.model import Credentials

if TYPE_CHECKING:
    from botocore.client import BaseClient

__all__ = ["AccessKeyInfo", "Endpoint", "IamKeys"]

log = logging.getLogger(__name__)

_HINT = "the identity making IAM calls needs iam:ListAccessKeys, iam:CreateAccessKey and iam:DeleteAccessKey"


@dataclasses.dataclass(frozen=True)
class AccessKeyInfo:
    """An access key as ListAccessKeys shows it: its id (not a secret) and Active/Inactive."""

    key_id: str
    status: str


class IamKeys:
    """The access keys of IAM users, managed with ``credentials`` (long-term keys or an MFA session)."""

    def __init__(self, credentials: Credentials, endpoint: Endpoint) -> None:
        self._credentials = credentials
        self._endpoint = endpoint
        self._clients: dict[int, BaseClient] = {}

    def _client(self, attempts: int) -> BaseClient:
        if attempts not in self._clients:
            self._clients[attempts] = clients.make_client(
                "iam", self._credentials, self._endpoint, attempts=attempts
            )
        return self._clients[attempts]

    def list_access_keys(self, user: str) -> list[AccessKeyInfo]:
        """iam:ListAccessKeys of ``user`` (a user has at most two keys: one page)."""
        with calling(f"ListAccessKeys of IAM user {user!r}", _HINT):
            response = self._client(4).list_access_keys(UserName=user)
        return [
            AccessKeyInfo(key_id=str(item["AccessKeyId"]), status=str(item.get("Status", "")))
            for item in response.get("AccessKeyMetadata", [])
        ]

    def create_access_key(self, user: str) -> Credentials:
        """iam:CreateAccessKey for ``user``; one attempt: a retry after a lost answer would make a
        second key whose secret nobody knows."""
        with calling(f"CreateAccessKey for IAM user {user!r}", _HINT):
            response = self._client(1).create_access_key(UserName=user)
        raw = response["AccessKey"]
        return Credentials(
            access_key_id=str(raw["AccessKeyId"]), secret_access_key=str(raw["SecretAccessKey"])
        )

    def delete_access_key(self, user: str, key_id: str) -> None:
        """iam:DeleteAccessKey; a key that is already gone (a retried call that had succeeded) is fine."""
        try:
            with calling(f"DeleteAccessKey {key_id} of IAM user {user!r}", _HINT):
                self._client(4).delete_access_key(UserName=user, AccessKeyId=key_id)
        except AwsError as error:
            if error.code != "NoSuchEntity":
                raise
            log.debug("access key %s of %r was already deleted", key_id, user)
