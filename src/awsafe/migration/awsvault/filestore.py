"""aws-vault's file store (99designs/keyring's file backend): one compact JWE per item in
``~/.awsvault/keys``, read with jwcrypto (imported only here, only when an item is opened). It
never writes an item, never keeps the passphrase past the instance, never quotes a payload."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

from awsafe.errors import StoreCorruptError, StoreError, StoreLockedError
from awsafe.migration.awsvault.items import parse_keyring_item

log = logging.getLogger(__name__)

# What aws-vault writes (jose2go: PBES2-HS256+A128KW, 8192 iterations; A256GCM); nothing else
# is accepted, so a planted file cannot pick a weaker algorithm.
ALGORITHM = "PBES2-HS256+A128KW"
ENCRYPTION = "A256GCM"
MAX_ITEM_BYTES = 64 * 1024  # an item is well under 2 KiB; anything far larger is not one


def render_file_name(key: str) -> str:
    """The file name aws-vault gives ``key``: '%' and '/' percent-encoded, upper-case hex
    (mtibben/percent ``Encode(key, "/")``)."""
    out: list[str] = []
    for ch in key:
        if ch in "%/":
            out.extend(f"%{byte:02X}" for byte in ch.encode())
        else:
            out.append(ch)
    return "".join(out)


def parse_file_name(name: str) -> str:
    """The key of file ``name``, decoded as aws-vault decodes it (mtibben/percent ``Decode``):
    each ``%XY`` with two hex digits is that byte, anything else stays as it is."""
    raw = name.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    hexdigits = b"0123456789abcdefABCDEF"
    while i < len(raw):
        if raw[i] == 0x25 and i + 2 < len(raw) and raw[i + 1] in hexdigits and raw[i + 2] in hexdigits:
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def parse_protected_header(token: str) -> dict[str, object] | None:
    """The protected header of a compact JWE, or None when ``token`` is not one."""
    parts = token.strip().split(".")
    if len(parts) != 5:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error):
        return None
    return header if isinstance(header, dict) else None


class AwsVaultFileSource:
    """The items of one aws-vault file store directory, opened with one passphrase.

    ``passphrase`` is asked at most once, when the first item is opened. Files that are not
    aws-vault items (awsafe's own vault when both share ``AWS_VAULT_FILE_DIR``, editor
    leftovers) are not listed.
    """

    name = "file"

    def __init__(self, directory: Path, passphrase: Callable[[], str]) -> None:
        self.directory = directory
        self._ask = passphrase
        self._passphrase: str | None = None
        self._paths: dict[str, Path] = {}

    def keys(self) -> list[str]:
        try:
            entries = sorted(os.scandir(self.directory), key=lambda e: e.name)
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StoreError(f"cannot read aws-vault's file store {self.directory}: {e.strerror}") from e
        self._paths = {}
        for entry in entries:
            path = Path(entry.path)
            token = self._read_token(path)
            if token is None or parse_protected_header(token) is None:
                log.debug("not an aws-vault item: %s", path)
                continue
            self._paths[parse_file_name(entry.name)] = path
        return sorted(self._paths)

    def read(self, key: str) -> bytes:
        path = self._path(key)
        token = self._read_token(path)
        if token is None:
            raise StoreError(f"{path} is not an aws-vault item (gone, or not a small regular file)")
        header = parse_protected_header(token)
        if header is None:
            raise StoreCorruptError(f"{path} is not a compact JWE")
        if header.get("alg") != ALGORITHM or header.get("enc") != ENCRYPTION:
            raise StoreCorruptError(
                f"{path} is encrypted with {header.get('alg')}/{header.get('enc')}, "
                f"not aws-vault's {ALGORITHM}/{ENCRYPTION}"
            )
        return parse_keyring_item(self._decrypt(token, path), str(path))

    def remove(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as e:
            raise StoreError(f"cannot remove {path}: {e.strerror}") from e
        self._paths.pop(key, None)

    def describe(self, key: str) -> str:
        return str(self._path(key))

    # -- the parts ------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        # The listed file when there is one: a name aws-vault would write differently (lower-case
        # hex, say) still maps back to its own file.
        return self._paths.get(key) or self.directory / render_file_name(key)

    @staticmethod
    def _read_token(path: Path) -> str | None:
        try:
            with path.open("rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ITEM_BYTES:
                    return None
                return handle.read(MAX_ITEM_BYTES).decode("ascii")
        except (OSError, UnicodeDecodeError):
            return None

    def _decrypt(self, token: str, path: Path) -> bytes:
        # jwcrypto ships no type hints (the ignore stays valid if an override is added later)
        from jwcrypto import jwe, jwk  # type: ignore[import-untyped,unused-ignore]
        from jwcrypto.common import JWException  # type: ignore[import-untyped,unused-ignore]

        if self._passphrase is None:
            self._passphrase = self._ask()
        try:
            envelope = jwe.JWE(algs=[ALGORITHM, ENCRYPTION])
            envelope.deserialize(token, key=jwk.JWK.from_password(self._passphrase))
        except (JWException, ValueError, TypeError) as e:
            # AES key wrap fails alike for a wrong passphrase and a changed file: say both.
            raise StoreLockedError(
                f"{path} could not be opened with this passphrase (wrong passphrase, or the file was changed)"
            ) from e
        payload = envelope.payload
        return payload if isinstance(payload, bytes) else str(payload).encode()
