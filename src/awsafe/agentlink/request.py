"""What a client tells the agent about itself: the variables that shape resolution (never a
secret) and which vault it would open; pure, stdlib only, cheap enough for the fast path.

Both sides use these rules: the client to fill a request, the agent to check it (a request
for another vault is declined) and to drop, once more, any variable that could hold a secret.
"""

from __future__ import annotations

import os

from awsafe.paths import state_dir_text

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping  # collections and pathlib cost the fast path
    from pathlib import Path

    from awsafe.model import Credentials

# Variables that never shape which credentials are served, or that are secret.
NOT_KEYED = ("SECRET", "TOKEN", "PASSPHRASE", "PASSWORD", "ACCESS_KEY")
# ... except durations (AWS_SESSION_TOKEN_TTL) and the paths of token files (AWS_WEB_IDENTITY_
# TOKEN_FILE chooses the profile's source; the file, not its name, holds the secret).
KEYED_SUFFIXES = ("_TTL", "_TOKEN_FILE")
BACKEND_VARIABLES = ("AWSAFE_BACKEND", "AWS_VAULT_BACKEND")
FILE_DIR_VARIABLES = ("AWSAFE_FILE_DIR", "AWS_VAULT_FILE_DIR")
# The backends' own settings: flag name -> its variables, first set wins (docs/vault.md). They
# shape which vault a process opens, so they are part of its identity. PASSWORD_STORE_DIR is
# pass's own variable, the last resort for --pass-dir.
VAULT_SETTINGS = {
    "pass-dir": ("AWSAFE_PASS_DIR", "AWS_VAULT_PASS_PASSWORD_STORE_DIR", "PASSWORD_STORE_DIR"),
    "pass-cmd": ("AWSAFE_PASS_CMD", "AWS_VAULT_PASS_CMD"),
    "pass-prefix": ("AWSAFE_PASS_PREFIX", "AWS_VAULT_PASS_PREFIX"),
    "keyctl-keyring": ("AWSAFE_KEYCTL_KEYRING",),
    "keepassxc-db": ("AWSAFE_KEEPASSXC_DB",),
    "keepassxc-keyfile": ("AWSAFE_KEEPASSXC_KEYFILE",),
    "keychain": ("AWSAFE_KEYCHAIN_NAME", "AWS_VAULT_KEYCHAIN_NAME"),
    "secret-service-collection": (
        "AWSAFE_SECRET_SERVICE_COLLECTION_NAME",
        "AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME",
    ),
}
PATH_SETTINGS = ("pass-dir", "keepassxc-db", "keepassxc-keyfile")


def resolution_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """HOME and every AWS_*/AWSAFE_* variable that could shape resolution, none that holds a
    secret (``*_TTL`` and ``*_TOKEN_FILE`` names are kept: a duration, a path), and not AWS_VAULT."""
    kept = {"HOME": environ.get("HOME", "")}
    for name, value in environ.items():
        if not name.startswith(("AWS_", "AWSAFE_")) or name == "AWS_VAULT":
            continue
        if any(word in name for word in NOT_KEYED) and not name.endswith(KEYED_SUFFIXES):
            continue
        kept[name] = value
    return kept


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((environ[name] for name in names if environ.get(name)), None)


def _expand(path: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    return os.path.abspath(os.path.expanduser(path))


def resolve_vault_settings(
    flags: Mapping[str, str | None], environ: Mapping[str, str], home: Path | str
) -> dict[str, str]:
    """The backends' settings given (``VAULT_SETTINGS``): a flag, else its variables; paths
    made absolute. A setting given nowhere is absent: the backend's default applies."""
    settings = {}
    for name, variables in VAULT_SETTINGS.items():
        value = flags.get(name) or _first(environ, variables)
        if value:
            settings[name] = _expand(value, str(home)) if name in PATH_SETTINGS else value
    return settings


def resolve_vault_identity(
    backend: str | None,
    file_dir: str | None,
    environ: Mapping[str, str],
    home: Path | str,
    flags: Mapping[str, str | None] | None = None,
) -> dict[str, str | None]:
    """The vault a process would open: the backend asked (flag, then variables; None: the
    automatic choice), the file vault's absolute directory (flag, variables, else the
    default under ``home``) and the backends' settings given (``resolve_vault_settings``).
    Two processes with equal identities open the same vault."""
    chosen = (backend or _first(environ, BACKEND_VARIABLES) or "").strip().lower() or None
    directory = file_dir or _first(environ, FILE_DIR_VARIABLES)
    absolute = (
        _expand(directory, str(home)) if directory else os.path.join(state_dir_text(str(home)), "vault")
    )
    identity: dict[str, str | None] = {"backend": chosen, "file_dir": absolute}
    identity.update(resolve_vault_settings(flags or {}, environ, home))
    return identity


def render_request(
    op: str,
    request: Mapping[str, object],
    environ: Mapping[str, str],
    home: Path | str,
    vault: Mapping[str, str | None],
    *,
    interactive: bool,
    prompt: str | None = None,
) -> dict[str, object]:
    """The first frame of a `credentials` or `console` request (the version is added on send).

    ``request``: profile, region, duration, no_session, server_running. An MFA code never goes
    here: the agent asks for it with a prompt frame, and the client answers from its own source.
    """
    return {
        "op": op,
        "request": dict(request),
        "environ": resolution_environ(environ),
        "home": str(home),
        "vault": dict(vault),
        "interactive": interactive,
        "prompt": prompt,
    }


def render_plain_request(profile: str, environ: Mapping[str, str], home: str) -> dict[str, object]:
    """The fast path's request: credentials of ``profile`` with no flag, for the vault the
    environment names, without prompts (the agent declines rather than ask)."""
    request = {
        "profile": profile,
        "region": None,
        "duration": None,
        "no_session": False,
        "server_running": False,
    }
    vault = resolve_vault_identity(None, None, environ, home)
    prompt = environ.get("AWSAFE_PROMPT") or environ.get("AWS_VAULT_PROMPT") or None
    return render_request("credentials", request, environ, home, vault, interactive=False, prompt=prompt)


def parse_served(reply: Mapping[str, object] | None) -> tuple[Credentials, str | None] | None:
    """The temporary credentials and region of a `credentials` reply; None for anything else
    (another op, a missing field, long-term keys: the client then serves itself)."""
    if reply is None or reply.get("op") != "credentials":
        return None
    document, region = reply.get("credentials"), reply.get("region")
    if not isinstance(document, dict) or not (region is None or isinstance(region, str)):
        return None
    fields = [document.get(name) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")]
    if not all(isinstance(field, str) and field for field in fields):
        return None
    from awsafe.model import Credentials, parse_rfc3339

    try:
        expires_at = parse_rfc3339(str(fields[3]))
    except ValueError:
        return None
    return Credentials(str(fields[0]), str(fields[1]), str(fields[2]), expires_at), region
