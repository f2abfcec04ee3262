"""The vault backends' own global flags (aws-vault's --pass-dir, --keychain ... and awsafe's
--keepassxc-db ...): declared once for every command, read back as (name, value) pairs."""

from __future__ import annotations

import argparse

from awsafe.agentlink.request import VAULT_SETTINGS

_HELP = {
    "pass-dir": ("DIR", "the pass backend's password store (default ~/.password-store)"),
    "pass-cmd": ("PROGRAM", "the pass program (default pass)"),
    "pass-prefix": ("FOLDER", "the folder in the password store for awsafe's items (default awsafe)"),
    "keyctl-keyring": ("NAME", "the keyctl backend's keyring in the user keyring (default awsafe)"),
    "keepassxc-db": ("PATH", "the keepassxc backend's KeePass database"),
    "keepassxc-keyfile": ("PATH", "the KeePass database's key file"),
    "keychain": ("NAME", "the macOS keychain (not used: keyring cannot choose one)"),
    "secret-service-collection": ("NAME", "the Secret Service collection (default: the default one)"),
}


def add_vault_flags(parser: argparse.ArgumentParser, default: object) -> None:
    """One flag per backend setting, its help naming the variables that also set it."""
    for name, variables in VAULT_SETTINGS.items():
        metavar, text = _HELP[name]
        parser.add_argument(
            f"--{name}",
            dest=_dest(name),
            default=default,
            metavar=metavar,
            help=f"{text} (env {' / '.join(variables)})",
        )


def read_vault_flags(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """The backend settings given on the command line, as (flag name, value) pairs."""
    given = ((name, getattr(args, _dest(name), None)) for name in VAULT_SETTINGS)
    return tuple((name, value) for name, value in given if value)


def _dest(name: str) -> str:
    return "vault_" + name.replace("-", "_")
