"""The agent's socket service: accept connections, check each peer's uid, read one request with
a deadline, answer status and stop itself and hand credentials and console requests to the
handlers; a bounded number of connection threads.

Nothing a client sends can stop the service: a malformed, oversized or wrong-version frame gets
an error frame and the connection is closed; a client that sends nothing is dropped after
``REQUEST_TIMEOUT``; past ``MAX_CONNECTIONS`` at once a new connection gets a "busy" error at
once. A handler's unexpected exception is logged by type only (its text could hold a secret)
and the client gets an exit-code-70 error frame, which it treats as "no agent".
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
from typing import Any

from awsafe import __version__
from awsafe.agent import handlers
from awsafe.agent.lifetime import Lifetime
from awsafe.agentlink.protocol import (
    MAX_REPLY,
    MAX_REQUEST,
    Conversation,
    ProtocolError,
    read_peer_uid,
    write_frame,
)
from awsafe.model import format_rfc3339
from awsafe.wiring.engine import Engine

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64
REQUEST_TIMEOUT = 2.0  # the first frame of a connection: a client sends it at once
SERVED_OPS = ("credentials", "console")
ANSWER_TIMES_KEPT = 10_000


def render_answer_times(seconds: list[float]) -> dict[str, Any]:
    """The median and 99th percentile, in milliseconds, of the latest answers' times (nearest
    rank), and how many there were; nothing when there were none."""
    if not seconds:
        return {}
    ranked = sorted(seconds)

    def ms(p: float) -> float:
        return round(ranked[min(len(ranked) - 1, int(p / 100 * len(ranked)))] * 1000, 3)

    return {"answers_timed": len(ranked), "answer_ms_p50": ms(50), "answer_ms_p99": ms(99)}


class AgentService:
    """One engine, its lifetime and the profiles it served, answering on ``listener``."""

    def __init__(
        self,
        engine: Engine,
        lifetime: Lifetime,
        listener: socket.socket,
        backend: str,
        *,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.engine: Engine | None = engine
        self.lifetime = lifetime
        self.listener = listener
        self.backend = backend
        # The profiles served, for status. A plain set: add, len and a list() copy are each one
        # step under CPython's GIL, which is all the handlers' threads and status need.
        self.held: set[str] = set()
        self.started = dt.datetime.now(dt.timezone.utc)
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self._accepting: threading.Thread | None = None
        # How long the latest answers took, from accept to the last byte sent (for status).
        self.answer_seconds: collections.deque[float] = collections.deque(maxlen=ANSWER_TIMES_KEPT)

    # -- the accept loop -----------------------------------------------------------------

    def start(self) -> None:
        """Accept on a thread of its own (the caller waits on the lifetime)."""
        self._accepting = threading.Thread(target=self._accept_loop, name="agent-accept", daemon=True)
        self._accepting.start()

    def close(self) -> None:
        """Stop accepting (wakes a blocked accept) and forget the engine."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.listener.close()
        if self._accepting is not None:
            self._accepting.join(timeout=2)
        self.engine = None  # the unlocked vault and cached sessions go with the last reference

    def _accept_loop(self) -> None:
        while not self.lifetime.stopping:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                if self.lifetime.stopping:
                    return
                self.lifetime.stop("its socket failed")
                return
            if not self.lifetime.socket_is_ours():
                conn.close()
                self.lifetime.stop("its socket was removed or replaced")
                return
            self._admit(conn)

    def _admit(self, conn: socket.socket) -> None:
        uid = read_peer_uid(conn)
        if uid != os.geteuid():
            log.warning("refused a connection from uid %s (the agent serves uid %d only)", uid, os.geteuid())
            conn.close()
            return
        if not self._slots.acquire(blocking=False):
            log.warning("refused a connection: %d connections are open already", self.max_connections)
            self._refuse(conn, "busy", f"the agent has {self.max_connections} connections open")
            return
        accepted = time.monotonic()
        try:
            threading.Thread(
                target=self._serve, args=(conn, accepted), name="agent-conn", daemon=True
            ).start()
        except RuntimeError:  # no thread could be started
            self._slots.release()
            conn.close()

    @staticmethod
    def _refuse(conn: socket.socket, code: str, message: str) -> None:
        with contextlib.suppress(ProtocolError):
            write_frame(conn, {"op": "error", "code": code, "message": message}, MAX_REPLY, timeout=0.2)
        conn.close()

    # -- one connection ----------------------------------------------------------------------

    def _serve(self, conn: socket.socket, accepted: float) -> None:
        try:
            with conn:
                if self._converse(Conversation(conn, receive_limit=MAX_REQUEST, send_limit=MAX_REPLY)):
                    # deque.append is one step under the GIL: no lock needed
                    self.answer_seconds.append(time.monotonic() - accepted)
        finally:
            self._slots.release()

    def _converse(self, talk: Conversation) -> bool:
        """Answer one request; True when it was a credentials or console request."""
        try:
            frame = talk.receive(REQUEST_TIMEOUT)
        except ProtocolError as error:
            log.info("dropped a request: %s", error.code)
            if error.code in ("version", "malformed", "oversize"):
                with contextlib.suppress(ProtocolError):
                    talk.send({"op": "error", "code": error.code, "message": str(error)})
            return False
        op = frame["op"]
        try:
            if op == "status":
                talk.send(self.status(bool(frame.get("profiles"))))
            elif op == "stop":
                talk.send({"op": "stopping"})
                self.lifetime.stop("asked to stop")
            elif op in SERVED_OPS:
                self._answer(talk, frame)
                return True
            else:
                talk.send({"op": "error", "code": "op", "message": f"unknown op {op[:40]!r}"})
        except ProtocolError as error:
            # The op is the client's text: logged only when it is one of ours (no forged lines).
            shown = op if op in ("status", "stop", *SERVED_OPS) else "an unknown op"
            log.info("lost a client during %s: %s", shown, error.code)
        return False

    def _answer(self, talk: Conversation, frame: dict[str, Any]) -> None:
        engine = self.engine
        if engine is None or self.lifetime.stopping:
            talk.send({"op": "decline", "reason": "the agent is stopping"})
            return
        self.lifetime.begin_use()
        try:
            handlers.answer(engine, talk, frame, self.held)
        except ProtocolError:
            raise
        except Exception as error:  # noqa: BLE001 - a bug in a handler must not stop the agent
            log.error("a %s request failed: %s (a bug)", frame["op"], type(error).__name__)
            talk.send(
                {"op": "error", "exit_code": 70, "message": f"the agent failed ({type(error).__name__})"}
            )
        finally:
            self.lifetime.end_use()

    def status(self, profiles: bool) -> dict[str, Any]:
        """What ``agent status`` shows: never a secret; profile names only when asked."""
        reply: dict[str, Any] = {
            "op": "status",
            "pid": os.getpid(),
            "backend": self.backend,
            "version": __version__,
            "started": format_rfc3339(self.started),
            "uptime": round((dt.datetime.now(dt.timezone.utc) - self.started).total_seconds()),
            "idle_left": round(self.lifetime.idle_left()),
            "lifetime_left": round(self.lifetime.lifetime_left()),
            "sessions": len(self.held),
            **render_answer_times(list(self.answer_seconds)),
        }
        if profiles:
            reply["profiles"] = sorted(list(self.held))
        return reply
