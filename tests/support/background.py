"""The lifecycle shared by the local servers tests run: an HTTP server served from a daemon thread."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

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


class Answer(Protocol):
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]]


# (method, target, headers with lower-case names, body) -> the answer
Dispatch = Callable[[str, str, dict[str, str], bytes], Answer]


def quiet_http_server(
    dispatch: Dispatch, extra_headers: Callable[[], Sequence[tuple[str, str]]] = lambda: ()
) -> http.server.ThreadingHTTPServer:
    """An HTTP/1.1 (keep-alive, as botocore's pool expects) server on 127.0.0.1:<ephemeral> that hands
    every request to ``dispatch``; no access log."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = dispatch(self.command, self.path, headers, body)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in [*extra_headers(), *answer.headers]:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False  # stop() must not wait for idle keep-alive connections
    return server
