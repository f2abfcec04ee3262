"""Replacing a plaintext credentials file by a new text atomically, with no copy of the old one
left behind: a temporary file in the same folder, fsync, rename over the old, fsync the folder.

It never renames the old file aside (that copy would be the plaintext backup we must not leave),
and follows a symbolic link to the real file (a dotfiles checkout), so that the secrets leave
the file that holds them, not only the link.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import stat
import tempfile
from pathlib import Path

from awsafe.errors import ConfigError

TEMP_SUFFIX = ".awsafe-tmp"


@dataclasses.dataclass(frozen=True)
class PlaintextFile:
    """The file as read: where it really is (links followed), its bytes, and its mode bits."""

    path: Path
    data: bytes = dataclasses.field(repr=False)
    mode: int


def read_plaintext_file(path: Path) -> PlaintextFile:
    """The credentials file at ``path`` (a link is followed); ConfigError if it cannot be read."""
    try:
        real = path.resolve(strict=True)
        with open(real, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError(f"{path}: not a regular file")
            data = handle.read()
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: no such file", hint="give the credentials file's path") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror})") from e
    return PlaintextFile(real, data, stat.S_IMODE(info.st_mode))


def replace_plaintext_file(original: PlaintextFile, text: bytes) -> None:
    """Put ``text`` in place of ``original``'s file, keeping its mode; refuse (leaving it as it
    was) when the file changed since it was read, so that no edit made meanwhile is lost."""
    path = original.path
    folder = path.parent
    try:
        if path.read_bytes() != original.data:
            raise ConfigError(f"{path}: changed while awsafe was moving its keys; left as it was")
        _remove_stale(folder, path.name)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    except OSError as e:
        raise ConfigError(f"{path}: cannot rewrite it ({e.strerror}); left as it was") from e
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), original.mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as e:
        _remove_quietly(temporary)  # holds no secret: only the text without them
        raise ConfigError(f"{path}: cannot rewrite it ({e.strerror}); left as it was") from e
    _sync_folder(folder)


def _remove_stale(folder: Path, name: str) -> None:
    """Temporary files an earlier run left when it was killed before its rename (they hold
    the text without the secrets, so nothing is lost with them)."""
    for stale in folder.glob(f".{glob.escape(name)}.*{TEMP_SUFFIX}"):
        _remove_quietly(str(stale))


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder is: a crash before this may bring back the old
    # file, whose keys are also in the vault by then (never neither).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
