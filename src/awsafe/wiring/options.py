"""Wiring of the flags every command shares: the global options, a credential request, session lengths."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from awsafe.credentials.rules import SessionOptions
from awsafe.durations import parse_duration
from awsafe.errors import UsageError

MIN_DURATION = dt.timedelta(minutes=15)
MAX_DURATION = dt.timedelta(hours=36)


@dataclasses.dataclass(frozen=True)
class GlobalOptions:
    """The flags every command takes: --debug, --backend, --file-dir, --prompt, and the
    backends' settings (``vault_flags``: --pass-dir and the like, as (name, value) pairs)."""

    debug: bool = False
    backend: str | None = None
    file_dir: str | None = None
    prompt: str | None = None
    vault_flags: tuple[tuple[str, str], ...] = ()

    @property
    def vault_flag_values(self) -> dict[str, str | None]:
        """The backends' settings given as flags, by flag name (``pass-dir``)."""
        return dict(self.vault_flags)


@dataclasses.dataclass(frozen=True)
class CredentialRequest:
    """What `exec`/`export`/`login`/`server` ask for: one profile and the flags shaping its sessions."""

    profile: str
    region: str | None = None
    duration: str | None = None
    no_session: bool = False
    mfa_token: str | None = dataclasses.field(default=None, repr=False)
    server_running: bool = False
    fast_path_key: str = ""  # the fast path record's name, taken before the config is read
    # --stdout / AWSAFE_STDOUT / AWS_VAULT_STDOUT: an SSO sign-in prints its URL, opens no browser
    sso_no_browser: bool = False


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


def parse_switch(value: str | None, name: str) -> bool:
    """An on/off variable (``AWS_VAULT_STDOUT``): 1/true/yes/on or 0/false/no/off, any case;
    anything else is refused rather than guessed."""
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise UsageError(f"{name} must be true or false (1/0, yes/no, on/off), got {value!r}")


def checked_duration(text: str) -> dt.timedelta:
    """--duration within what STS accepts at all (15 min to 36 h; roles stop at 12 h)."""
    duration = parse_duration(text, "--duration")
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise UsageError(f"--duration must be between 15m and 36h, got {text!r}")
    return duration


def session_options(env: Mapping[str, str], *, duration: str | None, no_session: bool) -> SessionOptions:
    """The session lengths: --duration, then the AWS_*_TTL variables, then the defaults."""

    def ttl(name: str, default: dt.timedelta) -> dt.timedelta:
        value = env.get(name)
        return parse_duration(value, name) if value else default

    defaults = SessionOptions()
    return SessionOptions(
        duration=checked_duration(duration) if duration else None,
        no_session=no_session,
        session_token_ttl=ttl("AWS_SESSION_TOKEN_TTL", defaults.session_token_ttl),
        chained_session_token_ttl=ttl("AWS_CHAINED_SESSION_TOKEN_TTL", defaults.chained_session_token_ttl),
        federation_token_ttl=ttl("AWS_FEDERATION_TOKEN_TTL", defaults.federation_token_ttl),
        assume_role_ttl=parse_duration(env["AWS_ASSUME_ROLE_TTL"], "AWS_ASSUME_ROLE_TTL")
        if env.get("AWS_ASSUME_ROLE_TTL")
        else None,
    )
