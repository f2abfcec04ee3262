"""The file vault's on-disk format (scrypt, HKDF subkeys, AES-256-GCM, header and item
layout); pure, it must never touch a file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import unicodedata

from awsafe.errors import StoreUnavailableError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "awsafe-file-vault"
VERSION = 1
HEADER_NAME = "vault.json"
AEAD_NAME = "AES-256-GCM"
MIN_LOG2N, MAX_LOG2N = 10, 20
ITEM_NAME = re.compile(r"[0-9a-f]{64}\.item")
MAX_KEY_BYTES = 0xFFFF
MAX_HEADER_BYTES = 64 * 1024  # ours is ~300 bytes
_NONCE_LEN = 12
_TAG_LEN = 16
_SALT_LEN = 16
_CHECK_PLAINTEXT = b"awsafe-file-vault check v1"
_CHECK_AAD = f"{FORMAT}/{VERSION}/check".encode()


class KdfParams:
    """scrypt parameters as stored in the header (the salt is not secret)."""

    __slots__ = ("salt", "log2n", "r", "p")

    def __init__(self, salt: bytes, log2n: int, r: int = 8, p: int = 1) -> None:
        self.salt, self.log2n, self.r, self.p = salt, log2n, r, p

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KdfParams) and (self.salt, self.log2n, self.r, self.p) == (
            other.salt,
            other.log2n,
            other.r,
            other.p,
        )

    __hash__ = None  # type: ignore[assignment]


class Header:
    __slots__ = ("kdf", "check")

    def __init__(self, kdf: KdfParams, check: bytes) -> None:
        self.kdf = kdf
        self.check = check  # a known plaintext sealed under the AEAD key: tells a wrong passphrase


class Keys:
    """The subkeys of one vault (a plain class: no dataclasses import on the fast path)."""

    __slots__ = ("aead", "name_key")

    def __init__(self, aead: AESGCM, name_key: bytes) -> None:
        self.aead = aead
        self.name_key = name_key

    def __repr__(self) -> str:
        return "Keys(<hidden>)"

    def file_name(self, key: bytes) -> str:
        """The item's file name: reveals nothing about the key name and cannot traverse."""
        return hmac.new(self.name_key, key, hashlib.sha256).hexdigest() + ".item"


def derive_master_key(passphrase: str, params: KdfParams) -> bytes:
    """Run scrypt once; the slow step, so callers (and tests) count its runs."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    # NFC so the same passphrase typed through different input methods gives the same key.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = Scrypt(salt=params.salt, length=32, n=1 << params.log2n, r=params.r, p=params.p)
    return kdf.derive(secret)


def derive_keys(passphrase: str, params: KdfParams) -> Keys:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    master = derive_master_key(passphrase, params)

    def subkey(info: str) -> bytes:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode())
        return hkdf.derive(master)

    # Separate subkeys: the name key only ever feeds HMAC, the AEAD key only AES-GCM.
    return Keys(
        aead=AESGCM(subkey(f"{FORMAT}/{VERSION}/aead")),
        name_key=subkey(f"{FORMAT}/{VERSION}/names"),
    )


def new_header(passphrase: str, log2n: int) -> tuple[Header, Keys]:
    params = KdfParams(salt=os.urandom(_SALT_LEN), log2n=log2n)
    keys = derive_keys(passphrase, params)
    return Header(params, _seal(keys, _CHECK_AAD, _CHECK_PLAINTEXT)), keys


def check_passphrase(header: Header, keys: Keys) -> bool:
    return _unseal(keys, _CHECK_AAD, header.check) == _CHECK_PLAINTEXT


def seal_item(keys: Keys, file_name: str, key: bytes, value: bytes) -> bytes:
    # The real key name travels inside the ciphertext so keys() can list names.
    return _seal(keys, _item_aad(file_name), struct.pack(">H", len(key)) + key + value)


def open_item(keys: Keys, file_name: str, blob: bytes) -> tuple[bytes, bytes] | None:
    """(key name, value), or None when the blob fails authentication or is malformed."""
    plaintext = _unseal(keys, _item_aad(file_name), blob)
    if plaintext is None or len(plaintext) < 2:
        return None
    (length,) = struct.unpack(">H", plaintext[:2])
    if len(plaintext) < 2 + length:
        return None
    return plaintext[2 : 2 + length], plaintext[2 + length :]


def render_header(header: Header) -> bytes:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "kdf": {
            "name": "scrypt",
            "salt": base64.b64encode(header.kdf.salt).decode(),
            "log2n": header.kdf.log2n,
            "r": header.kdf.r,
            "p": header.kdf.p,
        },
        "aead": AEAD_NAME,
        "check": base64.b64encode(header.check).decode(),
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def parse_header(data: bytes) -> Header:
    """Validate a header document; ValueError/KeyError/TypeError say why it is bad."""
    if len(data) > MAX_HEADER_BYTES:
        raise ValueError(f"larger than {MAX_HEADER_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} header")
    version = doc["version"]
    if type(version) is not int or version < 1:
        raise ValueError(f"bad version {version!r}")
    if version > VERSION:
        raise StoreUnavailableError(
            f"the file vault uses format version {version}; this awsafe reads only {VERSION}",
            hint="upgrade awsafe",
        )
    kdf = doc["kdf"]
    if kdf["name"] != "scrypt" or doc["aead"] != AEAD_NAME:
        raise ValueError("unsupported KDF or cipher")
    params = KdfParams(
        salt=base64.b64decode(kdf["salt"], validate=True),
        log2n=kdf["log2n"],
        r=kdf["r"],
        p=kdf["p"],
    )
    if any(type(v) is not int for v in (params.log2n, params.r, params.p)):
        raise TypeError("scrypt parameters must be integers")
    # Bounds keep a hostile header from making us allocate gigabytes or run for hours.
    if not MIN_LOG2N <= params.log2n <= MAX_LOG2N or not 1 <= params.r <= 32:
        raise ValueError("scrypt parameters out of range")
    if not 1 <= params.p <= 4 or (128 * params.r) << params.log2n > 1 << 30:
        raise ValueError("scrypt parameters out of range")
    if len(params.salt) < _SALT_LEN:
        raise ValueError("salt too short")
    check = base64.b64decode(doc["check"], validate=True)
    return Header(params, check)


def _item_aad(file_name: str) -> bytes:
    # Binds each ciphertext to its file name and format version: swapped files fail to open.
    return f"{FORMAT}/{VERSION}/item/{file_name}".encode()


def _seal(keys: Keys, aad: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(_NONCE_LEN)  # random 96-bit nonces: safe far beyond a vault's writes
    return nonce + keys.aead.encrypt(nonce, plaintext, aad)


def _unseal(keys: Keys, aad: bytes, blob: bytes) -> bytes | None:
    from cryptography.exceptions import InvalidTag

    if len(blob) < _NONCE_LEN + _TAG_LEN:
        return None
    try:
        return keys.aead.decrypt(blob[:_NONCE_LEN], blob[_NONCE_LEN:], aad)
    except InvalidTag:
        return None
