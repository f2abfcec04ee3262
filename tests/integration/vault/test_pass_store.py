"""PassStore against the real `pass` program and gpg, with a throwaway key made for the session."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from awsafe.errors import StoreError, StoreUnavailableError
from awsafe.vault.passstore import PassStore, parse_item_name, resolve_item_name
from tests.support.gpg import GpgKey, run_pass
from tests.support.store_contract import ODD_KEYS, StoreContract, StoreFactory


def _environ(gpg_key: GpgKey) -> dict[str, str]:
    return {**os.environ, **gpg_key.env}


class TestPassStore(StoreContract):
    @pytest.fixture
    def store_factory(self, gpg_key: GpgKey, tmp_path: Path) -> StoreFactory:
        directory = gpg_key.init_pass_store(tmp_path / "password-store")
        return lambda: PassStore(directory, environ=_environ(gpg_key))


def test_items_are_gpg_files_pass_itself_reads(gpg_key: GpgKey, tmp_path: Path) -> None:
    directory = gpg_key.init_pass_store(tmp_path / "store")
    store = PassStore(directory, prefix="team/aws", environ=_environ(gpg_key))
    store.set("credentials/demo", b"\x00secret\xff")
    path = directory / "team" / "aws" / "credentials%2Fdemo.gpg"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert b"secret" not in path.read_bytes()  # encrypted on disk
    shown = run_pass(directory, gpg_key, "show", "team/aws/credentials%2Fdemo").stdout
    assert base64.b64decode(shown) == b"\x00secret\xff"
    # a file another program put in the folder is not one of ours
    run_pass(directory, gpg_key, "insert", "-m", "team/aws/.hidden", stdin=b"x")
    run_pass(directory, gpg_key, "insert", "-m", "team/aws/not%zzescaped", stdin=b"x")
    assert store.keys() == ["credentials/demo"]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_every_key_is_one_file_name_inside_the_folder(key: str) -> None:
    name = resolve_item_name(key)
    assert "/" not in name and not name.startswith(".") and name not in ("", "..")
    assert parse_item_name(name) == key


@pytest.mark.parametrize("prefix", ["/abs", "../up", "a/../b", "a//b"])
def test_a_prefix_outside_the_store_is_refused(prefix: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="relative folder"):
        PassStore(tmp_path, prefix=prefix, environ={})


def test_an_uninitialised_store_says_pass_init(gpg_key: GpgKey, tmp_path: Path) -> None:
    store = PassStore(tmp_path / "none", environ=_environ(gpg_key))
    with pytest.raises(StoreUnavailableError, match="not initialised") as caught:
        store.set("k", b"secret-value")
    assert "secret-value" not in str(caught.value) and "pass init" in (caught.value.hint or "")


def test_a_missing_pass_program_is_unavailable(tmp_path: Path) -> None:
    store = PassStore(tmp_path, command="no-such-pass-program", environ={"PATH": "/nonexistent"})
    with pytest.raises(StoreUnavailableError, match="no-such-pass-program"):
        store.set("k", b"v")
