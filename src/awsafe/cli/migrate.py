"""`awsafe migrate-backend`: move the long-term keys between two of awsafe's own backends.

Only the ``credentials/PROFILE`` items move, through ``migration.transfer`` (written, read back
and compared before the source may forget one); sessions and IAM Identity Center tokens are
renewed anyway, so they are counted and left where they are.
"""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.credentials.stored import PREFIX, read_keys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.migration.transfer import Candidate, Outcome, transfer
from awsafe.model import redact
from awsafe.vault.base import Store
from awsafe.vault.select import backend_names
from awsafe.wiring.moving import open_backend
from awsafe.wiring.options import GlobalOptions


@dataclasses.dataclass(frozen=True)
class MigrateOptions:
    """What `migrate-backend` was asked: the two backends, which profiles, and how to move them."""

    source: str
    target: str
    profiles: tuple[str, ...] = ()  # empty: every profile with keys in the source
    dry_run: bool = False
    overwrite: bool = False
    delete_source: bool = False
    tail: tuple[str, ...] = ()  # words after '--': migrate-backend runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> MigrateOptions:
        return cls(
            source=(args.source or "").strip().lower(),
            target=(args.target or "").strip().lower(),
            profiles=tuple(args.profiles or ()),
            dry_run=args.dry_run,
            overwrite=args.overwrite,
            delete_source=args.delete_source,
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("migrate-backend takes no command")
        names = backend_names()
        for flag, name in (("--from", self.source), ("--to", self.target)):
            if name not in names:
                raise UsageError(f"{flag} needs one of: {', '.join(names)}")
        if self.source == self.target:
            raise UsageError("--from and --to name the same backend")
        if self.dry_run and self.delete_source:
            raise UsageError("--dry-run deletes nothing; leave out --delete-source")


def configure(parser: argparse.ArgumentParser) -> None:
    names = ", ".join(backend_names())
    parser.add_argument("--from", dest="source", metavar="BACKEND", help=f"where the keys are ({names})")
    parser.add_argument("--to", dest="target", metavar="BACKEND", help="where they go")
    parser.add_argument(
        "--profile",
        dest="profiles",
        action="append",
        metavar="PROFILE",
        help="move only this profile's keys (repeatable; default: every profile)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would move; change nothing")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace keys the target already holds for a profile"
    )
    parser.add_argument(
        "--delete-source",
        action="store_true",
        help="delete each key from the source once the target holds it (default: keep a copy)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    migrate_options = MigrateOptions.from_args(args, tail, env)
    migrate_options.validate(env, options)
    return migrate_backend(migrate_options, options, env)


def _candidates(source: Store, profiles: tuple[str, ...], env: Environment) -> list[Candidate]:
    names = sorted(key[len(PREFIX) :] for key in source.keys() if key.startswith(PREFIX))
    for missing in sorted(set(profiles) - set(names)):
        env.stderr.write(f"Not in the {source.name} vault: {missing!r}\n")
    chosen = [name for name in names if not profiles or name in profiles]
    candidates = []
    for name in chosen:
        keys = read_keys(source, name)
        if keys is not None:
            candidates.append(Candidate(name, keys, f"the {source.name} vault"))
    return candidates


def _left_behind(source: Store) -> str:
    """What else the source holds (never moved): counted by kind, for the report."""
    others = [key for key in source.keys() if not key.startswith(PREFIX)]
    sessions = sum(1 for key in others if key.startswith("sessions/"))
    sso = sum(1 for key in others if key.startswith(("sso-token/", "sso-client/")))
    rest = len(others) - sessions - sso
    parts = [f"{sessions} session(s)", f"{sso} IAM Identity Center token(s)"]
    if rest:
        parts.append(f"{rest} other item(s)")
    return ", ".join(parts)


def migrate_backend(migrate_options: MigrateOptions, options: GlobalOptions, env: Environment) -> int:
    """Copy (or move, with --delete-source) each profile's keys from one backend to the other."""
    source = open_backend(migrate_options.source, options, env)
    target = open_backend(migrate_options.target, options, env)
    candidates = _candidates(source, migrate_options.profiles, env)

    def forget(candidate: Candidate) -> None:
        source.delete(PREFIX + candidate.profile)

    results = transfer(
        candidates,
        target,
        overwrite=migrate_options.overwrite,
        dry_run=migrate_options.dry_run,
        forget=forget if migrate_options.delete_source else None,
    )
    for result in results:
        profile = result.candidate.profile
        key = redact(result.candidate.credentials.access_key_id)
        if result.outcome == Outcome.KEPT_EXISTING:
            line = f"Not moved: {profile!r} {key}: the {target.name} vault holds other keys (--overwrite)"
        else:
            deleted = f", deleted from the {source.name} vault" if result.source_deleted else ""
            line = (
                f"{result.outcome.value.capitalize()}: {profile!r} {key} to the {target.name} vault{deleted}"
            )
        env.stderr.write(line + "\n")
    if not results:
        env.stderr.write(f"No long-term keys to move from the {source.name} vault\n")
    env.stderr.write(f"Not moved (renewed when needed): {_left_behind(source)}\n")
    return ExitCode.OK
