"""The agent's process: its pid file lock (one agent per socket), a stale socket cleaned away,
the listener bound 0600, its log file, detaching after the unlock, and the clean exit.

The pid file ``agent.pid`` is opened without following links, 0600, and held with an exclusive
``flock`` for the agent's whole life: a second agent on the same socket cannot take it, and a
socket file found while holding it is stale (its agent died without cleaning up). The log,
``agent.log`` 0600 next to the socket, gets starts, stops and refusals; never a request's
content or a secret.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import select
import socket
import stat
import sys
from collections.abc import Callable

from awsafe.agent.lifetime import Lifetime
from awsafe.agent.service import AgentService
from awsafe.agentlink.place import AgentPlace
from awsafe.errors import ServerError
from awsafe.statedir import UnsafeStateError, open_private_file
from awsafe.wiring.engine import Engine

log = logging.getLogger("awsafe.agent")


def acquire_pid_lock(place: AgentPlace) -> int | None:
    """The pid file, open and locked for this process; None when another agent holds it."""
    fd = open_private_file(place.pid_file, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise ServerError(f"cannot lock {place.pid_file}: {error.strerror}") from error
    os.ftruncate(fd, 0)  # a dead agent's pid must not be taken for ours while we unlock
    return fd


def write_pid(fd: int, pid: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{pid}\n".encode(), 0)


def read_agent_pid(place: AgentPlace) -> int | None:
    """The pid written in the pid file, or None (missing, unreadable, not a number)."""
    with contextlib.suppress(OSError, UnsafeStateError, ValueError):
        fd = open_private_file(place.pid_file, os.O_RDONLY)
        with os.fdopen(fd, "rb") as handle:
            return int(handle.read(32).decode("ascii").strip())
    return None


def remove_stale_socket(place: AgentPlace) -> bool:
    """Remove a socket file left by a dead agent (call with the pid lock held); True if one was."""
    try:
        st = os.lstat(place.socket)
    except FileNotFoundError:
        return False
    if not stat.S_ISSOCK(st.st_mode):
        raise UnsafeStateError(
            f"{place.socket} is not a socket: awsafe does not remove it",
            hint="move it away, or set AWSAFE_AGENT_SOCK to another path",
        )
    os.unlink(place.socket)
    return True


def bind_listener(place: AgentPlace) -> socket.socket:
    """A listening Unix socket at ``place``, mode 0600 from the start (bound under umask 0177)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous = os.umask(0o177)
    try:
        listener.bind(place.socket)
    except OSError as error:
        listener.close()
        raise ServerError(f"cannot listen on {place.socket}: {error.strerror}") from error
    finally:
        os.umask(previous)
    os.chmod(place.socket, 0o600)  # whatever the platform made of the umask
    listener.listen(128)
    return listener


def open_agent_log(place: AgentPlace, *, echo: bool) -> None:
    """Log the agent's events to ``agent.log`` (0600, appended); ``echo``: to stderr as well."""
    fd = open_private_file(place.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    handlers: list[logging.Handler] = [logging.StreamHandler(os.fdopen(fd, "a", buffering=1))]
    if echo:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s awsafe-agent[%(process)d]: %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # not through the CLI's handlers: the agent's stderr is /dev/null


def detach(ready_timeout: float) -> tuple[bool, int]:
    """Fork twice so the agent has no terminal and no parent to wait for it; call before any thread.

    In the caller: (False, pid of the agent or 0 when it did not report ready in time). In the
    agent: (True, the fd to write one byte to once it serves; close it then).
    """
    read_end, write_end = os.pipe()
    first = os.fork()
    if first == 0:  # the middle process: a new session, then the agent, then gone
        os.close(read_end)
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        os.chdir("/")
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        return True, write_end
    os.close(write_end)
    os.waitpid(first, 0)
    ready, _, _ = select.select([read_end], [], [], ready_timeout)
    data = os.read(read_end, 16) if ready else b""
    os.close(read_end)
    return False, int(data) if data.strip().isdigit() else 0


def _dumpable() -> bool:
    """What the kernel says now (prctl PR_GET_DUMPABLE); False where there is no such thing."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return bool(ctypes.CDLL(None, use_errno=True).prctl(3, 0, 0, 0, 0) != 0)  # PR_GET_DUMPABLE
    except (OSError, AttributeError):
        return False


def serve(
    engine: Engine,
    backend: str,
    lifetime: Lifetime,
    listener: socket.socket,
    place: AgentPlace,
    pid_fd: int,
    ready: Callable[[], None],
) -> str:
    """Serve until the lifetime ends, then clean up; the reason it ended."""
    write_pid(pid_fd, os.getpid())
    lifetime.watch_socket(place.socket)
    service = AgentService(engine, lifetime, listener, backend)
    del engine  # the service holds the only reference: close() forgets it
    service.start()
    dumpable = "not dumpable" if not _dumpable() else "DUMPABLE"
    log.info("serving %s (pid %d, backend %s, %s)", place.socket, os.getpid(), backend, dumpable)
    ready()
    try:
        reason = lifetime.wait()
    except KeyboardInterrupt:
        reason = "interrupted"
    log.info("exiting: %s", reason)
    ours = lifetime.socket_is_ours()
    service.close()
    if ours:
        with contextlib.suppress(OSError):
            os.unlink(place.socket)
    with contextlib.suppress(OSError):
        os.unlink(place.pid_file)
    os.close(pid_fd)
    return reason


def scrub_environ_block(names: tuple[str, ...]) -> bool:
    """Overwrite the values of ``names`` in the process's original environment block (Linux).

    ``os.environ`` forgets the passphrase at start (process_guard), but ``/proc/PID/environ``
    shows the block the kernel copied in at exec, which a forked agent inherits and keeps for
    its whole life. True when the block was found and is now free of those values.
    """
    try:
        with open("/proc/self/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50 and 51
    except (OSError, IndexError, ValueError):
        return False
    import ctypes

    block = (ctypes.c_char * (end - start)).from_address(start)
    raw = bytes(block)
    offset = 0
    for entry in raw.split(b"\0"):
        name, _, value = entry.partition(b"=")
        if value and name.decode("utf-8", "replace") in names:
            ctypes.memset(start + offset + len(name) + 1, 0, len(value))
        offset += len(entry) + 1
    return True
