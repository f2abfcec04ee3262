"""`awsafe import credentials-file`: move the long-term keys of a plaintext AWS credentials file
into the vault, then rewrite the file without them.

The order is what keeps every key somewhere whatever stops the process: every key is written to
the vault and read back first (``migration.transfer``), and only then is the file replaced at
once, without the secret lines (``migration.rewrite``); ``[profile X]`` sections missing from
the config file come last. Killed before the rename, the keys are in both places; after, in the
vault only.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from awsafe.config.edit import append_profile_section, check_profile_name
from awsafe.environment import Environment
from awsafe.errors import AwsError, ExitCode, UsageError
from awsafe.migration.plaintext import Found, parse_credentials_text
from awsafe.migration.rewrite import read_plaintext_file, replace_plaintext_file
from awsafe.migration.transfer import Candidate, Outcome, Result, transfer
from awsafe.model import redact
from awsafe.wiring.moving import caller_check, credentials_file_path
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.provider import config_file_path, read_config
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault

# Both leave the source forgetting the key: it is in the vault.
FORGOTTEN = (Outcome.MOVED, Outcome.ALREADY_THERE)


@dataclasses.dataclass(frozen=True)
class ImportCredentialsFileOptions:
    """What `import credentials-file` was asked: the file (default: AWS_SHARED_CREDENTIALS_FILE,
    then ~/.aws/credentials) and how to move its keys."""

    path: str | None = None
    dry_run: bool = False
    verify: bool = False
    overwrite: bool = False
    tail: tuple[str, ...] = ()  # words after '--': import runs no command

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, tail: list[str], env: Environment
    ) -> ImportCredentialsFileOptions:
        return cls(
            path=args.path,
            dry_run=args.dry_run,
            verify=args.verify,
            overwrite=args.overwrite,
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("import takes no command")
        if self.path is not None and not self.path.strip():
            raise UsageError("the credentials file path is empty")

    def file_path(self, env: Environment) -> Path:
        return Path(self.path).expanduser() if self.path else credentials_file_path(env)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        help="the credentials file (default: $AWS_SHARED_CREDENTIALS_FILE, then ~/.aws/credentials)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would move; change nothing")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check each key with sts:GetCallerIdentity first; move only the keys that work",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace keys the vault already holds for a profile (default: keep them, and the file's)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    import_options = ImportCredentialsFileOptions.from_args(args, tail, env)
    import_options.validate(env, options)
    return import_credentials_file(import_options, options, env)


def _movable(found: list[Found], env: Environment) -> list[Found]:
    """The profiles whose keys may move; the others are reported and stay in the file."""
    movable = []
    for item in found:
        why = item.why
        if item.credentials is not None:
            try:
                check_profile_name(item.profile)
            except UsageError as e:
                why = f"{e.message}: left in the file"
        if why:
            env.stderr.write(f"Not moved: [{item.profile}] {why}\n")
        else:
            movable.append(item)
    return movable


def _verified(candidates: list[Candidate], env: Environment) -> list[Candidate]:
    check = caller_check(env)
    working = []
    for candidate in candidates:
        key = redact(candidate.credentials.access_key_id)
        try:
            arn = check(candidate.profile, candidate.credentials)
        except AwsError as e:
            env.stderr.write(f"Not moved: [{candidate.profile}] {key} does not work ({e.message})\n")
            continue
        env.stderr.write(f"Checked: [{candidate.profile}] {key} acts as {arn}\n")
        working.append(candidate)
    return working


def import_credentials_file(
    import_options: ImportCredentialsFileOptions, options: GlobalOptions, env: Environment
) -> int:
    """Move the file's long-term keys into the vault, then drop their lines from the file."""
    plaintext = read_plaintext_file(import_options.file_path(env))
    where = str(plaintext.path)
    text = parse_credentials_text(plaintext.data, where)
    candidates = [
        Candidate(item.profile, item.credentials, f"{where} [{item.profile}]")
        for item in _movable(text.found(), env)
        if item.credentials is not None
    ]
    if import_options.verify:
        candidates = _verified(candidates, env)
    if not candidates:
        env.stderr.write(f"No long-term keys to move from {where}\n")
        return ExitCode.OK
    # Both read before anything moves: a broken config file or AWS_MIN_TTL stops us here.
    configured = set(read_config(env).profiles)
    store = open_vault(options, env)
    cache = session_cache(store, env)
    forgotten: set[str] = set()
    results = transfer(
        candidates,
        store,
        overwrite=import_options.overwrite,
        dry_run=import_options.dry_run,
        forget=lambda candidate: forgotten.add(candidate.profile),
    )
    _report(results, store.name, where, env)
    missing = [r.candidate.profile for r in results if r.outcome != Outcome.KEPT_EXISTING]
    missing = [profile for profile in missing if profile not in configured]
    if import_options.dry_run:
        _add_config_sections(missing, env, dry_run=True)
        return ExitCode.OK
    if forgotten:
        replace_plaintext_file(plaintext, text.render_without(forgotten))
        env.stderr.write(f"Removed the keys of {len(forgotten)} profile(s) from {where}\n")
    moved = [r.candidate.profile for r in results if r.outcome == Outcome.MOVED]
    if moved:
        cache.clear_derived_from(moved)  # sessions of keys now replaced
    _add_config_sections(missing, env, dry_run=False)
    return ExitCode.OK


def _report(results: list[Result], backend: str, where: str, env: Environment) -> None:
    for result in results:
        profile = result.candidate.profile
        key = redact(result.candidate.credentials.access_key_id)
        if result.outcome == Outcome.KEPT_EXISTING:
            env.stderr.write(
                f"Not moved: [{profile}] {key}: the {backend} vault holds other keys for {profile!r}; "
                f"left in {where} (--overwrite replaces the vault's)\n"
            )
        else:
            env.stderr.write(f"{result.outcome.value.capitalize()}: [{profile}] {key} ({backend} vault)\n")


def _add_config_sections(profiles: list[str], env: Environment, *, dry_run: bool) -> None:
    """A ``[profile X]`` for each profile the config file lacked, so that awsafe lists it."""
    path = config_file_path(env)
    for profile in profiles:
        header = "[default]" if profile == "default" else f"[profile {profile}]"
        if dry_run:
            env.stderr.write(f"Would add {header} to {path}\n")
        else:
            append_profile_section(path, profile)
            env.stderr.write(f"Added {header} to {path}\n")
