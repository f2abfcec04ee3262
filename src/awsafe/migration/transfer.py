"""Moving long-term keys into an awsafe vault without ever losing one: each key is written, read
back from the store and compared before its source is asked to forget it."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable

from awsafe.credentials.stored import StoredKeys, read_keys
from awsafe.errors import StoreError
from awsafe.model import Credentials
from awsafe.vault.base import Store


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A profile's long-term keys found in a source; ``origin`` says where, for the report
    (a path or a store item's name, never the secret)."""

    profile: str
    credentials: Credentials
    origin: str


class Outcome(enum.Enum):
    """What happened to one candidate."""

    MOVED = "moved"
    WOULD_MOVE = "would move"
    KEPT_EXISTING = "kept the key already in the vault"
    ALREADY_THERE = "already in the vault"


@dataclasses.dataclass(frozen=True)
class Result:
    """One line of the report: the profile, what happened, and whether the source forgot it."""

    candidate: Candidate
    outcome: Outcome
    source_deleted: bool = False


Forget = Callable[[Candidate], None]


def transfer(
    candidates: Iterable[Candidate],
    target: Store,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    forget: Forget | None = None,
) -> list[Result]:
    """Write each candidate's keys into ``target`` and, only once they read back equal, call
    ``forget`` (the source deletes its copy). A profile already holding other keys is kept unless
    ``overwrite``; one holding the very same keys counts as there (and its source may forget it).
    ``dry_run`` touches nothing. A failure stops the transfer with the source of the failing
    key untouched; the results so far are lost with the exception, but every key already moved
    is in the vault.
    """
    keys = StoredKeys(target)
    results: list[Result] = []
    for candidate in candidates:
        existing = read_keys(target, candidate.profile)
        if existing is not None and existing == candidate.credentials:
            outcome = Outcome.ALREADY_THERE
        elif existing is not None and not overwrite:
            results.append(Result(candidate, Outcome.KEPT_EXISTING))
            continue
        elif dry_run:
            outcome = Outcome.WOULD_MOVE
        else:
            keys.set(candidate.profile, candidate.credentials)
            _check_read_back(target, candidate)
            outcome = Outcome.MOVED
        deleted = False
        if forget is not None and not dry_run:
            forget(candidate)
            deleted = True
        results.append(Result(candidate, outcome, source_deleted=deleted))
    return results


def _check_read_back(target: Store, candidate: Candidate) -> None:
    # A fresh read from the store, not StoredKeys' memo: what a later process would see.
    if read_keys(target, candidate.profile) != candidate.credentials:
        raise StoreError(
            f"the keys of {candidate.profile!r} read back from the {target.name} vault differ from "
            f"what was written; {candidate.origin} was left as it was"
        )
