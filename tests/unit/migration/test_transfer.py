"""The transfer's promise: a source forgets a key only after the vault reads it back equal."""

from __future__ import annotations

import pytest

from awsafe.credentials.stored import StoredKeys, read_keys
from awsafe.errors import StoreError
from awsafe.migration.transfer import Candidate, Outcome, transfer
from awsafe.model import Credentials
from awsafe.vault.memory import MemoryStore

KEY = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
OTHER = Credentials("AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")


def candidate(profile: str, credentials: Credentials = KEY) -> Candidate:
    return Candidate(profile, credentials, origin=f"test item {profile}")


def test_moves_reads_back_then_forgets() -> None:
    store = MemoryStore()
    forgotten: list[str] = []

    def forget(c: Candidate) -> None:
        assert read_keys(store, c.profile) == c.credentials  # never before the vault holds it
        forgotten.append(c.profile)

    results = transfer([candidate("demo")], store, forget=forget)
    assert [(r.outcome, r.source_deleted) for r in results] == [(Outcome.MOVED, True)]
    assert forgotten == ["demo"] and read_keys(store, "demo") == KEY


def test_dry_run_changes_nothing() -> None:
    store = MemoryStore()
    results = transfer([candidate("demo")], store, dry_run=True, forget=lambda c: pytest.fail("forgot"))
    assert [r.outcome for r in results] == [Outcome.WOULD_MOVE]
    assert store.keys() == []


def test_existing_other_key_is_kept_unless_overwrite() -> None:
    store = MemoryStore()
    StoredKeys(store).set("demo", OTHER)
    kept = transfer([candidate("demo")], store, forget=lambda c: pytest.fail("forgot a key not moved"))
    assert [r.outcome for r in kept] == [Outcome.KEPT_EXISTING]
    assert read_keys(store, "demo") == OTHER
    moved = transfer([candidate("demo")], store, overwrite=True)
    assert [r.outcome for r in moved] == [Outcome.MOVED] and read_keys(store, "demo") == KEY


def test_same_key_already_there_may_be_forgotten() -> None:
    store = MemoryStore()
    StoredKeys(store).set("demo", KEY)
    forgotten: list[str] = []
    results = transfer([candidate("demo")], store, forget=lambda c: forgotten.append(c.profile))
    assert [r.outcome for r in results] == [Outcome.ALREADY_THERE] and forgotten == ["demo"]


class _LossyStore(MemoryStore):
    """Accepts a write and keeps something else: what a broken backend would do."""

    def set(self, key: str, value: bytes) -> None:
        super().set(key, value.replace(b"EXAMPLEKEY", b"EXAMPLEKEX"))


def test_a_bad_read_back_stops_before_the_source_forgets() -> None:
    with pytest.raises(StoreError) as caught:
        transfer([candidate("demo")], _LossyStore(), forget=lambda c: pytest.fail("forgot a lost key"))
    assert KEY.secret_access_key not in str(caught.value)
    assert "test item demo" in str(caught.value)
