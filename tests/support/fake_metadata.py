"""Fakes of the machine's own credential endpoints, on 127.0.0.1: EC2's IMDSv2 (a session
token by PUT, then the role and its credentials only with that token) and an ECS/EKS
container credentials endpoint (only with the right Authorization header). Not awsafe's own
servers: these stand for what AWS runs, so awsafe's reading of them is tested independently.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading

from tests.support.background import ServedInThread, quiet_http_server

EXPIRATION = "2099-01-01T00:00:00Z"


@dataclasses.dataclass(frozen=True)
class Served:
    access_key_id: str
    secret_access_key: str
    session_token: str

    def document(self, token_field: str) -> dict[str, str]:
        return {
            "Code": "Success",
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            token_field: self.session_token,
            "Expiration": EXPIRATION,
        }


@dataclasses.dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)


class FakeImds(ServedInThread):
    """IMDSv2 only: every metadata GET without a valid session token is 401."""

    ROLE = "fake-instance-role"
    PATH = "/latest/meta-data/iam/security-credentials/"

    def __init__(self, served: Served) -> None:
        self.served = served
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self.requests: list[tuple[str, str, bool]] = []  # method, path, whether a valid token came
        self._server = quiet_http_server(self._dispatch)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._serve_in_thread("fake-imds", poll_interval=0.05)

    def _dispatch(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        with self._lock:
            valid = headers.get("x-aws-ec2-metadata-token") in self._tokens
            self.requests.append((method, path, valid))
            if method == "PUT" and path == "/latest/api/token":
                if not headers.get("x-aws-ec2-metadata-token-ttl-seconds"):
                    return _Answer(400)
                token = secrets.token_urlsafe(24)
                self._tokens.add(token)
                return _Answer(200, token.encode())
        if method != "GET":
            return _Answer(405)
        if not valid:
            return _Answer(401)
        if path == self.PATH:
            return _Answer(200, self.ROLE.encode())
        if path == self.PATH + self.ROLE:
            return _Answer(200, json.dumps(self.served.document("Token")).encode(), "application/json")
        return _Answer(404)

    def credential_reads(self) -> list[bool]:
        """For each read of the role's credentials: whether it carried a valid IMDSv2 token."""
        with self._lock:
            return [valid for _, path, valid in self.requests if path == self.PATH + self.ROLE]


class FakeContainerEndpoint(ServedInThread):
    """The container agent's endpoint: credentials at ``PATH`` for the right Authorization only."""

    PATH = "/v2/credentials/fake-task"

    def __init__(self, served: Served, authorization: str) -> None:
        self.served = served
        self._authorization = authorization
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str | None]] = []  # path, Authorization header
        self._server = quiet_http_server(self._dispatch)
        self.url = f"http://127.0.0.1:{self._server.server_port}{self.PATH}"
        self._serve_in_thread("fake-container-endpoint", poll_interval=0.05)

    def _dispatch(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        with self._lock:
            self.requests.append((path, headers.get("authorization")))
        if method != "GET" or path != self.PATH:
            return _Answer(404)
        if headers.get("authorization") != self._authorization:
            return _Answer(401, b'{"Message":"Unauthorized"}', "application/json")
        return _Answer(200, json.dumps(self.served.document("Token")).encode(), "application/json")
