"""aws-vault's Secret Service store (99designs/keyring's secret-service backend over
go-libsecret): a collection ``awsvault`` whose items are labelled with the key, carry the
attribute ``profile`` = key, and hold the keyring item JSON. Read with secretstorage, imported
only here; it never creates a collection or an item."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from awsafe.errors import StoreError, StoreLockedError, StoreUnavailableError
from awsafe.migration.awsvault.items import parse_keyring_item

if TYPE_CHECKING:
    from secretstorage.collection import Collection
    from secretstorage.item import Item

COLLECTION_PREFIX = "/org/freedesktop/secrets/collection/"


def parse_object_path(path: str) -> str:
    """A D-Bus object path with its ``_XX`` escapes decoded, as keyring's decodeKeyringString
    does (gnome-keyring escapes a collection's label this way to make its path)."""
    out = bytearray()
    i = 0
    raw = path.encode()
    while i < len(raw):
        if raw[i] != 0x5F:  # "_"
            out.append(raw[i])
            i += 1
            continue
        if i + 3 > len(raw):
            return path  # keyring gives up on the whole path alike
        try:
            out += bytes.fromhex(raw[i + 1 : i + 3].decode("ascii"))
        except ValueError:
            return path
        i += 3
    return out.decode("utf-8", "replace")


class AwsVaultSecretServiceSource:
    """The items of one Secret Service collection, found as aws-vault finds it: by its object
    path (``.../collection/<name>``), not by its label."""

    name = "secret-service"

    def __init__(self, collection: str) -> None:
        self.collection_name = collection
        self._connection: Any = None

    def keys(self) -> list[str]:
        collection = self._collection()
        if collection is None:
            return []
        with self._errors():
            self._unlock(collection)
            return sorted({item.get_label() for item in collection.get_all_items()})

    def read(self, key: str) -> bytes:
        item = self._item(key)
        with self._errors():
            self._unlock(item)
            secret = item.get_secret()
        return parse_keyring_item(secret, self.describe(key))

    def remove(self, key: str) -> None:
        item = self._item(key)
        with self._errors():
            self._unlock(item)
            item.delete()

    def describe(self, key: str) -> str:
        return f"item {key!r} of the Secret Service collection {self.collection_name!r}"

    # -- the parts ------------------------------------------------------------------------------

    def _collection(self) -> Collection | None:
        with self._errors():
            import secretstorage

            if self._connection is None:
                self._connection = secretstorage.dbus_init()
            wanted = COLLECTION_PREFIX + self.collection_name
            for collection in secretstorage.get_all_collections(self._connection):
                if parse_object_path(collection.collection_path) == wanted:
                    return collection
        return None

    def _item(self, key: str) -> Item:
        collection = self._collection()
        if collection is None:
            raise StoreError(f"there is no Secret Service collection {self.collection_name!r}")
        with self._errors():
            # aws-vault reads the first item whose attribute `profile` is the key.
            items = list(collection.search_items({"profile": key}))
        if not items:
            raise StoreError(f"there is no {self.describe(key)}")
        return items[0]

    @staticmethod
    def _unlock(thing: Collection | Item) -> None:
        if thing.is_locked() and thing.unlock():  # unlock() is True when the prompt was dismissed
            raise StoreLockedError("the Secret Service did not unlock aws-vault's collection")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Every secretstorage and D-Bus failure as a StoreError naming the collection."""
        try:
            from secretstorage import exceptions
        except ImportError as e:
            raise StoreUnavailableError("the Secret Service cannot be used: secretstorage is missing") from e
        try:
            yield
        except StoreError:
            raise
        except exceptions.SecretServiceNotAvailableException as e:
            raise StoreUnavailableError(f"the Secret Service is not available here: {e}") from e
        except (exceptions.LockedException, exceptions.PromptDismissedException) as e:
            raise StoreLockedError(
                f"the Secret Service collection {self.collection_name!r} is locked and was not unlocked"
            ) from e
        except Exception as e:  # jeepney's D-Bus errors, a daemon gone
            raise StoreError(
                f"the Secret Service failed on collection {self.collection_name!r}: {type(e).__name__}"
            ) from e
