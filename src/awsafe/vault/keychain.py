"""The OS keychain Store through the keyring library, plus the index of its key names; it must
never fall back to a plaintext keyring, prompt while probing, or read the environment."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from awsafe.errors import StoreCorruptError, StoreError, StoreLockedError, StoreUnavailableError
from awsafe.statedir import ensure_private_dir
from awsafe.vault.lock import exclusive_lock
from awsafe.vault.textvalue import parse_text_value, render_text_value

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

T = TypeVar("T")
log = logging.getLogger(__name__)

# aws-vault's backend names -> the keyring class that talks to that OS keychain. Only these:
# keyring's fail/null/chainer backends and keyrings.alt's plaintext files are never used.
BACKENDS: dict[str, tuple[str, str]] = {
    "secret-service": ("keyring.backends.SecretService", "Keyring"),
    "keychain": ("keyring.backends.macOS", "Keyring"),
    "wincred": ("keyring.backends.Windows", "WinVaultKeyring"),
    "kwallet": ("keyring.backends.kwallet", "DBusKeyring"),
}
INDEX_USERNAME = "index"
COLLECTION_PATH = "/org/freedesktop/secrets/collection/"
ALIAS_PATH = "/org/freedesktop/secrets/aliases/"
ITEM_PREFIX = "item:"  # keeps every key name apart from the index item


def _platform_candidates() -> tuple[str, ...]:
    if sys.platform == "darwin":
        return ("keychain",)
    if sys.platform == "win32":
        return ("wincred",)
    return ("secret-service", "kwallet")


def _backend_class(name: str) -> type[KeyringBackend]:
    module_name, class_name = BACKENDS[name]
    try:
        cls: type[KeyringBackend] = getattr(importlib.import_module(module_name), class_name)
    except Exception as e:  # a broken optional dependency must read as "not here"
        raise StoreUnavailableError(f"the {name} keychain cannot be loaded: {e}") from e
    return cls


def _why_not_viable(cls: type[KeyringBackend]) -> str | None:
    """None when keyring deems the backend usable here, else keyring's reason."""
    try:
        cls.priority  # noqa: B018 - keyring raises from this property when not viable
    except Exception as e:  # noqa: BLE001 - any reason at all means "not viable"
        return str(e) or type(e).__name__
    return None


def _secret_service_running() -> bool:
    # Viability also accepts a daemon D-Bus could *activate*; on a headless box that daemon
    # has no unlocked collection and would need a prompt, so auto-selection wants a running one.
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    try:
        with open_dbus_connection(bus="SESSION") as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner("org.freedesktop.secrets"), timeout=2)
            return bool(reply.body[0])
    except Exception:  # noqa: BLE001 - no bus, no auth, a timeout: all mean "not running"
        return False


def usable_keychain_backend() -> str | None:
    """The aws-vault name of a real OS keychain usable here without prompting, or None."""
    for name in _platform_candidates():
        try:
            cls = _backend_class(name)
        except StoreUnavailableError:
            continue
        if _why_not_viable(cls) is not None:
            continue
        if name == "secret-service" and not _secret_service_running():
            continue
        return name
    return None


