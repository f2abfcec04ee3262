"""`awsafe import aws-vault`: move the long-term keys an aws-vault user has into awsafe's vault.

Reads the aws-vault store aws-vault itself would use (or the one named), through
``awsafe.wiring.migration``; prints one line per item (name, outcome, where it is), never a secret.
"""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.migration.awsvault.stores import AWS_VAULT_ORDER, backend_names
from awsafe.migration.transfer import Outcome
from awsafe.wiring.migration import (
    ImportReport,
    ImportRequest,
    import_from_aws_vault,
    open_aws_vault_store,
)
from awsafe.wiring.options import GlobalOptions


@dataclasses.dataclass(frozen=True)
class ImportAwsVaultOptions:
    """What `import aws-vault` was asked: which store, which profiles (default all), and how."""

    from_backend: str | None = None
    profiles: tuple[str, ...] = ()
    dry_run: bool = False
    overwrite: bool = False
    delete_source: bool = False
    tail: tuple[str, ...] = ()  # words after '--': import runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> ImportAwsVaultOptions:
        return cls(
            from_backend=args.from_backend,
            profiles=tuple(dict.fromkeys(args.profile or ())),
            dry_run=args.dry_run,
            overwrite=args.overwrite,
            delete_source=args.delete_source,
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("import takes no command")
        if self.from_backend is not None:
            name = self.from_backend.strip().lower()
            readable = ", ".join(backend_names())
            if name in AWS_VAULT_ORDER and name not in backend_names():
                raise UsageError(f"awsafe cannot read aws-vault's {name} store", hint=f"readable: {readable}")
            if name not in backend_names():
                raise UsageError("--from-backend must name an aws-vault store", hint=f"one of: {readable}")
        if any(not profile.strip() for profile in self.profiles):
            raise UsageError("--profile cannot be empty")

    @property
    def request(self) -> ImportRequest:
        return ImportRequest(
            from_backend=self.from_backend,
            profiles=self.profiles,
            dry_run=self.dry_run,
            overwrite=self.overwrite,
            delete_source=self.delete_source,
        )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from-backend",
        metavar="NAME",
        help=f"aws-vault's store to read: {', '.join(backend_names())} "
        "(default: AWS_VAULT_BACKEND, else the one aws-vault uses here)",
    )
    parser.add_argument(
        "--profile",
        action="append",
        metavar="P",
        help="import only this profile's keys (repeatable; default: every profile's)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would move; change nothing")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace keys a profile already has in awsafe's vault"
    )
    parser.add_argument(
        "--delete-source",
        action="store_true",
        help="remove each key from aws-vault's store once awsafe's vault holds it",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    import_options = ImportAwsVaultOptions.from_args(args, tail, env)
    import_options.validate(env, options)
    return import_aws_vault(import_options, options, env)


def import_aws_vault(import_options: ImportAwsVaultOptions, options: GlobalOptions, env: Environment) -> int:
    """Import, print the report; exit 4 (after moving the rest) when some key would not open."""
    chosen, source = open_aws_vault_store(import_options.from_backend, env)
    env.stderr.write(f"Reading aws-vault's {chosen.where} ({chosen.why})\n")
    report = import_from_aws_vault(import_options.request, chosen, source, options, env)
    for line in render_report(report, dry_run=import_options.dry_run, deleting=import_options.delete_source):
        env.stdout.write(line + "\n")
    env.stderr.write(render_summary(report, dry_run=import_options.dry_run) + "\n")
    if report.found.unopened:
        env.stderr.write(
            "Some keys could not be opened with this passphrase: run again with theirs, "
            "naming them with --profile\n"
            if chosen.name == "file"
            else "Some items could not be read (not opened, above): they stay in aws-vault\n"
        )
        return ExitCode.STORE
    return ExitCode.OK


_OUTCOMES = {
    Outcome.MOVED: "moved",
    Outcome.WOULD_MOVE: "would move",
    Outcome.ALREADY_THERE: "already in the vault",
    Outcome.KEPT_EXISTING: "kept the key already in the vault (--overwrite replaces it)",
}


def render_report(report: ImportReport, *, dry_run: bool, deleting: bool) -> list[str]:
    """One line per item, in the store's order: name, outcome, where the item is."""
    rows: list[tuple[str, str, str]] = []
    for result in report.results:
        outcome = _OUTCOMES[result.outcome]
        if result.source_deleted:
            outcome += ", removed from aws-vault"
        elif dry_run and deleting and result.outcome is not Outcome.KEPT_EXISTING:
            outcome += ", then removed from aws-vault"
        rows.append((result.candidate.profile, outcome, result.candidate.origin))
    rows += [(left.key, f"skipped: {left.reason}", left.origin) for left in report.found.skipped]
    rows += [(left.key, f"not opened: {left.reason}", left.origin) for left in report.found.unopened]
    rows.sort(key=lambda row: row[0])
    if not rows:
        return []
    name_width = max(len(row[0]) for row in rows)
    outcome_width = max(len(row[1]) for row in rows)
    return [f"{n:<{name_width}}  {o:<{outcome_width}}  {w}".rstrip() for n, o, w in rows]


def render_summary(report: ImportReport, *, dry_run: bool) -> str:
    if not (report.results or report.found.skipped or report.found.unopened):
        return f"aws-vault's {report.store.where} holds no items: nothing to import"
    counts: dict[Outcome, int] = {}
    for result in report.results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    left = len(report.found.skipped) + len(report.found.unopened)
    if dry_run:
        would = counts.get(Outcome.WOULD_MOVE, 0)
        return f"Would move {would} key(s) into awsafe's {report.target} vault (--dry-run: nothing written)"
    moved = counts.get(Outcome.MOVED, 0)
    kept = counts.get(Outcome.KEPT_EXISTING, 0)
    there = counts.get(Outcome.ALREADY_THERE, 0)
    return (
        f"Moved {moved} key(s) into awsafe's {report.target} vault "
        f"({there} already there, {kept} kept as they were, {left} item(s) not moved)"
    )
