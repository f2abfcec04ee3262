"""The lifecycle shared by the local servers tests run: an HTTP server served from a daemon thread."""

from __future__ import annotations

import http.server
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self


class ServedInThread:
    """Subclasses set ``_server``; ``start``/``stop`` and ``with`` run it on a daemon thread."""

    _server: http.server.HTTPServer

    def _serve_in_thread(self, name: str, poll_interval: float = 0.5) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": poll_interval}, name=name, daemon=True
        )

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
