"""A real moto server on 127.0.0.1:<ephemeral> behind a signature check, a recorder and fault injection.

moto accepts nearly anything, so tests assert on what reached the endpoint:
every signed AWS request is recorded as a :class:`Call` (service, region,
action, form parameters, signing key id). Before moto sees a request, the
SigV4 verifier (tests/support/sigv4_verifier.py) checks it was signed with the
secret moto issued for its key id; a refused request is recorded with
``rejected`` set and answered as AWS would (``SignatureDoesNotMatch``,
``InvalidClientTokenId``...). ``fail_next`` answers the next N calls of an
action with an AWS query-protocol error instead of passing them to moto.
The README's test section describes the signature check for users of the suite.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from tests.support.background import ServedInThread
from tests.support.sigv4_verifier import Issued, Rejection, SigV4Verifier, WireRequest

if TYPE_CHECKING:
    pass

ACCOUNT_ID = "123456789012"  # moto's default account
ADMIN_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ADMIN_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ALLOW_ALL_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class Call:
    """One AWS request as it reached the endpoint."""

    service: str
    region: str
    action: str
    params: dict[str, str]
    access_key_id: str | None
    host: str = ""
    session_token: str | None = None
    injected: bool = False
    rejected: str | None = None  # the verifier's error code when the signature did not check out
    rejected_detail: str = ""  # why, for failure messages (never a secret)


@dataclass
class _Fault:
    action: str
    code: str
    status: int
    message: str
    remaining: int
    service: str | None = None
    when: Callable[[Call], bool] | None = None


@dataclass
class _Delay:
    action: str
    seconds: float
    remaining: int
    service: str | None = None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: list[Call] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    delays: list[_Delay] = field(default_factory=list)
    # Requests signed with this key are not recorded (the setup helpers' own IAM calls).
    unrecorded_key: str | None = None
    verifier: SigV4Verifier = field(
        default_factory=lambda: SigV4Verifier(
            Issued(ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, source="admin")
        )
    )


def _parse_authorization(header: str) -> tuple[str | None, str, str]:
    """Return (access_key_id, region, service) from a SigV4 Authorization header."""
    # AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=..., ...
    for part in header.replace(",", " ").split():
        if part.startswith("Credential="):
            scope = part[len("Credential=") :].split("/")
            if len(scope) == 5:
                return scope[0], scope[2], scope[3]
            return scope[0] or None, "", ""
    return None, "", ""


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.strip().isdigit():
        return bytes(stream.read(int(length)))
    if environ.get("wsgi.input_terminated"):  # chunked upload, werkzeug terminates the stream
        return bytes(stream.read())
    return b""


def _form_params(environ: dict[str, Any], body: bytes) -> dict[str, str]:
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    content_type = environ.get("CONTENT_TYPE", "")
    if body and (not content_type or "x-www-form-urlencoded" in content_type):
        raw = body
        if environ.get("HTTP_CONTENT_ENCODING", "") == "gzip":
            raw = gzip.decompress(raw)
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _error_xml(code: str, message: str, status: int, request_id: str) -> bytes:
    kind = "Receiver" if status >= 500 else "Sender"
    return (
        "<ErrorResponse>"
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId>"
        "</ErrorResponse>"
    ).encode()


class RecordingMiddleware:
    """WSGI middleware: record each AWS request, then inject a fault or pass it on."""

    def __init__(self, app: WSGIApp, state: _State) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        body = _read_body(environ)
        params = _form_params(environ, body)
        wire = WireRequest.from_environ(environ, body, params.get("Action", ""))  # before the rewrite below
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)

        key_id, region, service = _parse_authorization(environ.get("HTTP_AUTHORIZATION", ""))
        call = Call(
            service=service,
            region=region,
            action=params.get("Action", ""),
            params=params,
            access_key_id=key_id,
            host=environ.get("HTTP_HOST", ""),
            session_token=environ.get("HTTP_X_AMZ_SECURITY_TOKEN"),
        )
        verdict = self.state.verifier.verify(wire)
        signer = verdict if isinstance(verdict, Issued) else None
        rejection = verdict if isinstance(verdict, Rejection) else None
        if rejection is None:
            rejection = self.state.verifier.authorize(call.action, params, signer)
        with self.state.lock:
            quiet = key_id is not None and key_id == self.state.unrecorded_key
        if quiet and rejection is None:
            return self._forward(environ, start_response, call, signer)
        if rejection is not None:
            call.rejected, call.rejected_detail = rejection.code, rejection.detail
            with self.state.lock:
                self.state.calls.append(call)
            return _answer_error(
                start_response, rejection.code, rejection.message, rejection.status, "Refused"
            )
        fault = None
        delay = 0.0
        with self.state.lock:
            for f in self.state.faults:
                matches = f.when is None or f.when(call)
                if f.remaining > 0 and f.action == call.action and f.service in (None, service) and matches:
                    f.remaining -= 1
                    fault = f
                    break
            for d in self.state.delays:
                if d.remaining > 0 and d.action == call.action and d.service in (None, service):
                    d.remaining -= 1
                    delay = d.seconds
                    break
            call.injected = fault is not None
            self.state.calls.append(call)
        if delay:
            time.sleep(delay)
        if fault is None:
            return self._forward(environ, start_response, call, signer)
        return _answer_error(start_response, fault.code, fault.message, fault.status, "Injected")

    def _forward(
        self, environ: dict[str, Any], start_response: StartResponse, call: Call, signer: Issued | None
    ) -> Iterable[bytes]:
        """Pass the request to moto; learn the secrets its answer issues (or the key it deletes)."""
        answered: list[Any] = []
        chunks: list[bytes] = []

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            answered[:] = [status, headers]
            return chunks.append

        result = self.app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        payload = b"".join(chunks)
        status, headers = answered
        self.state.verifier.learn(call.action, call.params, int(status.split()[0]), payload, signer)
        start_response(status, headers)
        return [payload]


def _answer_error(
    start_response: StartResponse, code: str, message: str, status: int, reason: str
) -> Iterable[bytes]:
    request_id = str(uuid.uuid4())
    payload = _error_xml(code, message, status, request_id)
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "text/xml"),
            ("Content-Length", str(len(payload))),
            ("x-amzn-RequestId", request_id),
        ],
    )
    return [payload]


class MotoServer(ServedInThread):
    """moto's STS/IAM (and every other service) on 127.0.0.1, behind a signature check and a recorder."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )
        from werkzeug.serving import WSGIRequestHandler, make_server

        class _QuietHandler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self._state = _State()
        app = RecordingMiddleware(DomainDispatcherApplication(create_backend_app), self._state)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._serve_in_thread("moto-server")
        self._auth = False

    def _moto_api(self, path: str, body: bytes = b"") -> None:
        request = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        # An empty ProxyHandler: never route loopback through an HTTP(S)_PROXY.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            response.read()

    def reset(self) -> None:
        """Clear recorded calls, pending faults and delays, all moto state and the secrets it
        issued; turn auth off. The signature check stays on."""
        self.disable_auth()
        self._moto_api("/moto-api/reset")
        self._state.verifier.reset()
        with self._state.lock:
            self._state.calls.clear()
            self._state.faults.clear()
            self._state.delays.clear()

    # -- the signature check ---------------------------------------------
    @property
    def verifier(self) -> SigV4Verifier:
        """The SigV4 check in front of moto (always on)."""
        return self._state.verifier

    def register_credentials(
        self, access_key_id: str, secret_access_key: str, session_token: str | None = None
    ) -> None:
        """Declare a credential AWS would know but moto never issues (root keys, an outside session).

        Requests signed with it then pass the signature check; moto itself still decides what
        they may do.
        """
        self._state.verifier.register(
            Issued(access_key_id, secret_access_key, session_token, source="registered by the test")
        )

    def rejected_calls(self) -> list[Call]:
        """Calls the signature check refused (recorded, never passed to moto)."""
        return [c for c in self.calls() if c.rejected]

    @property
    def auth_enabled(self) -> bool:
        return self._auth

    def enable_auth(self) -> None:
        """moto authenticates from now on: SigV4, known keys, IAM and trust policies."""
        self._moto_api("/moto-api/reset-auth", b"0")
        self._auth = True

    def disable_auth(self) -> None:
        self._moto_api("/moto-api/reset-auth", b"inf")
        self._auth = False

    @contextlib.contextmanager
    def _setup(self) -> Iterator[None]:
        """Run setup calls with auth off and without recording them."""
        was_on = self._auth
        if was_on:
            self.disable_auth()
        with self._state.lock:
            self._state.unrecorded_key = ADMIN_ACCESS_KEY_ID
        try:
            yield
        finally:
            with self._state.lock:
                self._state.unrecorded_key = None
            if was_on:
                self.enable_auth()

    # -- recorder and faults ---------------------------------------------
    def calls(self, action: str | None = None, service: str | None = None) -> list[Call]:
        """Recorded calls (oldest first), optionally filtered by action and/or service."""
        with self._state.lock:
            return [
                c
                for c in self._state.calls
                if (action is None or c.action == action) and (service is None or c.service == service)
            ]

    def fail_next(
        self,
        action: str,
        code: str = "Throttling",
        status: int = 400,
        message: str = "Rate exceeded",
        times: int = 1,
        *,
        service: str | None = None,
        when: Callable[[Call], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls of `action` (for which ``when`` holds) with an AWS error."""
        with self._state.lock:
            self._state.faults.append(_Fault(action, code, status, message, times, service, when))

    def delay_next(self, action: str, seconds: float, times: int = 1, *, service: str | None = None) -> None:
        """Sleep `seconds` before answering the next `times` calls of `action`."""
        with self._state.lock:
            self._state.delays.append(_Delay(action, seconds, times, service))

    # -- clients and fixtures in moto -------------------------------------
    def endpoint_env(self) -> dict[str, str]:
        """Environment that points botocore and the AWS CLI (STS, IAM, ...) at this server."""
        return {"AWS_ENDPOINT_URL": self.url}

    def admin_client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for `service` on this server, signed with the dummy admin key."""
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            aws_access_key_id=kwargs.pop("aws_access_key_id", ADMIN_ACCESS_KEY_ID),
            aws_secret_access_key=kwargs.pop("aws_secret_access_key", ADMIN_SECRET_ACCESS_KEY),
            aws_session_token=kwargs.pop("aws_session_token", None),
            region_name=kwargs.pop("region_name", "us-east-1"),
        )
        # One attempt, no retry: botocore's `max_attempts` counts retries (1 = two tries, with
        # a back-off sleep), `total_max_attempts` counts tries.
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        return session.client(service, endpoint_url=self.url, config=config, **kwargs)

    def create_user_with_key(self, user_name: str) -> tuple[str, str]:
        """Create an IAM user allowed everything (so auth mode tests only trust policies).

        Returns (access_key_id, secret_access_key). Works with auth on or off; the setup
        calls are not recorded.
        """
        with self._setup():
            iam = self.admin_client("iam")
            iam.create_user(UserName=user_name)
            iam.put_user_policy(UserName=user_name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL_POLICY)
            key = iam.create_access_key(UserName=user_name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def create_role(
        self,
        role_name: str,
        trusted_principal_arn: str,
        external_id: str | None = None,
        max_session_duration: int = 3600,
        *,
        require_mfa: bool = False,
    ) -> str:
        """Create a role trusting exactly `trusted_principal_arn`, optionally requiring an
        sts:ExternalId; the role itself may do everything. Returns the role ARN.

        ``require_mfa``: the signature check refuses AssumeRole of it without MFA (moto's
        auth mode cannot check that condition for MFA sessions)."""
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"AWS": trusted_principal_arn},
            "Action": "sts:AssumeRole",
        }
        if external_id is not None:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        with self._setup():
            iam = self.admin_client("iam")
            arn: str = iam.create_role(
                RoleName=role_name,
                AssumeRolePolicyDocument=trust,
                MaxSessionDuration=max_session_duration,
            )["Role"]["Arn"]
            iam.put_role_policy(RoleName=role_name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL_POLICY)
        if require_mfa:
            self._state.verifier.require_mfa(arn)
        return arn

    @staticmethod
    def user_arn(user_name: str) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:user/{user_name}"

    @staticmethod
    def role_arn(role_name: str) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}"
