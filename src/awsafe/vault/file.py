"""The encrypted-file vault's I/O: one sealed file per item, atomic writes, 0600/0700 (statedir's
rule: yours, never through a link); it must never prompt, read the environment or write plaintext."""

from __future__ import annotations

import binascii
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from awsafe.errors import StoreCorruptError, StoreError, StoreLockedError, VaultCorruptError
from awsafe.statedir import check_private_dir, ensure_private_dir, read_private_file
from awsafe.vault import fileformat as fmt
from awsafe.vault.lock import exclusive_lock

LOCK_NAME = ".lock"


def _encode_key(key: str) -> bytes:
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as e:
        raise StoreError("a vault key name is not valid Unicode text") from e
    if not raw or len(raw) > fmt.MAX_KEY_BYTES:
        raise StoreError(f"a vault key name must be 1 to {fmt.MAX_KEY_BYTES} bytes, got {len(raw)}")
    return raw


class FileStore:
    """A Store of AEAD-sealed files in ``directory``, keyed by a passphrase.

    ``passphrase`` is called at most once per instance, and only when a key is
    really needed; scrypt runs at most once per instance too. Creating the vault,
    ``new_passphrase`` is called instead when given (a prompt that says it is
    creating one and asks twice). ``scrypt_log2n``
    applies to a vault this instance creates: an existing vault keeps the
    parameters written in its header.
    """

    name = "file"

    def __init__(
        self,
        directory: Path,
        passphrase: Callable[[], str],
        *,
        scrypt_log2n: int = 17,
        new_passphrase: Callable[[], str] | None = None,
    ) -> None:
        if not fmt.MIN_LOG2N <= scrypt_log2n <= fmt.MAX_LOG2N:
            raise StoreError(
                f"the scrypt cost log2(N) must be between {fmt.MIN_LOG2N} and {fmt.MAX_LOG2N},"
                f" got {scrypt_log2n}"
            )
        self.directory = Path(directory)
        self._passphrase = passphrase
        self._new_passphrase = new_passphrase or passphrase
        self._log2n = scrypt_log2n
        self._keys: fmt.Keys | None = None
        self._wrong_passphrase = False
        self._checked = False  # the directory's owner and mode, see _check_directory

    # -- the Store protocol -------------------------------------------------

    def get(self, key: str) -> bytes | None:
        raw = _encode_key(key)
        if not self._item_files():
            return None  # nothing stored, so no passphrase is needed to say so
        keys = self._unlock(create=False)
        name = keys.file_name(raw)
        blob = self._read(self.directory / name)
        if blob is None:
            return None
        stored_key, value = self._open_item(keys, name, blob)
        if stored_key != raw:
            raise StoreCorruptError(f"the vault item {self.directory / name} holds another key")
        return value

    def set(self, key: str, value: bytes) -> None:
        raw = _encode_key(key)
        keys = self._unlock(create=True)
        self._ensure_directory()
        name = keys.file_name(raw)
        self._write_atomic(name, fmt.seal_item(keys, name, raw, bytes(value)))

    def delete(self, key: str) -> bool:
        raw = _encode_key(key)
        if not self._item_files():
            return False
        path = self.directory / self._unlock(create=False).file_name(raw)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as e:
            raise StoreError(f"cannot delete {path}: {e.strerror or e}") from e
        self._sync_directory()
        return True

    def location(self) -> dict[str, str]:
        return {"file_dir": str(self.directory)}

    def unlock(self) -> None:
        """Derive the keys now (asking for the passphrase once), making the vault if it has no
        header yet: for a process that unlocks once and then serves for long (the agent)."""
        self._unlock(create=True)

    def keys(self) -> list[str]:
        names = self._item_files()
        if not names:
            return []
        keys = self._unlock(create=False)
        found = []
        for name in names:
            blob = self._read(self.directory / name)
            if blob is None:
                continue  # deleted by another process since the listing
            raw, _ = self._open_item(keys, name, blob)
            if keys.file_name(raw) != name:
                raise StoreCorruptError(f"the vault item {self.directory / name} is misnamed")
            found.append(raw.decode("utf-8"))
        return sorted(found)

    # -- keys and the header --------------------------------------------------

    def _unlock(self, *, create: bool) -> fmt.Keys:
        if self._keys is not None:
            return self._keys
        if self._wrong_passphrase:
            raise self._locked_error()  # remembered, so one instance never prompts twice
        header = self._read_header()
        if header is not None:
            return self._open(header, self._passphrase())
        if not create or self._item_files():
            raise VaultCorruptError(f"the file vault in {self.directory} has items but no {fmt.HEADER_NAME}")
        passphrase = self._new_passphrase()  # before anything is created: it may be refused
        self._ensure_directory()
        try:
            with exclusive_lock(self.directory / LOCK_NAME):
                # Another process may have created the vault while we waited for the lock.
                header = self._read_header()
                if header is None:
                    return self._create_header(passphrase)
        except OSError as e:
            raise StoreError(f"cannot lock the file vault in {self.directory}: {e}") from e
        return self._open(header, passphrase)

    def _open(self, header: fmt.Header, passphrase: str) -> fmt.Keys:
        keys = fmt.derive_keys(passphrase, header.kdf)
        if not fmt.check_passphrase(header, keys):
            self._wrong_passphrase = True
            raise self._locked_error()
        self._keys = keys
        return keys

    def _locked_error(self) -> StoreLockedError:
        return StoreLockedError(
            f"wrong passphrase for the file vault in {self.directory}",
            hint="type the passphrase again, or check the one your configuration supplies",
        )

    def _create_header(self, passphrase: str) -> fmt.Keys:
        header, keys = fmt.new_header(passphrase, self._log2n)
        path = self.directory / fmt.HEADER_NAME
        try:
            tmp = self._write_temp(fmt.render_header(header))
        except OSError as e:
            raise StoreError(f"cannot create {path}: {e.strerror or e}") from e
        try:
            # link, unlike replace, never clobbers a header another writer put there first.
            os.link(tmp, path)
        except FileExistsError:
            # Lost a race the lock could not prevent (no flock here): adopt the winner's header.
            winner = self._read_header()
            if winner is None:
                raise StoreError(f"{path} appeared and vanished again") from None
            return self._open(winner, passphrase)
        except OSError as e:
            raise StoreError(f"cannot create {path}: {e.strerror or e}") from e
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._sync_directory()
        self._keys = keys
        return keys

    def _read_header(self) -> fmt.Header | None:
        path = self.directory / fmt.HEADER_NAME
        data = self._read(path)
        if data is None:
            return None
        try:
            return fmt.parse_header(data)
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            raise VaultCorruptError(f"the file vault header {path} is corrupt: {e}") from e

    def _open_item(self, keys: fmt.Keys, name: str, blob: bytes) -> tuple[bytes, bytes]:
        opened = fmt.open_item(keys, name, blob)
        if opened is None:
            raise StoreCorruptError(
                f"the vault item {self.directory / name} is corrupt or was tampered with",
                hint="restore it from a backup or delete that file and store the secret again",
            )
        return opened

    # -- file I/O -------------------------------------------------------------

    def _item_files(self) -> list[str]:
        self._check_directory()
        try:
            return sorted(n for n in os.listdir(self.directory) if fmt.ITEM_NAME.fullmatch(n))
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StoreError(f"cannot list the file vault {self.directory}: {e.strerror}") from e

    def _read(self, path: Path) -> bytes | None:
        """The file's bytes, or None when it does not exist; a link in its place is refused."""
        self._check_directory()
        try:
            return read_private_file(path)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(f"cannot read {path}: {e.strerror or e}") from e

    def _ensure_directory(self) -> None:
        try:
            ensure_private_dir(self.directory)  # others must not even see how many items exist
        except OSError as e:
            raise StoreError(f"cannot prepare the file vault {self.directory}: {e}") from e

    def _check_directory(self) -> None:
        """Once per instance: a vault directory another user controls is refused; write access
        for others is taken away (a writer then closes it entirely, see _ensure_directory)."""
        if self._checked:
            return
        try:
            self._checked = check_private_dir(self.directory, tighten=0o022)
        except OSError as e:
            raise StoreError(f"cannot open the file vault {self.directory}: {e.strerror or e}") from e

    def _write_temp(self, data: bytes) -> str:
        import tempfile  # only writers pay for it (it pulls in random and shutil)

        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)  # mkstemp uses 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return tmp

    def _write_atomic(self, name: str, data: bytes) -> None:
        path = self.directory / name
        try:
            tmp = self._write_temp(data)
            try:
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as e:
            raise StoreError(f"cannot write {path}: {e.strerror or e}") from e
        self._sync_directory()

    def _sync_directory(self) -> None:
        # Makes the rename itself durable; Windows cannot open a directory for this.
        if os.name != "posix":
            return
        try:
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise StoreError(f"cannot sync the file vault {self.directory}: {e}") from e
