"""Render credentials for `export` and `exec`; pure functions that return text, never print."""

from __future__ import annotations

import json

from awsafe.model import Credentials, format_rfc3339

FORMATS = ("env", "export-env", "ini", "json")


def credential_variables(credentials: Credentials, region: str | None) -> list[tuple[str, str]]:
    """The variables SDKs read, in aws-vault's order."""
    variables = [
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key),
    ]
    if credentials.session_token:
        variables.append(("AWS_SESSION_TOKEN", credentials.session_token))
    if credentials.expires_at is not None:
        variables.append(("AWS_CREDENTIAL_EXPIRATION", format_rfc3339(credentials.expires_at)))
    if region:
        variables += [("AWS_REGION", region), ("AWS_DEFAULT_REGION", region)]
    return variables


def render_env(credentials: Credentials, region: str | None, *, prefix: str = "") -> str:
    return "".join(f"{prefix}{k}={v}\n" for k, v in credential_variables(credentials, region))


def render_ini(credentials: Credentials, region: str | None, profile: str) -> str:
    lines = [
        f"[profile {profile}]",
        f"aws_access_key_id = {credentials.access_key_id}",
        f"aws_secret_access_key = {credentials.secret_access_key}",
    ]
    if credentials.session_token:
        lines.append(f"aws_session_token = {credentials.session_token}")
    if credentials.expires_at is not None:
        lines.append(f"aws_credential_expiration = {format_rfc3339(credentials.expires_at)}")
    if region:
        lines.append(f"region = {region}")
    return "\n".join(lines) + "\n"


def render_credential_process(credentials: Credentials) -> str:
    """The credential_process wire format: Version 1, Expiration only when temporary."""
    document: dict[str, object] = {
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
    }
    if credentials.session_token:
        document["SessionToken"] = credentials.session_token
    if credentials.expires_at is not None:
        document["Expiration"] = format_rfc3339(credentials.expires_at)
    return json.dumps(document, indent=2) + "\n"


def render(format_name: str, credentials: Credentials, region: str | None, profile: str) -> str:
    if format_name == "json":
        return render_credential_process(credentials)
    if format_name == "ini":
        return render_ini(credentials, region, profile)
    if format_name == "export-env":
        return render_env(credentials, region, prefix="export ")
    return render_env(credentials, region)
