"""The one rule for awsafe's own state on disk (``~/.awsafe``, the file vault, locks, the fast path's records,
the server's token directory): directories 0700 and files 0600 whatever the umask, owned by you,
never reached through another user's symbolic link; it imports only os, stat and errors.

A state directory that is yours but open to others is tightened; one that belongs to another
user, or a link another user planted there, is refused with an ``UnsafeStateError``: whoever
controls it could read what awsafe writes, swap what it reads, or point a file awsafe creates
or truncates somewhere else. Files are opened with ``O_NOFOLLOW``, and created with ``O_EXCL``
where a fresh file is meant, so a planted link is never followed.
"""

from __future__ import annotations

import os
import stat

from awsafe.errors import StoreError

_POSIX = os.name == "posix"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a planted FIFO must not hang a read


class UnsafeStateError(StoreError):
    """A state path another user controls or could control: refused, never used."""


def _trusted(uid: int) -> bool:
    euid = os.geteuid()
    if uid == euid:
        return True
    # `sudo -E awsafe server ...` (docs/commands/server.md) runs as root with the user's HOME:
    # root may use the state of the user who ran sudo, and nobody else's.
    return euid == 0 and os.environ.get("SUDO_UID", "") == str(uid)


def _foreign(path: str, what: str, uid: int) -> UnsafeStateError:
    return UnsafeStateError(
        f"{path} {what} belongs to uid {uid}, not to you (uid {os.geteuid()}): awsafe does not use "
        "state another user controls",
        hint=f"remove it (awsafe makes a new one), or if it is yours: chown {os.geteuid()} {path}",
    )


def _shared(path: str) -> UnsafeStateError:
    return UnsafeStateError(
        f"{path} is a shared directory (sticky and writable by everyone): awsafe keeps its state "
        "and vault only in a directory of your own",
        hint=f"use a directory inside it instead, e.g. {os.path.join(path, 'awsafe-' + str(os.geteuid()))}",
    )


def _is_link(path: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _create_missing(path: str) -> None:
    """Create the missing directories of ``path``, each exactly 0700; existing ones untouched."""
    missing = []
    current = path
    while not os.path.lexists(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    if missing:
        _refuse_foreign_link(current)  # what the new directories would be made through
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue  # made meanwhile by another process: checked like any existing one
        os.chmod(directory, 0o700)  # the umask may have taken bits away; never adds any


def create_private_dirs(path: str | os.PathLike[str]) -> None:
    """Create the missing directories of ``path`` 0700 whatever the umask; existing ones, which
    may be the user's own choice (``~/.aws``), are left as they are."""
    path = os.fspath(path)
    if not _POSIX:  # pragma: no cover - modes and owners mean little on Windows
        os.makedirs(path, exist_ok=True)
        return
    _create_missing(path)


def _refuse_foreign_link(path: str) -> None:
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode) and not _trusted(st.st_uid):
        raise UnsafeStateError(
            f"{path} is a symbolic link made by uid {st.st_uid}, not by you: awsafe does not follow it",
            hint="remove the link; awsafe makes a private directory in its place",
        )


def _open_directory(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        if not _is_link(path):
            raise  # missing, not a directory, or no access: the caller says which path
        _refuse_foreign_link(path)
        return os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)  # your own link: its target is checked


def check_private_dir(path: str | os.PathLike[str], *, tighten: int = 0o077) -> bool:
    """False when ``path`` does not exist; True when it is a directory of yours, the ``tighten``
    bits now off (a reader passes 0o022: only write access lets others swap what it reads);
    UnsafeStateError when it belongs to someone else or is another user's link."""
    path = os.fspath(path)
    if not _POSIX:  # pragma: no cover
        return os.path.isdir(path)
    try:
        fd = _open_directory(path)
    except FileNotFoundError:
        return False
    try:
        st = os.fstat(fd)
        if not _trusted(st.st_uid):
            raise _foreign(path, "(a directory)", st.st_uid)
        if st.st_mode & stat.S_ISVTX and st.st_mode & stat.S_IWOTH:
            raise _shared(path)  # /tmp and the like: never "tightened" (root would lock out all)
        if st.st_mode & tighten:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & ~tighten)  # ours, but open to others
    finally:
        os.close(fd)
    return True


def ensure_private_dir(path: str | os.PathLike[str]) -> None:
    """Make ``path`` a private directory of yours: created 0700 (with its missing parents) or
    checked and tightened by :func:`check_private_dir`. Raises OSError or UnsafeStateError."""
    path = os.fspath(path)
    if not _POSIX:  # pragma: no cover
        os.makedirs(path, exist_ok=True)
        return
    _create_missing(path)
    if not check_private_dir(path):
        raise FileNotFoundError(f"{path} vanished while it was being made")


def open_private_file(path: str | os.PathLike[str], flags: int) -> int:
    """``os.open`` for awsafe's own files: never through a symbolic link, created 0600 whatever
    the umask, and only a regular file of yours (an existing one open to others is tightened).
    Pass ``O_CREAT | O_EXCL`` where a fresh file is meant. Raises OSError or UnsafeStateError."""
    path = os.fspath(path)
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC | _NONBLOCK, 0o600)
    except FileExistsError:
        raise  # O_EXCL: whatever is there, link or not, the caller decides
    except OSError:
        if _is_link(path):
            raise UnsafeStateError(
                f"{path} is a symbolic link: awsafe does not follow links in its state",
                hint="remove it; awsafe makes the file again",
            ) from None
        raise
    if not _POSIX:  # pragma: no cover
        return fd
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeStateError(f"{path} is not a regular file", hint="move it away")
        if not _trusted(st.st_uid):
            raise _foreign(path, "(a file)", st.st_uid)
        if stat.S_IMODE(st.st_mode) != 0o600:
            os.fchmod(fd, 0o600)  # created under a umask that took bits, or loosened by hand
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_private_file(path: str | os.PathLike[str]) -> bytes | None:
    """The bytes of one of awsafe's files, or None when it does not exist (see open_private_file)."""
    try:
        fd = open_private_file(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read()
