"""aws-vault's item names and item contents, parsed: which items are long-term keys, and the
keys inside one. Pure: no store is touched here, and no secret reaches a message."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re

from awsafe.errors import StoreCorruptError
from awsafe.model import Credentials

# aws-vault's cached sessions: "TYPE,base64url(profile),base64url(mfa serial),UNIX-EXPIRY"
# (vault/sessionkeyring.go), and the three older spellings it still recognises and removes.
_SESSION = re.compile(r"^(?P<type>[^,]+),(?P<profile>[^,]+),(?P<mfa>[^,]*),(?P<expiry>[0-9]+)$")
_OLD_SESSIONS = (
    re.compile(r"^session,[^,]+,[^,]*,[0-9]{2,}$"),
    re.compile(r"^session:[^ ]+:[^ ]*:[^:]+$"),
    re.compile(r"^.+? session \(\d+\)$"),
)
OIDC_PREFIX = "oidc:"  # IAM Identity Center tokens, "oidc:<start url>" (vault/oidctokenkeyring.go)

# What a session item of each type caches (vault/vault.go names the types).
_SESSION_KINDS = {
    "session": "an STS session",  # aws-vault 5's name for GetSessionToken sessions
    "sts.GetSessionToken": "an STS session",
    "sts.AssumeRole": "a role session",
    "sts.AssumeRoleWithWebIdentity": "a web identity role session",
    "sso.GetRoleCredentials": "IAM Identity Center role credentials",
    "credential_process": "credential_process output",
}


@dataclasses.dataclass(frozen=True)
class ItemName:
    """An item's name, classified: ``skip_reason`` is None for a profile's long-term keys."""

    key: str
    skip_reason: str | None = None

    @property
    def long_term(self) -> bool:
        return self.skip_reason is None


_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _b64url(text: str) -> bool:
    """Whether Go's base64.RawURLEncoding (not strict) decodes ``text``."""
    return bool(_B64URL.match(text)) and len(text) % 4 != 1


def parse_item_name(key: str) -> ItemName:
    """What aws-vault keeps under ``key``: a profile's long-term keys, or something it renews."""
    if key.startswith(OIDC_PREFIX):
        return ItemName(key, "an IAM Identity Center token (sign in again: awsafe sso login)")
    match = _SESSION.match(key)
    if match and _b64url(match["profile"]) and _b64url(match["mfa"]):
        kind = _SESSION_KINDS.get(match["type"], f"a {match['type']} session")
        return ItemName(key, f"cached {kind} (renewed anyway)")
    if any(pattern.match(key) for pattern in _OLD_SESSIONS):
        return ItemName(key, "a cached session of an older aws-vault (renewed anyway)")
    return ItemName(key)


def parse_keyring_item(raw: bytes, where: str) -> bytes:
    """The ``Data`` of a keyring item as 99designs/keyring marshals it (JSON, ``Data`` base64):
    the item's credential JSON. StoreCorruptError, naming ``where`` only, if it is not one."""
    try:
        item = json.loads(raw)
        data = item["Data"]
        if not isinstance(data, str):
            raise TypeError("Data is not a string")
        return base64.b64decode(data, validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as e:
        raise StoreCorruptError(f"{where} is not an aws-vault keyring item") from e


def parse_credential_json(raw: bytes, where: str) -> tuple[Credentials | None, str | None]:
    """The long-term keys in an aws-vault credential JSON, or (None, why they are not moved).

    aws-vault marshals aws-sdk-go-v2's ``aws.Credentials`` (AccessKeyID, SecretAccessKey,
    SessionToken, Source, CanExpire, Expires); aws-vault before v6 wrote aws-sdk-go's
    ``credentials.Value`` (AccessKeyID, SecretAccessKey, SessionToken, ProviderName). Both read.
    StoreCorruptError when it is not a credential JSON at all.
    """
    try:
        data = json.loads(raw)
        key_id = data["AccessKeyID"]
        secret = data["SecretAccessKey"]
        if not isinstance(key_id, str) or not isinstance(secret, str):
            raise TypeError("the keys are not strings")
    except (ValueError, KeyError, TypeError) as e:
        raise StoreCorruptError(f"{where} holds no aws-vault credentials") from e
    if data.get("SessionToken"):
        return None, "temporary credentials (a session token), renewed anyway"
    if not key_id or not secret:
        return None, "an empty access key"
    return Credentials(access_key_id=key_id, secret_access_key=secret), None
