"""Wiring of the vault: which backend, where the file vault lives, its passphrase and KDF cost."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from pathlib import Path

from awsafe.agentlink.request import resolve_vault_settings
from awsafe.durations import parse_whole_number
from awsafe.environment import Environment
from awsafe.errors import PromptError, StoreLockedError
from awsafe.process_guard import PASSPHRASE_VARIABLES, STORE_PASSPHRASE_VARIABLES
from awsafe.vault.base import Store
from awsafe.vault.marked import MARKER_NAME, ChangeMarkedStore
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.state import state_dir

log = logging.getLogger(__name__)

DEFAULT_SCRYPT_LOG2N = 17
MIN_SCRYPT_LOG2N = 14  # the file vault accepts less; awsafe never creates one that weak
MAX_SCRYPT_LOG2N = 20


class Unlock:
    """The passphrase the file vault was opened with, and whether a person typed it at the
    terminal (the agent's auto-start hands it on over a pipe); never in a repr."""

    __slots__ = ("passphrase", "typed")

    def __init__(self, passphrase: str, typed: bool) -> None:
        self.passphrase = passphrase
        self.typed = typed

    def __repr__(self) -> str:
        return f"Unlock(typed={self.typed})"


UNLOCK_PROMPT = "Enter passphrase to unlock the awsafe file vault: "
NEW_PROMPT = "Enter a passphrase for the new vault: "
AGAIN_PROMPT = "Enter the same passphrase again: "


def _passphrase_source(
    env: Environment,
    on_unlock: Callable[[Unlock], None] | None = None,
    *,
    creating: Path | None = None,
    interactive: bool = True,
) -> str:
    """The passphrase from the environment, else typed at the terminal: once to unlock, or, when
    ``creating`` the vault in that directory, twice (a typo would lock out what is stored next)."""
    passphrase = env.get(*PASSPHRASE_VARIABLES)
    if passphrase is not None:
        if on_unlock is not None:
            on_unlock(Unlock(passphrase, typed=False))
        return passphrase
    if not interactive:
        raise StoreLockedError("the file vault is locked (no passphrase given, and none is asked)")
    from awsafe.prompts.terminal import ask_secret

    try:
        if creating is None:
            passphrase = ask_secret(UNLOCK_PROMPT)
        else:
            passphrase = ask_secret(f"Creating a new awsafe file vault in {creating}\n{NEW_PROMPT}")
            again = ask_secret(AGAIN_PROMPT)
    except PromptError as e:
        raise PromptError(
            "the file vault needs a passphrase and there is no terminal to ask on",
            hint="set AWSAFE_FILE_PASSPHRASE, or use --backend to pick the OS keychain",
        ) from e
    if creating is not None and not hmac.compare_digest(passphrase.encode(), again.encode()):
        raise PromptError("the passphrases do not match; no vault was created", hint="run the command again")
    if on_unlock is not None:
        on_unlock(Unlock(passphrase, typed=True))
    return passphrase


def _keepassxc_passphrase(env: Environment, has_keyfile: bool) -> str | None:
    """AWSAFE_KEEPASSXC_PASSPHRASE, else asked at the terminal; with a key file and no
    terminal, none (a database opened by its key file alone)."""
    passphrase = env.get(*STORE_PASSPHRASE_VARIABLES)
    if passphrase is not None:
        return passphrase
    from awsafe.prompts.terminal import ask_secret

    try:
        return ask_secret("Enter passphrase to unlock the KeePass database: ") or None
    except PromptError as e:
        if has_keyfile:
            return None
        raise PromptError(
            "the KeePass database needs a passphrase and there is no terminal to ask on",
            hint="set AWSAFE_KEEPASSXC_PASSPHRASE",
        ) from e


def _scrypt_log2n(env: Environment) -> int:
    text = env.get("AWSAFE_FILE_SCRYPT_LOG2N")
    if text is None:
        return DEFAULT_SCRYPT_LOG2N
    return parse_whole_number(text, "AWSAFE_FILE_SCRYPT_LOG2N", MIN_SCRYPT_LOG2N, MAX_SCRYPT_LOG2N)


def open_vault(
    options: GlobalOptions,
    env: Environment,
    *,
    on_unlock: Callable[[Unlock], None] | None = None,
    interactive: bool = True,
) -> Store:
    """The vault the flags and environment name (--backend, --file-dir, the backends' own
    settings such as --pass-dir, their variables); ``on_unlock`` hears how the file vault's
    passphrase was given, once it is asked for; not ``interactive``: a file vault without a
    passphrase in the environment raises StoreLockedError when used, instead of asking."""
    from awsafe.vault.select import open_store

    backend = options.backend or env.get("AWSAFE_BACKEND", "AWS_VAULT_BACKEND")
    file_dir = options.file_dir or env.get("AWSAFE_FILE_DIR", "AWS_VAULT_FILE_DIR")
    # Absolute: a long-running process (the agent) may change its working directory later.
    directory = Path(file_dir).expanduser().absolute() if file_dir else state_dir(env) / "vault"
    settings = resolve_vault_settings(options.vault_flag_values, env.environ, env.home)
    store = open_store(
        backend,
        file_dir=directory,
        passphrase=lambda: _passphrase_source(env, on_unlock, interactive=interactive),
        new_passphrase=lambda: _passphrase_source(
            env, on_unlock, creating=directory, interactive=interactive
        ),
        state_dir=state_dir(env),
        scrypt_log2n=_scrypt_log2n(env),
        settings=settings,
        environ=env.environ,
        keepassxc_passphrase=lambda: _keepassxc_passphrase(env, "keepassxc-keyfile" in settings),
    )
    log.debug("vault backend: %s", store.name)
    # Every write marks ~/.awsafe/vault.changed: how a running agent learns of it (its memo).
    return ChangeMarkedStore(store, state_dir(env) / MARKER_NAME)
