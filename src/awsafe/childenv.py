"""The environment of a program run by `exec` (docs/commands/exec.md): our credentials in; outer ones and
the passphrase out; and the same change made to a shell by `awsafe use` (docs/commands/use.md); pure."""

from __future__ import annotations

from collections.abc import Mapping

from awsafe.model import Credentials
from awsafe.process_guard import PASSPHRASE_VARIABLES, STORE_PASSPHRASE_VARIABLES
from awsafe.render import credential_variables

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the fast path imports this module on every exec
if TYPE_CHECKING:
    from awsafe.shell.statements import Change

# The profile `awsafe use` set in this shell: a shell switched with `use` is no subshell, so
# `use` may switch it again (refuse_nesting). A child started by exec must not inherit it.
USE_MARKER = "AWSAFE_USE"
# The per-shell endpoint process of `use --refresh` ("PID:START"), stopped by the next `use`.
USE_ENDPOINT = "AWSAFE_USE_ENDPOINT"

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
    USE_MARKER,
    USE_ENDPOINT,
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


def resolve_shell_change(outer: Mapping[str, str], child: Mapping[str, str]) -> Change:
    """What `use` does to a shell whose exported variables are ``outer`` so that it holds
    ``child`` (one of the environments above): every scrubbed name is removed whether exported
    or not (a plain shell variable of that name, unseen here, would come back with a later
    `export`), then what differs is set."""
    from awsafe.shell.statements import Change, is_variable_name

    unset = dict.fromkeys(
        name for name in (*SCRUBBED, *outer) if name not in child and is_variable_name(name)
    )
    assign = tuple((name, value) for name, value in child.items() if outer.get(name) != value)
    return Change(tuple(unset), assign)


def resolve_unset_change(endpoint_variables: tuple[str, ...]) -> Change:
    """`use --unset`: every variable `use` sets, whether set now or not (``endpoint_variables``:
    those of the endpoint `use --refresh` points the shell at)."""
    import datetime as dt

    from awsafe.shell.statements import Change

    sample = Credentials("AKIA", "secret", "token", dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    names = (
        "AWS_VAULT",
        *(name for name, _ in credential_variables(sample, "region", "account")),
        *endpoint_variables,
        USE_MARKER,
        USE_ENDPOINT,
    )
    return Change(tuple(dict.fromkeys(names)))
