"""The socket layer of the local endpoints: a threaded HTTP server with tight limits and quiet logs."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
from collections.abc import Callable

from awsafe.server.routes import Request, Response

Handler = Callable[[Request], Response]
MAX_REQUEST_LINE = 8192
CLIENT_TIMEOUT_SECONDS = 5.0


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    server_version = "awsafe"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = CLIENT_TIMEOUT_SECONDS  # a slow or silent client cannot hold a thread for long

    def _serve(self) -> None:
        if len(self.requestline) > MAX_REQUEST_LINE:
            self._send(Response.error(414, "URITooLong", "request line too long"))
            return
        if self.headers.get("content-length") not in (None, "0"):
            self._send(Response.error(413, "PayloadTooLarge", "requests carry no body"))
            self.close_connection = True
            return
        request = Request(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            peer=self.client_address[0],
        )
        handle: Handler = self.server.handle  # type: ignore[attr-defined]
        self._send(handle(request))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base
        pass  # no access log: it would hold role ARNs and timing, and nothing here needs it


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], handle: Handler, family: socket.AddressFamily) -> None:
        self.address_family = family
        self.handle = handle
        super().__init__(address, _RequestHandler)


class LocalServer:
    """Serve ``handle`` on ``host`` (loopback by default) at a random port, on a daemon thread."""

    def __init__(self, handle: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._server = _Server((host, port), handle, family)
        self._thread = threading.Thread(target=self._server.serve_forever, name="awsafe-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
