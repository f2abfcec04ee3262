"""`import aws-vault` as a procedure over any aws-vault store: sort its items (long-term keys
move; sessions and tokens are renewed anyway), open every key to move before writing any, then
hand them to ``transfer``. It never writes when no key could be opened, and never deletes from
aws-vault a key the vault does not hold."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from awsafe.config.edit import check_profile_name
from awsafe.errors import (
    NoCredentialsError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
    UsageError,
)
from awsafe.migration.awsvault.items import parse_credential_json, parse_item_name
from awsafe.migration.awsvault.source import AwsVaultSource
from awsafe.migration.transfer import Candidate, Result, transfer
from awsafe.vault.base import Store


@dataclasses.dataclass(frozen=True)
class Left:
    """An item that does not move, and why; ``origin`` says where it is (never its secret)."""

    key: str
    reason: str
    origin: str


@dataclasses.dataclass(frozen=True)
class Found:
    """What a store holds, sorted: keys to move, items left as they are, keys that would not open."""

    candidates: list[Candidate]
    skipped: list[Left]
    unopened: list[Left]


def read_items(source: AwsVaultSource, profiles: Sequence[str] = ()) -> Found:
    """Every item of ``source`` (only the named ``profiles`` when given), long-term keys opened.

    NoCredentialsError when a named profile has no item; an item that will not open (a file
    under another passphrase, an item gone meanwhile) is listed in ``unopened``, not raised;
    a store that cannot be used at all (StoreUnavailableError) stops the reading.
    """
    keys = source.keys()
    missing = sorted(set(profiles) - set(keys))
    if missing:
        raise NoCredentialsError(
            f"aws-vault's {source.name} store has no item for profile(s) {', '.join(map(repr, missing))}",
            hint="see what it holds: awsafe import aws-vault --dry-run",
        )
    candidates: list[Candidate] = []
    skipped: list[Left] = []
    unopened: list[Left] = []
    for key in keys:
        if profiles and key not in profiles:
            continue
        origin = source.describe(key)
        name = parse_item_name(key)
        if name.skip_reason is not None:
            skipped.append(Left(key, name.skip_reason, origin))
            continue
        try:
            check_profile_name(key)
        except UsageError:
            skipped.append(Left(key, "not a profile name awsafe can write into ~/.aws/config", origin))
            continue
        try:
            credentials, why_not = parse_credential_json(source.read(key), origin)
        except StoreCorruptError as e:  # opened, and not aws-vault's credentials: never will be
            skipped.append(Left(key, f"unreadable: {e.message}", origin))
            continue
        except StoreUnavailableError:
            raise
        except StoreLockedError as e:
            why = "another passphrase?" if source.name == "file" else e.message
            unopened.append(Left(key, f"could not be opened ({why})", origin))
            continue
        except StoreError as e:  # this item only (a file gone, an item not found by its label)
            unopened.append(Left(key, f"could not be read ({e.message})", origin))
            continue
        if credentials is None:
            skipped.append(Left(key, why_not or "no long-term keys", origin))
            continue
        candidates.append(Candidate(profile=key, credentials=credentials, origin=origin))
    return Found(candidates, skipped, unopened)


def import_found(
    found: Found,
    source: AwsVaultSource,
    target: Store,
    *,
    named: bool = False,
    overwrite: bool = False,
    dry_run: bool = False,
    delete_source: bool = False,
) -> list[Result]:
    """Move ``found``'s candidates into ``target`` (``transfer``: written, read back, compared,
    only then removed from ``source`` with ``delete_source``).

    Refused, before any write, when keys could not be opened and either none could (a wrong
    passphrase) or the user named them (``named``: they asked for those very keys).
    """
    if found.unopened and (named or not found.candidates):
        names = ", ".join(repr(left.key) for left in found.unopened)
        if source.name == "file":
            raise StoreLockedError(
                f"aws-vault's file store: {names} could not be opened with this passphrase; "
                "nothing was imported",
                hint="check the passphrase (AWS_VAULT_FILE_PASSPHRASE, or type it when asked)",
            )
        raise StoreError(
            f"aws-vault's {source.name} store: {names} could not be read "
            f"({found.unopened[0].reason}); nothing was imported"
        )

    def forget(candidate: Candidate) -> None:
        source.remove(candidate.profile)

    return transfer(
        found.candidates,
        target,
        overwrite=overwrite,
        dry_run=dry_run,
        forget=forget if delete_source else None,
    )
