"""FileStore: the Store contract plus what an encrypted file vault owes its owner."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from awsafe.errors import StoreCorruptError, StoreError, StoreLockedError, StoreUnavailableError
from awsafe.vault import fileformat as fmt
from awsafe.vault.file import FileStore
from tests.support.store_contract import StoreContract, StoreFactory

PASSPHRASE = "correct horse battery staple"
FAST = 14  # scrypt cost for tests; test_default_scrypt_cost_works covers the default


class Counter:
    """A passphrase callable that counts how often it was asked."""

    def __init__(self, passphrase: str = PASSPHRASE) -> None:
        self.passphrase = passphrase
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.passphrase


def open_vault(directory: Path, passphrase: Callable[[], str] | str = PASSPHRASE) -> FileStore:
    ask = passphrase if callable(passphrase) else (lambda: passphrase)
    return FileStore(directory, ask, scrypt_log2n=FAST)


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every entry under root (root included): mode, mtime and, for files, the bytes."""
    entries = {}
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        data = path.read_bytes() if stat.S_ISREG(st.st_mode) else None
        entries[str(path.relative_to(root))] = (st.st_mode, st.st_mtime_ns, data)
    return entries


def item_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix == ".item")


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "parent" / "vault"


@pytest.fixture
def count_kdf(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts scrypt runs (one element per run)."""
    runs: list[int] = []
    real = fmt.derive_master_key

    def spy(passphrase: str, params: fmt.KdfParams) -> bytes:
        runs.append(params.log2n)
        return real(passphrase, params)

    monkeypatch.setattr(fmt, "derive_master_key", spy)
    return runs


class TestFileStoreContract(StoreContract):
    @pytest.fixture
    def store_factory(self, vault_dir: Path) -> StoreFactory:
        return lambda: open_vault(vault_dir)


# -- the passphrase and the key --------------------------------------------------------


def test_wrong_passphrase_is_detected_and_changes_no_byte(vault_dir: Path) -> None:
    good = open_vault(vault_dir)
    good.set("credentials/demo", b"secret-value")
    good.set("other", b"x")
    vault_dir.chmod(0o750)  # a writer would tighten this: the wrong passphrase must not get there
    before = snapshot(vault_dir.parent)
    ask = Counter("not the passphrase")
    wrong = open_vault(vault_dir, ask)
    attempts: list[Callable[[], object]] = [
        lambda: wrong.get("credentials/demo"),
        wrong.keys,
        lambda: wrong.set("credentials/demo", b"overwritten"),
        lambda: wrong.set("new", b"new"),
        lambda: wrong.delete("other"),
    ]
    for attempt in attempts:
        with pytest.raises(StoreLockedError) as caught:
            attempt()
        assert caught.value.message == f"wrong passphrase for the file vault in {vault_dir}"
        assert "not the passphrase" not in str(caught.value)
    assert ask.calls == 1, "a wrong passphrase is remembered, never asked again by one instance"
    assert snapshot(vault_dir.parent) == before
    assert open_vault(vault_dir).get("credentials/demo") == b"secret-value"


def test_passphrase_and_kdf_run_once_however_many_calls(vault_dir: Path, count_kdf: list[int]) -> None:
    ask = Counter()
    creator = open_vault(vault_dir, ask)
    for i in range(10):
        creator.set(f"k{i}", b"v")
    assert (ask.calls, len(count_kdf)) == (1, 1)

    ask, count_kdf[:] = Counter(), []
    reader = open_vault(vault_dir, ask)
    for _ in range(5):
        for i in range(10):
            assert reader.get(f"k{i}") == b"v"
    assert reader.get("missing") is None
    reader.keys()
    reader.set("k0", b"w")
    reader.delete("k1")
    assert (ask.calls, len(count_kdf)) == (1, 1)


def test_nothing_stored_needs_no_passphrase(vault_dir: Path, count_kdf: list[int]) -> None:
    ask = Counter()
    store = open_vault(vault_dir, ask)
    assert store.keys() == []
    assert store.get("credentials/demo") is None
    assert store.delete("credentials/demo") is False
    assert ask.calls == 0 and count_kdf == []
    assert not vault_dir.exists(), "reading must not create the vault"

    open_vault(vault_dir).set("k", b"v")
    open_vault(vault_dir).delete("k")  # a header, but no items left
    ask = Counter()
    assert open_vault(vault_dir, ask).get("k") is None
    assert ask.calls == 0


def test_unicode_passphrase_is_normalised(vault_dir: Path) -> None:
    composed = unicodedata.normalize("NFC", "pässwörd")
    decomposed = unicodedata.normalize("NFD", "pässwörd")
    assert composed != decomposed
    open_vault(vault_dir, composed).set("k", b"v")
    assert open_vault(vault_dir, decomposed).get("k") == b"v"


def test_default_scrypt_cost_works(vault_dir: Path) -> None:
    FileStore(vault_dir, lambda: PASSPHRASE).set("k", b"v")
    header = json.loads((vault_dir / "vault.json").read_text())
    assert header["kdf"]["log2n"] == 17
    assert FileStore(vault_dir, lambda: PASSPHRASE).get("k") == b"v"


def test_existing_vault_keeps_its_own_scrypt_cost(vault_dir: Path, count_kdf: list[int]) -> None:
    open_vault(vault_dir).set("k", b"v")
    store = FileStore(vault_dir, lambda: PASSPHRASE, scrypt_log2n=15)
    assert store.get("k") == b"v"
    assert count_kdf == [FAST, FAST]
    assert json.loads((vault_dir / "vault.json").read_text())["kdf"]["log2n"] == FAST


@pytest.mark.parametrize("log2n", [9, 21])
def test_scrypt_cost_out_of_range_is_refused(vault_dir: Path, log2n: int) -> None:
    with pytest.raises(StoreError, match="between 10 and 20"):
        FileStore(vault_dir, lambda: PASSPHRASE, scrypt_log2n=log2n)


# -- tampering and corruption ------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 20, -1], ids=["nonce", "ciphertext", "tag"])
def test_flipped_byte_is_corrupt_and_never_rewritten(vault_dir: Path, offset: int) -> None:
    open_vault(vault_dir).set("credentials/demo", b"secret-value-0123456789")
    (item,) = item_files(vault_dir)
    data = bytearray(item.read_bytes())
    data[offset] ^= 0x01
    item.write_bytes(bytes(data))
    before = snapshot(vault_dir)
    store = open_vault(vault_dir)
    for read in (lambda: store.get("credentials/demo"), store.keys):
        with pytest.raises(StoreCorruptError) as caught:
            read()
        assert str(item) in str(caught.value)
        assert "secret-value" not in str(caught.value)
    assert snapshot(vault_dir) == before


def test_truncated_item_is_corrupt(vault_dir: Path) -> None:
    open_vault(vault_dir).set("k", b"value")
    (item,) = item_files(vault_dir)
    item.write_bytes(item.read_bytes()[:10])
    with pytest.raises(StoreCorruptError, match=item.name):
        open_vault(vault_dir).get("k")


def test_swapped_item_files_are_detected(vault_dir: Path) -> None:
    store = open_vault(vault_dir)
    store.set("alice", b"alice-secret")
    store.set("bob", b"bob-secret")
    first, second = item_files(vault_dir)
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    fresh = open_vault(vault_dir)
    for name in ("alice", "bob"):
        with pytest.raises(StoreCorruptError):
            fresh.get(name)
    with pytest.raises(StoreCorruptError):
        fresh.keys()


def test_ciphertext_is_bound_to_its_file_name() -> None:
    keys = fmt.derive_keys(PASSPHRASE, fmt.KdfParams(salt=b"s" * 16, log2n=FAST))
    name_a, name_b = keys.file_name(b"a"), keys.file_name(b"b")
    sealed = fmt.seal_item(keys, name_a, b"a", b"value")
    assert fmt.open_item(keys, name_a, sealed) == (b"a", b"value")
    assert fmt.open_item(keys, name_b, sealed) is None


def test_item_from_another_vault_is_detected(tmp_path: Path, vault_dir: Path) -> None:
    other = tmp_path / "other"
    open_vault(other).set("k", b"from the other vault")  # same passphrase, other salt
    open_vault(vault_dir).set("k", b"mine")
    (theirs,) = item_files(other)
    (mine,) = item_files(vault_dir)
    assert theirs.name != mine.name, "file names depend on the vault's own key"
    mine.write_bytes(theirs.read_bytes())
    with pytest.raises(StoreCorruptError):
        open_vault(vault_dir).get("k")


@pytest.mark.parametrize(
    "header",
    [
        b"\x00\xffnot json",
        b"{}",
        b"[1, 2]",
        b'{"format": "awsafe-file-vault", "version": 1',
        b'{"format": "something-else", "version": 1}',
    ],
)
def test_corrupt_header_is_reported_and_never_rewritten(vault_dir: Path, header: bytes) -> None:
    open_vault(vault_dir).set("k", b"v")
    (vault_dir / "vault.json").write_bytes(header)
    before = snapshot(vault_dir)
    ask = Counter()
    store = open_vault(vault_dir, ask)
    for attempt in (lambda: store.get("k"), store.keys, lambda: store.set("k", b"new")):
        with pytest.raises(StoreCorruptError, match="vault.json"):
            attempt()
    assert ask.calls == 0, "a corrupt header is reported before asking for a passphrase"
    assert snapshot(vault_dir) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("log2n", 40),  # would need terabytes: a hostile header must not make us try
        ("log2n", "17"),
        ("r", 0),
        ("salt", "!!not base64!!"),
        ("name", "argon2id"),
    ],
)
def test_header_with_bad_kdf_parameters_is_corrupt(vault_dir: Path, field: str, value: object) -> None:
    open_vault(vault_dir).set("k", b"v")
    header = json.loads((vault_dir / "vault.json").read_text())
    header["kdf"][field] = value
    (vault_dir / "vault.json").write_text(json.dumps(header))
    with pytest.raises(StoreCorruptError, match="vault.json"):
        open_vault(vault_dir).get("k")


def test_newer_format_version_is_unavailable_not_corrupt(vault_dir: Path) -> None:
    open_vault(vault_dir).set("k", b"v")
    header = json.loads((vault_dir / "vault.json").read_text())
    header["version"] = 2
    (vault_dir / "vault.json").write_text(json.dumps(header))
    with pytest.raises(StoreUnavailableError, match="version 2"):
        open_vault(vault_dir).get("k")


def test_missing_header_with_items_is_corrupt_and_not_recreated(vault_dir: Path) -> None:
    open_vault(vault_dir).set("k", b"v")
    (vault_dir / "vault.json").unlink()
    store = open_vault(vault_dir)
    attempts: list[Callable[[], object]] = [lambda: store.get("k"), lambda: store.set("k2", b"v")]
    for attempt in attempts:
        with pytest.raises(StoreCorruptError, match="no vault.json"):
            attempt()
    assert not (vault_dir / "vault.json").exists()


def test_os_errors_become_store_errors(vault_dir: Path) -> None:
    vault_dir.parent.mkdir(parents=True)
    vault_dir.write_bytes(b"a file where the vault directory should be")
    store = open_vault(vault_dir)
    for attempt in (lambda: store.get("k"), store.keys, lambda: store.set("k", b"v")):
        with pytest.raises(StoreError) as caught:
            attempt()
        assert isinstance(caught.value.__cause__, OSError)


# -- what lands on disk -------------------------------------------------------------------


def test_permissions_do_not_depend_on_umask(vault_dir: Path) -> None:
    old = os.umask(0)
    try:
        open_vault(vault_dir).set("k", b"v")
    finally:
        os.umask(old)
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(vault_dir.parent.stat().st_mode) == 0o700, "created parents too"
    files = list(vault_dir.iterdir())
    assert {p.name for p in files} >= {"vault.json", ".lock"} and len(files) == 3
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_loose_directory_is_tightened_on_write(vault_dir: Path) -> None:
    vault_dir.mkdir(parents=True)
    vault_dir.chmod(0o755)
    open_vault(vault_dir).set("k", b"v")
    assert stat.S_IMODE(vault_dir.stat().st_mode) == 0o700


def test_traversing_key_names_stay_inside(tmp_path: Path, vault_dir: Path) -> None:
    names = ["../../x", "../x", "/tmp/awsafe-escape", "a/../../b", "x\0y", "C:\\x", "~/.ssh/k"]
    before = set(tmp_path.iterdir())
    store = open_vault(vault_dir)
    for name in names:
        store.set(name, name.encode())
    assert set(tmp_path.iterdir()) == before | {vault_dir.parent}
    assert os.listdir(vault_dir.parent) == ["vault"]
    assert not Path("/tmp/awsafe-escape").exists()
    for path in vault_dir.iterdir():
        assert path.name in ("vault.json", ".lock") or fmt.ITEM_NAME.fullmatch(path.name)
    assert store.keys() == sorted(names)
    assert [open_vault(vault_dir).get(n) for n in names] == [n.encode() for n in names]


def test_no_plaintext_secret_or_key_name_in_any_file(vault_dir: Path) -> None:
    secret = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY"
    key = "credentials/canary-profile-名"
    open_vault(vault_dir).set(key, secret)
    needles = [secret, key.encode(), b"canary", PASSPHRASE.encode()]
    for path in vault_dir.iterdir():
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"{needle!r} in {path.name}"
        assert "canary" not in path.name


def test_junk_and_stale_temp_files_are_ignored(vault_dir: Path) -> None:
    open_vault(vault_dir).set("k", b"v")
    (vault_dir / ".tmp-abandoned").write_bytes(b"half a write")
    (vault_dir / "README").write_text("notes")
    assert open_vault(vault_dir).keys() == ["k"]


# -- several processes at once ----------------------------------------------------------------

WORKERS, KEYS_PER_WORKER = 6, 20


def _write_many(directory: str, worker: int, start: object, kdf_runs: object) -> None:
    runs = 0
    real = fmt.derive_master_key

    def spy(passphrase: str, params: fmt.KdfParams) -> bytes:
        nonlocal runs
        runs += 1
        return real(passphrase, params)

    fmt.derive_master_key = spy  # this is a throwaway child process
    start.wait()  # type: ignore[attr-defined]  # a multiprocessing Barrier
    store = FileStore(Path(directory), lambda: PASSPHRASE, scrypt_log2n=FAST)
    for i in range(KEYS_PER_WORKER):
        store.set(f"worker{worker}/key{i}", f"{worker}:{i}".encode())
        store.set("shared", f"{worker}:{i}".encode())
    kdf_runs.put(runs)  # type: ignore[attr-defined]  # a multiprocessing Queue


def test_concurrent_writers_lose_nothing(vault_dir: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, kdf_runs = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [
        ctx.Process(target=_write_many, args=(str(vault_dir), w, start, kdf_runs)) for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    # All raced to create the header; the lock lets the losers adopt it with one scrypt run.
    assert [kdf_runs.get(timeout=5) for _ in procs] == [1] * WORKERS
    store = open_vault(vault_dir)
    expected = {
        f"worker{w}/key{i}": f"{w}:{i}".encode() for w in range(WORKERS) for i in range(KEYS_PER_WORKER)
    }
    assert store.keys() == sorted([*expected, "shared"])
    for name, value in expected.items():
        assert store.get(name) == value
    last_writes = {f"{w}:{KEYS_PER_WORKER - 1}".encode() for w in range(WORKERS)}
    assert store.get("shared") in last_writes
    assert [p.name for p in vault_dir.iterdir() if p.name.startswith(".tmp-")] == []
