"""The listening socket of a local endpoint: binding it, and accepting without ever spinning.

When the process is out of descriptors, accept() fails with EMFILE while the
client stays in the backlog, so the listener stays readable: a loop that just
returns goes round at 100% CPU (and Linux says EMFILE even when nobody waits).
A spare descriptor is kept for that moment: closed, it lets accept() take the
waiting client, and the caller's oldest idle connection makes room for a new
spare. Failing that, the listener is left unwatched for a moment.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any

from awsafe.errors import ServerError

LISTEN_BACKLOG = 1024  # bursts and floods wait in the kernel, not as dropped SYNs (1 s retransmits)
ACCEPTS_PER_TURN = 64  # a connect flood must not starve the reads
PAUSE_SECONDS = 0.05  # out of descriptors with nothing to close: look again this much later
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_GONE_BEFORE_ACCEPT = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EPERM})

Admit = Callable[[socket.socket, Any], None]


def open_listener(host: str, port: int) -> socket.socket:
    """A non-blocking listening socket on ``host`` and ``port``, or a ServerError with a hint."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.bind((host, port))
        listener.listen(LISTEN_BACKLOG)
        listener.setblocking(False)
    except OSError as e:
        listener.close()
        raise ServerError(f"cannot listen on {host} port {port}: {e.strerror}", hint=_bind_hint(e)) from e
    return listener


class Acceptor:
    """Accepts for the event loop (its thread only): ``admit`` each new connection, ``evict_one``
    to free a descriptor (whether one could be)."""

    def __init__(self, listener: socket.socket, admit: Admit, evict_one: Callable[[], bool]) -> None:
        self.listener = listener
        self._admit = admit
        self._evict_one = evict_one
        self._spare = _open_spare()
        self.paused_until = 0.0  # not watched by the selector until then
        self._selector: selectors.BaseSelector | None = None

    def watch(self, selector: selectors.BaseSelector, data: object) -> None:
        self._selector = selector
        self._data = data
        selector.register(self.listener, selectors.EVENT_READ, data)

    def resume_if_due(self, now: float) -> None:
        if self.paused_until and now >= self.paused_until and self._selector is not None:
            self.paused_until = 0.0
            self._selector.register(self.listener, selectors.EVENT_READ, self._data)

    def accept(self) -> None:
        for _ in range(ACCEPTS_PER_TURN):
            try:
                sock, peer = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in _GONE_BEFORE_ACCEPT:
                    continue
                taken = self._accept_on_spare() if e.errno in _OUT_OF_DESCRIPTORS else None
                if taken is None:
                    if e.errno not in _OUT_OF_DESCRIPTORS:
                        self._pause()  # an error we do not know: not in a tight loop either
                    return
                sock, peer = taken
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # answers leave at once
            except OSError:  # reset before we got to it
                sock.close()
                continue
            self._admit(sock, peer)

    def close(self) -> None:
        self.listener.close()
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None

    def _accept_on_spare(self) -> tuple[socket.socket, Any] | None:
        """The spare descriptor takes the waiting client, if any; an idle connection makes room
        for a new spare (none goes for nothing when nobody waits)."""
        if self._spare is None:
            self._pause()
            return None
        os.close(self._spare)
        self._spare = None
        try:
            sock, peer = self.listener.accept()
        except OSError:
            sock = None  # nobody waits after all (or the descriptor went elsewhere)
        if sock is not None and not self._evict_one():
            sock.close()  # every connection is being answered: refused, no descriptor to spare
            sock = None
        self._spare = _open_spare()
        if self._spare is None:
            self._pause()
        return None if sock is None else (sock, peer)

    def _pause(self) -> None:
        """The listener stays readable while accept() fails: watching it now would spin."""
        if self._selector is not None and not self.paused_until:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(self.listener)
        self.paused_until = time.monotonic() + PAUSE_SECONDS


def _open_spare() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None


def _bind_hint(error: OSError) -> str | None:
    if error.errno == errno.EADDRNOTAVAIL:
        return "that address is not assigned to this machine (see `ip addr`)"
    if error.errno == errno.EACCES:
        return "ports below 1024 need root or CAP_NET_BIND_SERVICE; or leave --port out for a random one"
    if error.errno == errno.EADDRINUSE:
        return "another program listens there; choose another --port, or leave it out for a random one"
    return None
