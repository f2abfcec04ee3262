"""The environment of a program run by `exec` (docs/commands/exec.md): our credentials in; outer ones and
the passphrase out; pure."""

from __future__ import annotations

from collections.abc import Mapping

from awsafe.model import Credentials
from awsafe.process_guard import PASSPHRASE_VARIABLES, STORE_PASSPHRASE_VARIABLES
from awsafe.render import credential_variables

# Outer credentials and profile selectors would fight the ones we hand out.
SCRUBBED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_FILE",
    "AWS_CREDENTIAL_EXPIRATION",
    # Another account's id would send the child's account-based endpoint calls astray.
    "AWS_ACCOUNT_ID",
    "AWS_DEFAULT_PROFILE",
    "AWS_PROFILE",
    "AWS_SDK_LOAD_CONFIG",
    # A child must not be able to unlock the long-term keys the vault protects.
    *PASSPHRASE_VARIABLES,
    *STORE_PASSPHRASE_VARIABLES,
)


def render_server_child_environment(
    outer: Mapping[str, str],
    profile: str,
    region: str | None,
    endpoint: Mapping[str, str],
    replaced_prefixes: tuple[str, ...] = ("AWS_CONTAINER_",),
) -> dict[str, str]:
    """Server mode: the child asks the endpoint for credentials; no credential in its environment.

    Inherited variables of the endpoint's families (``replaced_prefixes``) go: they would
    point the child at another endpoint, or switch ours off (AWS_EC2_METADATA_DISABLED).
    """
    child = {k: v for k, v in outer.items() if k not in SCRUBBED and not k.startswith(replaced_prefixes)}
    child["AWS_VAULT"] = profile
    if region:
        child["AWS_REGION"] = child["AWS_DEFAULT_REGION"] = region
    child.update(endpoint)
    return child


def render_child_environment(
    outer: Mapping[str, str],
    profile: str,
    credentials: Credentials,
    region: str | None,
    account_id: str | None = None,
) -> dict[str, str]:
    child = {k: v for k, v in outer.items() if k not in SCRUBBED}
    child["AWS_VAULT"] = profile
    # The region was resolved with AWS_REGION/AWS_DEFAULT_REGION already applied.
    child.update(credential_variables(credentials, region, account_id))
    return child