class KeychainStore:
    """A Store of base64 values in the OS keychain, items named ``item:<key>`` in ``service``.

    keyring cannot list items, so the key names live in one more item
    (``index``, a JSON list) that is only changed under an flock on
    ``lock_path``. ``backend_name`` None means what ``usable_keychain_backend``
    finds; nothing is imported or probed before the first call.
    """

    def __init__(
        self,
        service: str = "awsafe",
        backend_name: str | None = None,
        *,
        lock_path: Path,
        collection: str | None = None,
        keychain_name: str | None = None,
    ) -> None:
        if backend_name is not None and backend_name not in BACKENDS:
            raise StoreUnavailableError(
                f"unknown keychain backend {backend_name!r}; known: {', '.join(BACKENDS)}"
            )
        self.service = service
        self.name = backend_name or "keychain"
        self._backend_name = backend_name
        self._lock_path = Path(lock_path)
        self._backend: KeyringBackend | None = None
        # aws-vault's --secret-service-collection and --keychain; None: the default collection
        # (or keychain), where awsafe has always kept its items.
        self.collection = collection
        self.keychain_name = keychain_name

    @property
    def lock_path(self) -> Path:
        """The file that serialises index updates (the fast path reopens the store with it)."""
        return self._lock_path

    def get(self, key: str) -> bytes | None:
        username = _username(key)
        text = self._call("read", lambda ring: ring.get_password(self.service, username))
        if text is None:
            return None
        return parse_text_value(text, f"the {self.name} item {username!r} of service {self.service!r}")

    def set(self, key: str, value: bytes) -> None:
        username = _username(key)
        encoded = render_text_value(value)
        with self._writing():
            # Index first: a crash in between leaves a listed name with no item (keys() hides
            # it), never a secret that no listing shows.
            self._change_index(lambda names: names | {key})
            self._call("write", lambda ring: ring.set_password(self.service, username, encoded))

    def delete(self, key: str) -> bool:
        from keyring.errors import PasswordDeleteError

        username = _username(key)

        def remove(ring: KeyringBackend) -> bool:
            try:
                ring.delete_password(self.service, username)
            except PasswordDeleteError:
                # Backends raise this for "not found" and for real failures alike.
                if ring.get_password(self.service, username) is not None:
                    raise
                return False
            return True

        with self._writing():
            removed = self._call("delete", remove)
            self._change_index(lambda names: names - {key})
        return removed

    @property
    def _in_collection(self) -> bool:
        """Whether the items live in a collection other than the default one."""
        return bool(self.collection) and (self._backend_name or self.name) == "secret-service"

    def location(self) -> dict[str, str]:
        if self._in_collection:
            return {}  # the fast path reopens the default collection only: it declines
        return {"lock_path": str(self.lock_path)}

    def keys(self) -> list[str]:
        names = self._read_index()
        return sorted(name for name in names if self.get(name) is not None)

    # -- the index and the write lock ---------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Serialise every write of every awsafe process to this service.

        The index is a read-modify-write, so it needs the lock anyway; holding it for the
        item write too matters on gnome-keyring, whose file-backed collection briefly
        vanishes from D-Bus when several clients write at once (seen as "Prompt dismissed"
        or "Item does not exist" errors in other processes).
        """
        with contextlib.ExitStack() as stack:
            try:
                ensure_private_dir(self._lock_path.parent)
                stack.enter_context(exclusive_lock(self._lock_path))
            except OSError as e:
                raise StoreError(f"cannot lock {self._lock_path}: {e.strerror or e}") from e
            yield

    def _read_index(self) -> frozenset[str]:
        text = self._call("read", lambda ring: ring.get_password(self.service, INDEX_USERNAME))
        if text is None:
            return frozenset()
        try:
            names = json.loads(text)
        except ValueError:
            names = None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise StoreCorruptError(
                f"the key index ({INDEX_USERNAME!r}) of service {self.service!r} in the"
                f" {self.name} keychain is corrupt",
                hint="delete that item; the secrets stay, but `list` will not show them",
            )
        return frozenset(names)

    def _change_index(self, change: Callable[[frozenset[str]], frozenset[str]]) -> None:
        """Apply ``change`` to the index; only under ``_writing``."""
        before = self._read_index()
        after = change(before)
        if after != before:
            text = json.dumps(sorted(after))
            self._call("write", lambda ring: ring.set_password(self.service, INDEX_USERNAME, text))

    # -- talking to keyring -------------------------------------------------------

    def _ring(self) -> KeyringBackend:
        if self._backend is None:
            name = self._backend_name or usable_keychain_backend()
            if name is None:
                raise StoreUnavailableError("no OS keychain is available here", hint="use the file backend")
            cls = _backend_class(name)
            reason = _why_not_viable(cls)
            if reason is not None:
                raise StoreUnavailableError(f"the {name} keychain is not available here: {reason}")
            ring = cls()
            if name == "secret-service" and self.collection:
                ring.preferred_collection = resolve_collection_path(self.collection)  # type: ignore[attr-defined]
            if name == "keychain" and self.keychain_name:
                log.warning(
                    "--keychain %r is not used: keyring cannot choose a macOS keychain;"
                    " awsafe's items stay in the default keychain",
                    self.keychain_name,
                )
            self._backend = ring
            self.name = name
        return self._backend

    def _call(self, action: str, operation: Callable[[KeyringBackend], T]) -> T:
        from keyring.errors import (
            InitError,
            KeyringError,
            KeyringLocked,
            NoKeyringError,
            PasswordSetError,
        )

        ring = self._ring()
        where = f"the {self.name} keychain (service {self.service!r})"
        try:
            return operation(ring)
        except KeyringLocked as e:
            raise StoreLockedError(f"{where} is locked", hint="unlock it and retry") from e
        except (InitError, NoKeyringError) as e:
            if self._in_collection:  # keyring's words for a collection path that is not there
                raise StoreUnavailableError(
                    f"the Secret Service has no collection {self.collection!r}",
                    hint="create it (for example in Seahorse), or unset --secret-service-collection",
                ) from e
            raise StoreUnavailableError(f"{where} cannot be used: {e}") from e
        except PasswordSetError as e:
            raise StoreError(f"{where} refused a write: {e}") from e
        except KeyringError as e:
            raise StoreError(f"{where} failed to {action}: {e}") from e
        except Exception as e:
            # SecretStorage/jeepney and OS errors escape keyring untranslated. Their messages
            # carry D-Bus names and paths, never the secret, which travels as a separate value.
            if "Locked" in type(e).__name__ or "PromptDismissed" in type(e).__name__:
                raise StoreLockedError(f"{where} is locked", hint="unlock it and retry") from e
            raise StoreError(f"{where} failed to {action}: {type(e).__name__}: {e}") from e


def resolve_collection_path(name: str) -> str:
    """The D-Bus object path of the Secret Service collection ``name`` (``default``: the
    default alias); characters other than [A-Za-z0-9_] become ``_``, as gnome-keyring does
    when it names a collection's path after its label."""
    if name == "default":
        return ALIAS_PATH + name
    return COLLECTION_PATH + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _username(key: str) -> str:
    # D-Bus strings cannot hold NUL, and keychains compare names as text.
    if not key or "\0" in key:
        raise StoreError("a keychain key name must be non-empty and contain no NUL")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as e:
        raise StoreError("a keychain key name is not valid Unicode text") from e
    return ITEM_PREFIX + key
