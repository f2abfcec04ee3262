"""The typed form of one profile and the checks on its values; pure, no I/O."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence

from awsafe.durations import parse_whole_number
from awsafe.errors import ConfigError

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$", re.ASCII)
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)
ACCOUNT_ID = re.compile(r"^\d{12}$", re.ASCII)
MIN_ROLE_DURATION = dt.timedelta(seconds=900)
MAX_ROLE_DURATION = dt.timedelta(seconds=43200)

# Keys that decide WHERE a profile's credentials come from. They are never
# inherited from [default]: that inheritance is aws-vault bug #1195, where SSO
# keys in [default] turned a role profile into an SSO profile.
SOURCE_KEYS = frozenset(
    {
        "source_profile",
        "role_arn",
        "external_id",
        "role_session_name",
        "source_identity",
        "session_tags",
        "transitive_session_tags",
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
        "sso_registration_scopes",
        "web_identity_token_file",
        "web_identity_token_process",
        "credential_process",
        "credential_source",
        "include_profile",
        # whose account the credentials are: [default]'s would be wrong for every other profile
        "aws_account_id",
    }
)


@dataclasses.dataclass(frozen=True)
class ProfileConfig:
    """Everything awsafe knows about one profile after includes, defaults and env overrides."""

    name: str
    where: str = ""  # file:line of the section, for messages
    defined: bool = True  # False when the config has no section for it
    source_profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    role_session_name: str | None = None
    duration: dt.timedelta | None = None
    mfa_serial: str | None = None
    mfa_process: str | None = None
    region: str | None = None
    sts_regional_endpoints: str | None = None
    endpoint_url: str | None = None
    include_profile: str | None = None
    session_tags: tuple[tuple[str, str], ...] = ()
    transitive_session_tags: tuple[str, ...] = ()
    source_identity: str | None = None
    sso_session: str | None = None
    sso_start_url: str | None = None
    sso_region: str | None = None
    sso_account_id: str | None = None
    sso_role_name: str | None = None
    sso_registration_scopes: str | None = None
    web_identity_token_file: str | None = None
    web_identity_token_process: str | None = None
    credential_process: str | None = None
    credential_source: str | None = None
    aws_account_id: str | None = None  # the SDKs' key: the account of this profile's own keys

    @property
    def has_sso(self) -> bool:
        return bool(self.sso_session or self.sso_start_url or self.sso_account_id)

    @property
    def has_web_identity(self) -> bool:
        return bool(self.web_identity_token_file or self.web_identity_token_process)


def _where(wheres: Mapping[str, str], key: str, fallback: str) -> str:
    return wheres.get(key, fallback)


def parse_session_tags(text: str, where: str) -> tuple[tuple[str, str], ...]:
    """``k=v,k2=v2`` (the format of session_tags and AWS_SESSION_TAGS)."""
    tags: list[tuple[str, str]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{where}: session_tags entry {item!r} is not key=value")
        tags.append((key.strip(), value.strip()))
    return tuple(tags)


def parse_tag_keys(text: str) -> tuple[str, ...]:
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def parse_duration_seconds(text: str, where: str) -> dt.timedelta:
    seconds = parse_whole_number(
        text,
        f"{where}: duration_seconds",
        int(MIN_ROLE_DURATION.total_seconds()),
        int(MAX_ROLE_DURATION.total_seconds()),
        error=ConfigError,
    )
    return dt.timedelta(seconds=seconds)


def build_profile(
    name: str, values: Mapping[str, str], wheres: Mapping[str, str], where: str
) -> ProfileConfig:
    """Type and validate merged raw values; every error names file:line of the bad key."""

    def get(key: str) -> str | None:
        value = values.get(key)
        return value if value else None

    role_arn = get("role_arn")
    if role_arn is not None and not ROLE_ARN.match(role_arn):
        raise ConfigError(
            f"{_where(wheres, 'role_arn', where)}: role_arn {role_arn!r} is not an IAM role ARN "
            "(arn:aws:iam::123456789012:role/NAME)"
        )
    session_name = get("role_session_name")
    if session_name is not None and not SESSION_NAME.match(session_name):
        raise ConfigError(
            f"{_where(wheres, 'role_session_name', where)}: role_session_name {session_name!r} "
            "must be 2-64 characters of letters, digits and +=,.@_-"
        )
    duration_text = get("duration_seconds")
    duration = (
        parse_duration_seconds(duration_text, _where(wheres, "duration_seconds", where))
        if duration_text is not None
        else None
    )
    regional = get("sts_regional_endpoints")
    if regional is not None and regional not in ("regional", "legacy"):
        raise ConfigError(
            f"{_where(wheres, 'sts_regional_endpoints', where)}: sts_regional_endpoints must be "
            f"'regional' or 'legacy', got {regional!r}"
        )
    tags_text = get("session_tags")
    tags = parse_session_tags(tags_text, _where(wheres, "session_tags", where)) if tags_text else ()
    transitive = parse_tag_keys(get("transitive_session_tags") or "")
    unknown = [key for key in transitive if key not in dict(tags)]
    if unknown:
        raise ConfigError(
            f"{_where(wheres, 'transitive_session_tags', where)}: transitive_session_tags names "
            f"{', '.join(unknown)}, which session_tags does not set"
        )
    account_id = get("aws_account_id")
    if account_id is not None and not ACCOUNT_ID.match(account_id):
        raise ConfigError(
            f"{_where(wheres, 'aws_account_id', where)}: aws_account_id {account_id!r} is not "
            "a 12-digit AWS account id"
        )
    source_profile = get("source_profile")
    return ProfileConfig(
        name=name,
        where=where,
        source_profile=None if source_profile == name else source_profile,
        role_arn=role_arn,
        external_id=get("external_id"),
        role_session_name=session_name,
        duration=duration,
        mfa_serial=get("mfa_serial"),
        mfa_process=get("mfa_process"),
        region=get("region"),
        sts_regional_endpoints=regional,
        endpoint_url=get("endpoint_url"),
        include_profile=get("include_profile"),
        session_tags=tags,
        transitive_session_tags=transitive,
        source_identity=get("source_identity"),
        sso_session=get("sso_session"),
        sso_start_url=get("sso_start_url"),
        sso_region=get("sso_region"),
        sso_account_id=get("sso_account_id"),
        sso_role_name=get("sso_role_name"),
        sso_registration_scopes=get("sso_registration_scopes"),
        web_identity_token_file=get("web_identity_token_file"),
        web_identity_token_process=get("web_identity_token_process"),
        credential_process=get("credential_process"),
        credential_source=get("credential_source"),
        aws_account_id=account_id,
    )


def resolve_account_id(chain: Sequence[ProfileConfig]) -> str | None:
    """The account of the chain's credentials, where the config says it (docs/config.md#aws_account_id).

    The SDKs' rules: a role's credentials are its role_arn's account; an SSO profile's, its
    sso_account_id; a profile's own keys (or credential_process), its ``aws_account_id``. A
    profile with a source_profile and no role uses its source's credentials, so the search goes
    on there. None when nothing says it: the SDKs then use their regional endpoints.
    """
    for profile in chain:
        if profile.role_arn:
            return profile.role_arn.split(":")[4]
        if profile.has_sso:
            return profile.sso_account_id
        if profile.aws_account_id:
            return profile.aws_account_id
        if profile.source_profile is None:
            return None
    return None
