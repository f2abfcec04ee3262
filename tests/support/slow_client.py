"""A hostile local client for the loopback listeners: it connects and drips a byte every 0.5 s."""

from __future__ import annotations

import itertools
import socket
import threading
import time


class Dripper:
    """Sends one byte of a never-finished request every 0.5 s for ``seconds``, from a thread."""

    def __init__(self, port: int, seconds: float = 8.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        self.stop = threading.Event()
        self.seconds = seconds
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        deadline = time.monotonic() + self.seconds
        try:
            for byte in itertools.cycle(b"GET /oauth/callback?x"):
                if self.stop.is_set() or time.monotonic() > deadline:
                    break
                self.sock.send(bytes([byte]))
                time.sleep(0.5)
        except OSError:
            pass  # cut off by the listener: what it should do, eventually
        finally:
            self.sock.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
