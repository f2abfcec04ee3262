"""Render credentials for `export` and `exec`; pure functions that return text, never print.

Importing it costs nothing (json and the model's datetime are imported when a function needs
them): the fast path imports it for FORMATS on every call, also when the agent renders.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    import datetime as dt

    from awsafe.model import Credentials


def _rfc3339(moment: dt.datetime) -> str:
    from awsafe.model import format_rfc3339 as formatted

    return formatted(moment)


FORMATS = ("env", "export-env", "ini", "json")


def credential_variables(
    credentials: Credentials, region: str | None, account_id: str | None = None
) -> list[tuple[str, str]]:
    """The variables SDKs read, in aws-vault's order; AWS_ACCOUNT_ID (account-based endpoints)
    where the config says the account (config.profile.resolve_account_id)."""
    variables = [
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key),
    ]
    if credentials.session_token:
        variables.append(("AWS_SESSION_TOKEN", credentials.session_token))
    if credentials.expires_at is not None:
        variables.append(("AWS_CREDENTIAL_EXPIRATION", _rfc3339(credentials.expires_at)))
    if account_id:
        variables.append(("AWS_ACCOUNT_ID", account_id))
    if region:
        variables += [("AWS_REGION", region), ("AWS_DEFAULT_REGION", region)]
    return variables


def render_env(
    credentials: Credentials, region: str | None, *, prefix: str = "", account_id: str | None = None
) -> str:
    return "".join(f"{prefix}{k}={v}\n" for k, v in credential_variables(credentials, region, account_id))


def render_ini(
    credentials: Credentials, region: str | None, profile: str, account_id: str | None = None
) -> str:
    lines = [
        f"[{profile}]",  # the credentials-file form, as aws-vault writes it since v7.2
        f"aws_access_key_id = {credentials.access_key_id}",
        f"aws_secret_access_key = {credentials.secret_access_key}",
    ]
    if credentials.session_token:
        lines.append(f"aws_session_token = {credentials.session_token}")
    if credentials.expires_at is not None:
        lines.append(f"aws_credential_expiration = {_rfc3339(credentials.expires_at)}")
    if account_id:
        lines.append(f"aws_account_id = {account_id}")
    if region:
        lines.append(f"region = {region}")
    return "\n".join(lines) + "\n"


def render_credential_process(credentials: Credentials, account_id: str | None = None) -> str:
    """The credential_process wire format: Version 1, Expiration only when temporary, AccountId
    (read by the SDKs since 2024) only when known."""
    document: dict[str, object] = {
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
    }
    if credentials.session_token:
        document["SessionToken"] = credentials.session_token
    if credentials.expires_at is not None:
        document["Expiration"] = _rfc3339(credentials.expires_at)
    if account_id:
        document["AccountId"] = account_id
    import json

    return json.dumps(document, indent=2) + "\n"


def render(
    format_name: str,
    credentials: Credentials,
    region: str | None,
    profile: str,
    account_id: str | None = None,
) -> str:
    if format_name == "json":
        return render_credential_process(credentials, account_id)
    if format_name == "ini":
        return render_ini(credentials, region, profile, account_id)
    if format_name == "export-env":
        return render_env(credentials, region, prefix="export ", account_id=account_id)
    return render_env(credentials, region, account_id=account_id)
