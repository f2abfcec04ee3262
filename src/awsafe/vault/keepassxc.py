"""The KeePass database Store (KeePassXC's KDBX files) through pykeepass: entries titled by key
in one group, the value as base64 in the entry's (protected) password; saved atomically.

pykeepass is imported only when the store is first used. Two things it does are corrected
here: its AES-KDF is a Python loop (seconds for the million rounds KeePassXC sets), replaced
by the same computation as one AES-CBC pass in ``cryptography``; and for KDBX 3.1 it rotates
the header's seeds without updating the XML's HeaderHash, which KeePassXC then refuses
("Header doesn't match hash"), so that optional element is dropped before a save.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from awsafe.errors import StoreCorruptError, StoreError, StoreLockedError, StoreUnavailableError
from awsafe.statedir import ensure_private_dir
from awsafe.vault.lock import exclusive_lock
from awsafe.vault.textvalue import parse_text_value, render_text_value

DEFAULT_GROUP = "awsafe"
_ZERO_BLOCKS = 1 << 16  # 1 MiB of zeros per CBC update


def compute_aes_kdf(key: bytes, rounds: int, composite: bytes) -> bytes:
    """KeePass's AES-KDF: each 16-byte half of ``composite`` encrypted ``rounds`` times with
    AES-ECB under ``key``, then SHA-256. CBC over zero blocks with the half as IV chains
    exactly those encryptions, in C."""
    import hashlib

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    zeros = bytes(16 * min(max(rounds, 1), _ZERO_BLOCKS))
    halves = []
    for start in (0, 16):
        block = composite[start : start + 16]
        encryptor = Cipher(algorithms.AES(key), modes.CBC(block)).encryptor()
        left = rounds
        while left:
            count = min(left, _ZERO_BLOCKS)
            block = encryptor.update(zeros[: 16 * count])[-16:]
            left -= count
        halves.append(block)
    return hashlib.sha256(b"".join(halves)).digest()


def _pykeepass() -> Any:
    try:
        import pykeepass  # type: ignore[import-untyped]
        from pykeepass.kdbx_parsing import kdbx3, kdbx4  # type: ignore[import-untyped]
    except ImportError as e:
        raise StoreUnavailableError(
            "the keepassxc backend needs the pykeepass package", hint="pip install pykeepass"
        ) from e
    kdbx3.aes_kdf = kdbx4.aes_kdf = compute_aes_kdf  # the same result, see the module docstring
    return pykeepass


def _title(key: str) -> str:
    # XML 1.0 cannot carry control characters; a blank title would not survive KeePass's XML.
    if not key.strip() or any(ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF for c in key):
        raise StoreError("a KeePass key name must be printable text")
    return key


class KeePassStore:
    """A Store in the KeePass database ``database``, entries in the top-level group ``group``.

    ``passphrase`` is called at most once, when the database is first opened (None: no
    password, a key file only). Writes hold an flock on ``lock_path`` and reload the file
    first when another program changed it since it was read.
    """

    name = "keepassxc"

    def __init__(
        self,
        database: Path,
        *,
        passphrase: Callable[[], str | None],
        keyfile: Path | None = None,
        group: str = DEFAULT_GROUP,
        lock_path: Path,
    ) -> None:
        self.database = Path(database)
        self.keyfile = keyfile
        self.group = group
        self._passphrase = passphrase
        self._password: str | None = None
        self._asked = False
        self._wrong = False
        self._lock_path = Path(lock_path)
        self._kp: Any = None
        self._stat: tuple[int, int, int] | None = None

    def get(self, key: str) -> bytes | None:
        entry = self._entry(self._load(), _title(key))
        if entry is None:
            return None
        return parse_text_value(
            entry.password or "", f"the KeePass entry {self.group}/{key} in {self.database}"
        )

    def set(self, key: str, value: bytes) -> None:
        title = _title(key)
        text = render_text_value(value)
        with self._writing() as kp:
            group = self._group(kp, create=True)
            entries = [e for e in group.entries if e.title == title]
            if entries:
                entries[0].password = text
                for extra in entries[1:]:
                    kp.delete_entry(extra)
            else:
                kp.add_entry(group, title, "", text, force_creation=True)
            self._save(kp)

    def delete(self, key: str) -> bool:
        title = _title(key)
        with self._writing() as kp:
            group = self._group(kp, create=False)
            entries = [e for e in group.entries if e.title == title] if group is not None else []
            for entry in entries:
                kp.delete_entry(entry)
            if entries:
                self._save(kp)
        return bool(entries)

    def keys(self) -> list[str]:
        group = self._group(self._load(), create=False)
        if group is None:
            return []
        return sorted({e.title for e in group.entries if e.title})

    def location(self) -> dict[str, str]:
        return {}  # the fast path does not open KeePass databases: it declines

    def unlock(self) -> None:
        """Open the database now (asking for its passphrase once): for the agent."""
        self._load()

    # -- the database file --------------------------------------------------------------

    def _entry(self, kp: Any, title: str) -> Any:
        group = self._group(kp, create=False)
        if group is None:
            return None
        return next((e for e in group.entries if e.title == title), None)

    def _group(self, kp: Any, *, create: bool) -> Any:
        group = next((g for g in kp.root_group.subgroups if g.name == self.group), None)
        if group is None and create:
            group = kp.add_group(kp.root_group, self.group)
        return group

    def _file_stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.database)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(f"cannot open the KeePass database {self.database}: {e.strerror or e}") from e
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _load(self) -> Any:
        """The parsed database, read again when the file changed since the last read."""
        stat = self._file_stat()
        if stat is None:
            raise StoreUnavailableError(
                f"the KeePass database {self.database} does not exist",
                hint=f"create it in KeePassXC, or: keepassxc-cli db-create --set-password {self.database}",
            )
        if self._kp is not None and stat == self._stat:
            return self._kp
        pykeepass = _pykeepass()
        from pykeepass.exceptions import CredentialsError  # type: ignore[import-untyped]

        if self._wrong:
            raise self._locked()
        if not self._asked:
            self._password, self._asked = self._passphrase(), True
        keyfile = str(self.keyfile) if self.keyfile else None
        try:
            self._kp = pykeepass.PyKeePass(str(self.database), password=self._password, keyfile=keyfile)
        except CredentialsError as e:
            self._wrong = True
            raise self._locked() from e
        except OSError as e:
            raise StoreError(f"cannot read the KeePass database {self.database}: {e.strerror or e}") from e
        except Exception as e:  # construct's parse errors, checksum errors: a damaged file
            raise StoreCorruptError(
                f"the KeePass database {self.database} cannot be read: {type(e).__name__}"
            ) from e
        self._stat = stat
        return self._kp

    def _locked(self) -> StoreLockedError:
        return StoreLockedError(
            f"wrong passphrase or key file for the KeePass database {self.database}",
            hint="check AWSAFE_KEEPASSXC_PASSPHRASE / AWSAFE_KEEPASSXC_KEYFILE",
        )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        """The database, read again if need be, under the write lock of every awsafe process."""
        with contextlib.ExitStack() as stack:
            try:
                ensure_private_dir(self._lock_path.parent)
                stack.enter_context(exclusive_lock(self._lock_path))
            except OSError as e:
                raise StoreError(f"cannot lock {self._lock_path}: {e.strerror or e}") from e
            yield self._load()

    def _save(self, kp: Any) -> None:
        """Write the database next to itself and rename it into place (fsynced, mode kept)."""
        if kp.version[0] < 4:
            for element in kp.tree.xpath("/KeePassFile/Meta/HeaderHash"):
                element.getparent().remove(element)
        directory = self.database.parent
        try:
            mode = os.stat(self.database).st_mode & 0o777
            fd, tmp = tempfile.mkstemp(prefix=f".{self.database.name}.", suffix=".tmp", dir=directory)
        except OSError as e:
            raise StoreError(f"cannot write next to {self.database}: {e.strerror or e}") from e
        try:
            with os.fdopen(fd, "wb") as stream:
                os.fchmod(stream.fileno(), mode & 0o700 or 0o600)
                # The KDF salt is kept (its key is known): a write costs no key derivation.
                # Seeds and IVs still change, and the salt only guards against precomputation.
                kp.save(stream, transformed_key=kp.transformed_key)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, self.database)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, Exception):  # the file is as it was: only this write failed
                reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
                raise StoreError(f"cannot save {self.database}: {reason}") from e
            raise
        with contextlib.suppress(OSError):  # the rename itself made durable
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self._stat = self._file_stat()
