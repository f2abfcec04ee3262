"""`awsafe list`: profiles from the config, keys stored in the vault, and sessions."""

from __future__ import annotations

import argparse

from awsafe.config.parse import ConfigFile
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.wiring import GlobalOptions, open_vault, read_config


def configure(parser: argparse.ArgumentParser) -> None:
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--profiles", action="store_true", help="only the profile names")
    only.add_argument("--sessions", action="store_true", help="only the sessions")
    only.add_argument("--credentials", action="store_true", help="only profiles with stored keys")
    parser.set_defaults(run=run)


def keys_owner(config: ConfigFile, name: str, stored: set[str]) -> str | None:
    """The profile whose stored keys a chain starting at ``name`` uses, as `exec` would."""
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current not in seen:
        if current in stored:
            return current
        seen.add(current)
        section = config.profiles.get(current)
        current = section.values.get("source_profile") if section else None
    return None


def render_table(rows: list[tuple[str, str, str]]) -> str:
    header = ("Profile", "Credentials", "Sessions")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, tuple("=" * w for w in widths), *rows]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    if tail:
        raise UsageError("list takes no command")
    config = read_config(env)
    if args.profiles:
        env.stdout.write("".join(f"{name}\n" for name in config.profiles))
        return ExitCode.OK
    if args.sessions:
        return ExitCode.OK  # sessions are not cached by this version
    stored = StoredKeys(open_vault(options, env)).profiles()
    if args.credentials:
        env.stdout.write("".join(f"{name}\n" for name in stored))
        return ExitCode.OK
    rows = [(name, keys_owner(config, name, set(stored)) or "-", "-") for name in config.profiles]
    rows += [("-", name, "-") for name in stored if name not in config.profiles]
    env.stdout.write(render_table(rows))
    return ExitCode.OK
