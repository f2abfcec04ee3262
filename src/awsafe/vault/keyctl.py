"""The Linux kernel keyring Store: "user" keys in a keyring named ``awsafe`` linked into the user
keyring (@u), through libkeyutils (the library of the ``keyctl`` program); values never touch
disk, argv or a pipe.

Scope, chosen on purpose (aws-vault's fork never set one): the *user* keyring is shared by
every process of this UID (every shell, ssh login, cron job) and lives in kernel memory until
reboot (before Linux 5.3, until the UID's last process ends). The session keyring (@s) would
die with the login session, and without pam_keyinit each process gets its own, so a key added
by one command is invisible to the next. Keys get read/write/search permission for the *user*,
not only the *possessor*, so a shell whose session keyring does not link @u still finds them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

from awsafe.errors import StoreCorruptError, StoreError, StoreUnavailableError

KEYRING_NAME = "awsafe"
KEY_TYPE = "user"
# The kernel refuses an empty "user" payload, so each starts with this byte; with it, a
# payload is at most 32767 bytes (the kernel's limit).
MARK = b"\x01"
MAX_VALUE_BYTES = 32767 - len(MARK)
KEY_SPEC_USER_KEYRING = -4
# possessor and user: view read write search link setattr; group and others: nothing
PERMISSIONS = 0x3F3F0000
_ENOKEY = 126


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("keyutils") or "libkeyutils.so.1"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as e:
        raise StoreUnavailableError(
            "the kernel keyring needs libkeyutils, which is not installed",
            hint="install keyutils (Debian/Ubuntu: apt install keyutils)",
        ) from e
    serial, char_p, void_p = ctypes.c_int32, ctypes.c_char_p, ctypes.c_void_p
    signatures = {
        "add_key": (serial, [char_p, char_p, void_p, ctypes.c_size_t, serial]),
        "keyctl_get_keyring_ID": (ctypes.c_long, [serial, ctypes.c_int]),
        "keyctl_search": (ctypes.c_long, [serial, char_p, char_p, serial]),
        "keyctl_read_alloc": (ctypes.c_long, [serial, ctypes.POINTER(void_p)]),
        "keyctl_describe_alloc": (ctypes.c_long, [serial, ctypes.POINTER(char_p)]),
        "keyctl_setperm": (ctypes.c_long, [serial, ctypes.c_uint32]),
        "keyctl_unlink": (ctypes.c_long, [serial, serial]),
    }
    for function, (restype, argtypes) in signatures.items():
        getattr(lib, function).restype = restype
        getattr(lib, function).argtypes = argtypes
    return lib


def _description(key: str) -> bytes:
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as e:
        raise StoreError("a keyring key name is not valid Unicode text") from e
    if not raw or b"\0" in raw or len(raw) > 4000:
        raise StoreError("a keyring key name must be 1 to 4000 bytes without NUL")
    return raw


class KeyctlStore:
    """A Store of "user" keys, described by their key name, in the ``awsafe`` keyring of @u.

    Nothing is loaded or created before the first call; reads never create the keyring.
    """

    name = "keyctl"

    def __init__(self, keyring_name: str = KEYRING_NAME) -> None:
        self.keyring_name = keyring_name
        self._lib: ctypes.CDLL | None = None

    def get(self, key: str) -> bytes | None:
        description = _description(key)
        ring = self._keyring(create=False)
        if ring is None:
            return None
        serial = self._search(ring, description)
        if serial is None:
            return None
        payload = self._read(serial, f"the key {key!r}")
        if not payload.startswith(MARK):
            raise StoreCorruptError(f"the kernel keyring's key {key!r} is not awsafe data")
        return payload[len(MARK) :]

    def set(self, key: str, value: bytes) -> None:
        description = _description(key)
        payload = MARK + bytes(value)
        if len(value) > MAX_VALUE_BYTES:
            raise StoreError(
                f"the kernel keyring holds at most {MAX_VALUE_BYTES} bytes per key;"
                f" {key!r} needs {len(value)}",
                hint="use another backend for values this large",
            )
        ring = self._keyring(create=True)
        assert ring is not None
        lib = self._library()
        # add_key replaces the payload of an existing key of that name in one step.
        serial = lib.add_key(KEY_TYPE.encode(), description, payload, len(payload), ring)
        if serial < 0:
            raise self._error(f"cannot store {key!r}")
        if lib.keyctl_setperm(serial, PERMISSIONS) < 0:
            raise self._error(f"cannot set the permissions of {key!r}")

    def delete(self, key: str) -> bool:
        description = _description(key)
        ring = self._keyring(create=False)
        if ring is None:
            return False
        serial = self._search(ring, description)
        if serial is None:
            return False
        if self._library().keyctl_unlink(serial, ring) < 0:
            if ctypes.get_errno() == _ENOKEY:
                return False
            raise self._error(f"cannot remove {key!r}")
        return True

    def keys(self) -> list[str]:
        ring = self._keyring(create=False)
        if ring is None:
            return []
        listing = self._read(ring, "the keyring's list")
        serials = [
            int.from_bytes(listing[i : i + 4], sys.byteorder, signed=True) for i in range(0, len(listing), 4)
        ]
        names = []
        for serial in serials:
            described = self._describe(serial)
            if described is not None and described[0] == KEY_TYPE:
                names.append(described[1])
        return sorted(names)

    def location(self) -> dict[str, str]:
        return {}  # the fast path reads files only: it declines, and the full path reads

    # -- libkeyutils -------------------------------------------------------------------

    def _library(self) -> ctypes.CDLL:
        if self._lib is None:
            self._lib = _library()
        return self._lib

    def _error(self, what: str) -> StoreError:
        code = ctypes.get_errno()
        reason = os.strerror(code)
        if code in (122, 28):  # EDQUOT, ENOSPC: the per-user quota of keys or bytes
            return StoreError(
                f"the kernel keyring: {what}: {reason}",
                hint="the per-user key quota is in /proc/sys/kernel/keys/maxbytes and maxkeys",
            )
        return StoreError(f"the kernel keyring: {what}: {reason}")

    def _keyring(self, *, create: bool) -> int | None:
        """The serial of the ``awsafe`` keyring in @u (made when ``create``), or None."""
        lib = self._library()
        user = lib.keyctl_get_keyring_ID(KEY_SPEC_USER_KEYRING, 1)
        if user < 0:
            raise self._error("cannot open the user keyring")
        serial = lib.keyctl_search(user, b"keyring", self.keyring_name.encode(), 0)
        if serial >= 0:
            described = self._describe(serial)
            if described is None or described[2] != os.getuid():
                raise StoreCorruptError(f"the kernel keyring {self.keyring_name!r} in @u is not yours")
            return int(serial)
        if ctypes.get_errno() != _ENOKEY:
            raise self._error(f"cannot search the user keyring for {self.keyring_name!r}")
        if not create:
            return None
        serial = lib.add_key(b"keyring", self.keyring_name.encode(), None, 0, user)
        if serial < 0 or lib.keyctl_setperm(serial, PERMISSIONS) < 0:
            raise self._error(f"cannot create the keyring {self.keyring_name!r} in @u")
        return int(serial)

    def _search(self, ring: int, description: bytes) -> int | None:
        serial = self._library().keyctl_search(ring, KEY_TYPE.encode(), description, 0)
        if serial >= 0:
            return int(serial)
        if ctypes.get_errno() in (_ENOKEY, 127, 128):  # not there, expired, revoked
            return None
        raise self._error("cannot search the awsafe keyring")

    def _read(self, serial: int, what: str) -> bytes:
        lib, buffer = self._library(), ctypes.c_void_p()
        length = lib.keyctl_read_alloc(serial, ctypes.byref(buffer))
        if length < 0:
            raise self._error(f"cannot read {what}")
        try:
            return ctypes.string_at(buffer, length) if length else b""
        finally:
            if buffer.value:
                ctypes.memset(buffer, 0, length)  # the C copy of a secret goes now
                _free(buffer)

    def _describe(self, serial: int) -> tuple[str, str, int] | None:
        """(type, description, uid) of a key, or None when it vanished meanwhile."""
        buffer = ctypes.c_char_p()
        if self._library().keyctl_describe_alloc(serial, ctypes.byref(buffer)) < 0:
            return None
        try:
            text = (buffer.value or b"").decode("utf-8", "replace")
        finally:
            _free(ctypes.cast(buffer, ctypes.c_void_p))
        kind, uid, _gid, _perm, description = text.split(";", 4)
        return kind, description, int(uid)


def _free(pointer: ctypes.c_void_p) -> None:
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    libc.free(pointer)
