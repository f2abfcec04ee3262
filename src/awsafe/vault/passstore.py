"""The `pass` (password-store) Store: one gpg file per item under ``<store>/<prefix>/``, written and
read by the ``pass`` program; values go to it on stdin only, never on its argv or on disk in clear.

Each key is one file name (``/``, ``%``, a leading dot and anything outside ``[A-Za-z0-9._-]``
percent-escaped), so no key can climb out of the prefix folder or collide with another. A value
is stored as base64 text: pass and its git history handle text, and awsafe's values are bytes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from awsafe.errors import StoreError, StoreUnavailableError
from awsafe.vault.program import Ran, run_store_program
from awsafe.vault.textvalue import parse_text_value, render_text_value

DEFAULT_PREFIX = "awsafe"
DEFAULT_COMMAND = "pass"
SUFFIX = ".gpg"
MAX_NAME_BYTES = 255 - len(SUFFIX)
_SAFE = re.compile(rb"[A-Za-z0-9._-]")
_ESCAPED_NAME = re.compile(r"(?:[A-Za-z0-9_-]|%[0-9A-F]{2})(?:[A-Za-z0-9._-]|%[0-9A-F]{2})*")


def resolve_item_name(key: str) -> str:
    """The file name (without ``.gpg``) of ``key``: percent-escaped, one path segment, no leading dot."""
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as e:
        raise StoreError("a pass key name is not valid Unicode text") from e
    if not raw:
        raise StoreError("a pass key name must not be empty")
    name = "".join(chr(byte) if _SAFE.fullmatch(bytes([byte])) else f"%{byte:02X}" for byte in raw)
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name) > MAX_NAME_BYTES:
        raise StoreError(f"a pass key name is too long ({len(raw)} bytes)")
    return name


def parse_item_name(name: str) -> str | None:
    """The key whose file name is ``name``, or None for a name awsafe did not write."""
    if not _ESCAPED_NAME.fullmatch(name):
        return None
    raw = re.sub(rb"%([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), name.encode("ascii"))
    try:
        key = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return key if resolve_item_name(key) == name else None


def resolve_prefix(prefix: str) -> str:
    """``prefix`` as a relative folder inside the store (``a/b``), "" for the store's top;
    a segment that is empty, ``.`` or ``..`` is refused (it would leave the store)."""
    stripped = prefix.strip("/")
    if not stripped:
        return ""
    segments = stripped.split("/")
    if any(s in ("", ".", "..") or "\0" in s for s in segments) or prefix.startswith("/"):
        raise StoreError(f"the pass prefix {prefix!r} must be a relative folder inside the store")
    return "/".join(segments)


class PassStore:
    """A Store in the password store ``directory`` (pass's PASSWORD_STORE_DIR), items under
    ``prefix``; ``command`` is the pass program; ``environ`` is what pass and gpg run with
    (HOME, GNUPGHOME, GPG_TTY ...; the vault passphrases are removed)."""

    name = "pass"

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = DEFAULT_PREFIX,
        command: str = DEFAULT_COMMAND,
        environ: Mapping[str, str],
    ) -> None:
        self.directory = Path(directory)
        self.prefix = resolve_prefix(prefix)
        self.command = command or DEFAULT_COMMAND
        self._environ = {**environ, "PASSWORD_STORE_DIR": str(self.directory)}

    @property
    def folder(self) -> Path:
        """Where the item files are."""
        return self.directory / self.prefix if self.prefix else self.directory

    def get(self, key: str) -> bytes | None:
        name = resolve_item_name(key)
        if not (self.folder / (name + SUFFIX)).is_file():
            return None  # no gpg run (and no pinentry) to learn that nothing is there
        ran = self._pass("show", self._path(name))
        if ran.returncode != 0:
            if not (self.folder / (name + SUFFIX)).exists():
                return None  # removed by another process in between
            raise self._failed("read", key, ran)
        return parse_text_value(ran.stdout.strip(), f"the pass item {self._path(name)!r} in {self.directory}")

    def set(self, key: str, value: bytes) -> None:
        name = resolve_item_name(key)
        text = render_text_value(value).encode("ascii") + b"\n"
        ran = self._pass("insert", "--multiline", "--force", self._path(name), stdin=text)
        if ran.returncode != 0:
            raise self._failed("write", key, ran)

    def delete(self, key: str) -> bool:
        name = resolve_item_name(key)
        if not (self.folder / (name + SUFFIX)).is_file():
            return False
        ran = self._pass("rm", "--force", self._path(name))
        if ran.returncode != 0:
            if not (self.folder / (name + SUFFIX)).exists():
                return False
            raise self._failed("delete", key, ran)
        return True

    def keys(self) -> list[str]:
        try:
            entries = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StoreError(f"cannot list the pass folder {self.folder}: {e.strerror or e}") from e
        found = []
        for entry in entries:
            if not entry.endswith(SUFFIX) or not (self.folder / entry).is_file():
                continue
            key = parse_item_name(entry[: -len(SUFFIX)])
            if key is not None:  # another program's file in the same folder is not ours
                found.append(key)
        return sorted(found)

    def location(self) -> dict[str, str]:
        return {}  # the fast path does not run gpg: it declines, and the full path reads

    # -- running pass ---------------------------------------------------------------------

    def _path(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _pass(self, *args: str, stdin: bytes = b"") -> Ran:
        return run_store_program(
            [self.command, *args], environ=self._environ, stdin=stdin, what=f"the pass store {self.directory}"
        )

    def _failed(self, action: str, key: str, ran: Ran) -> StoreError:
        where = f"the pass store {self.directory}"
        if "pass init" in ran.stderr_line or "You must run" in ran.stderr_line:
            return StoreUnavailableError(
                f"{where} is not initialised",
                hint=f"run: PASSWORD_STORE_DIR={self.directory} pass init YOUR-GPG-KEY-ID",
            )
        said = f": {ran.stderr_line}" if ran.stderr_line else ""
        return StoreError(f"{where}: pass failed to {action} {key!r} (exit {ran.returncode}){said}")
