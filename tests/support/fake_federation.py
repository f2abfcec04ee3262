"""A fake AWS console federation endpoint (``https://signin.aws.amazon.com/federation``; what it
expects: docs/commands/login.md#the-sign-in-token).

It runs on 127.0.0.1:<ephemeral> and checks what it is sent against a moto server::

    with FakeFederation(moto.url, moto_calls=moto.calls) as fake:
        monkeypatch.setenv(...)  # fake.env(): AWSAFE_FEDERATION_ENDPOINT

* ``getSigninToken`` (a POST form, or the old API's GET query): ``Session`` must be JSON with
  ``sessionId``/``sessionKey``/``sessionToken``; long-term keys (no token, or an ``AKIA`` key id)
  are refused; ``SessionDuration``, if sent, must be an integer 900..43200 and must not come with
  credentials the test declared chained (``chained_keys``). The credentials must have been
  issued by moto: GetCallerIdentity at ``sts_endpoint``, signed with them, must name an
  ``assumed-role/`` or ``federated-user/`` ARN. moto (5.x) answers GetFederationToken with fixed
  example credentials (an ``AKIA...`` key id that GetCallerIdentity resolves to its default
  ``user/moto``), so those are recognised by value instead and accepted only if moto's recorder
  (``moto_calls``) saw a GetFederationToken call; the ARN recorded is then
  ``federated-user/<Name of the latest such call>``.
* ``login``: a sign-in token this fake issued redirects (302) to ``Destination``.

Every request is recorded as a :class:`FederationCall`. Errors are HTTP 400 with a short plain
text body, as AWS answers. Note that the GetCallerIdentity check reaches moto signed with the
session's own key, so moto's recorder sees it (``moto.calls("GetCallerIdentity")``); moto's
canned federation credentials are recognised without calling moto.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.background import ServedInThread, quiet_http_server

MIN_SESSION_DURATION = 900
MAX_SESSION_DURATION = 43200
MOTO_ACCOUNT_ID = "123456789012"

# moto's GetFederationToken and GetSessionToken answer every caller with these fixed credentials
# (moto/sts/responses.py); tests/integration/test_fake_federation.py pins them.
MOTO_FEDERATION_CREDENTIALS = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqT"
    "flfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9"
    "HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYv"
    "KTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
)
MOTO_SESSION_TOKEN_CREDENTIALS = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT+FvwqnKwRcOIfrRh3c/LTo6UDdyJwOOvEVPvLXCrrrUtdnniCEXAMPLE/"
    "IvU1dYUg2RVAJBanLiHb4IgRmpRV3zrkuWJOgQs8IZZaIv2BXIa2R4OlgkBN9bkUDNCJiBeb/AXlzBBko7b15fjrBs2+cTQtpZ3CYWFX"
    "G8C5zqx37wnOE49mRl/+OtkIKGO7fAE",
)

INVALID_CREDENTIALS = "Invalid credentials parameter"
_TEMPORARY_ARN_KINDS = (":assumed-role/", ":federated-user/")


@dataclass
class FederationCall:
    """One request as it reached the fake.

    ``action`` is the ``Action`` parameter (``"getSigninToken"``, ``"login"``, or whatever was
    sent); ``method`` the HTTP method. ``session`` is the parsed ``Session`` JSON (None if absent
    or not a JSON object), ``session_duration`` the parsed ``SessionDuration`` (None if absent or
    not an integer). ``arn`` is the identity the credentials resolved to. ``signin_token`` is the
    token issued (getSigninToken) or presented (login). ``outcome`` is one of ``"ok"`` (token
    issued), ``"login"`` (redirected), ``"invalid-session"``, ``"long-term-keys"``,
    ``"session-token-credentials"``, ``"unknown-credentials"``, ``"invalid-duration"``,
    ``"chained-with-duration"``, ``"sts-unreachable"``, ``"invalid-token"``,
    ``"invalid-destination"``, ``"invalid-action"``, ``"not-found"``.
    """

    action: str
    method: str
    session: dict[str, Any] | None = None
    session_duration: int | None = None
    arn: str | None = None
    outcome: str = "ok"
    signin_token: str | None = None
    issuer: str | None = None
    destination: str | None = None
    params: dict[str, str] = field(default_factory=dict)


class _Refusal(Exception):
    def __init__(self, outcome: str, message: str = INVALID_CREDENTIALS, status: int = 400) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.status = status


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def _parse_duration(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(raw)
    return int(raw)


class FakeFederation(ServedInThread):
    """The console federation endpoint on 127.0.0.1, checking credentials against moto.

    ``sts_endpoint`` is moto's base URL. ``chained_keys`` holds access key ids the test declares
    to be chained role credentials (SessionDuration with them: 400). ``moto_calls`` is moto's
    recorder (pass ``moto.calls``): it is called as ``moto_calls("GetFederationToken")`` and must
    return records with ``.params`` (and optionally ``.injected``); without it moto's canned
    GetFederationToken credentials are refused as unknown.
    """

    def __init__(
        self,
        sts_endpoint: str,
        *,
        chained_keys: Iterable[str] = (),
        moto_calls: Callable[[str], Sequence[Any]] | None = None,
        region: str = "us-east-1",
    ) -> None:
        self.sts_endpoint = sts_endpoint
        # Knobs: read on every request, so tests may change them at any time.
        self.chained_keys: set[str] = set(chained_keys)
        self.moto_calls = moto_calls
        self.region = region

        self._lock = threading.Lock()
        self._calls: list[FederationCall] = []
        self._tokens: list[str] = []
        self._valid_tokens: set[str] = set()
        self._botocore: Any = None

        self._server = quiet_http_server(self._dispatch)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.endpoint = self.url + "/federation"
        self._serve_in_thread("fake-federation", poll_interval=0.05)

    def env(self) -> dict[str, str]:
        """Environment that points awsafe's console sign-in at this fake."""
        return {"AWSAFE_FEDERATION_ENDPOINT": self.endpoint}

    # -- recorder -------------------------------------------------------------
    def calls(self, action: str | None = None) -> list[FederationCall]:
        """Recorded requests (oldest first), optionally only those of one ``Action``."""
        with self._lock:
            return [c for c in self._calls if action is None or c.action == action]

    def reset_calls(self) -> None:
        """Forget recorded calls and the list of tokens issued (issued tokens stay valid)."""
        with self._lock:
            self._calls.clear()
            self._tokens.clear()

    @property
    def tokens_issued(self) -> list[str]:
        """Every sign-in token issued since the last reset_calls(), oldest first."""
        with self._lock:
            return list(self._tokens)

    def revoke_tokens(self) -> None:
        """Every sign-in token issued so far is refused by login from now on."""
        with self._lock:
            self._valid_tokens.clear()

    # -- HTTP plumbing --------------------------------------------------------
    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Response:
        content_type = headers.get("content-type", "")
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if method == "POST" and body and "x-www-form-urlencoded" in content_type.lower():
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        call = FederationCall(action=params.get("Action", ""), method=method, params=params)
        try:
            if parts.path != "/federation":
                raise _Refusal("not-found", f"no route for {method} {parts.path}", 404)
            if call.action == "getSigninToken" and method in ("GET", "POST"):
                response = self._get_signin_token(call)
            elif call.action == "login" and method == "GET":
                response = self._login(call)
            else:
                raise _Refusal("invalid-action", "Invalid Action parameter")
        except _Refusal as refusal:
            call.outcome = refusal.outcome
            response = _Response(refusal.status, refusal.message.encode())
        # Record before answering: a test that got its answer must find the call.
        with self._lock:
            self._calls.append(call)
        return response

    # -- getSigninToken -------------------------------------------------------
    def _get_signin_token(self, call: FederationCall) -> _Response:
        params = call.params
        try:
            session = json.loads(params.get("Session", ""))
        except ValueError:
            session = None
        if not isinstance(session, dict):
            raise _Refusal("invalid-session", "Invalid Session parameter")
        call.session = session
        try:
            call.session_duration = _parse_duration(params.get("SessionDuration"))
        except ValueError:
            raise _Refusal("invalid-duration", "Invalid SessionDuration parameter") from None
        if call.session_duration is not None and not (
            MIN_SESSION_DURATION <= call.session_duration <= MAX_SESSION_DURATION
        ):
            raise _Refusal("invalid-duration", "Invalid SessionDuration parameter")
        key_id, secret, token = (session.get(k) for k in ("sessionId", "sessionKey", "sessionToken"))
        if not isinstance(key_id, str) or not key_id or not isinstance(secret, str) or not secret:
            raise _Refusal("invalid-session")
        if not isinstance(token, str) or not token:
            raise _Refusal("long-term-keys")
        triple = (key_id, secret, token)
        if triple == MOTO_FEDERATION_CREDENTIALS:
            call.arn = self._federated_user_arn()
        elif triple == MOTO_SESSION_TOKEN_CREDENTIALS:
            raise _Refusal("session-token-credentials")  # AWS: GetSessionToken credentials cannot sign in
        elif key_id.startswith("AKIA"):
            raise _Refusal("long-term-keys")
        else:
            call.arn = self._caller_arn(key_id, secret, token)
        if call.session_duration is not None and key_id in self.chained_keys:
            raise _Refusal("chained-with-duration")
        signin_token = secrets.token_urlsafe(160)
        call.signin_token = signin_token
        with self._lock:
            self._tokens.append(signin_token)
            self._valid_tokens.add(signin_token)
        return _Response(200, json.dumps({"SigninToken": signin_token}).encode(), "application/json")

    def _federated_user_arn(self) -> str:
        """``federated-user/<Name>`` of the latest GetFederationToken moto's recorder saw."""
        recorded = self.moto_calls("GetFederationToken") if self.moto_calls is not None else []
        answered = [c for c in recorded if not getattr(c, "injected", False)]
        if not answered:
            raise _Refusal("unknown-credentials")
        name = answered[-1].params.get("Name", "")
        return f"arn:aws:sts::{MOTO_ACCOUNT_ID}:federated-user/{name}"

    def _caller_arn(self, key_id: str, secret: str, token: str) -> str:
        """The ARN moto's GetCallerIdentity gives the credentials; it must be a temporary identity."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._sts_client(key_id, secret, token)
        try:
            arn = str(client.get_caller_identity()["Arn"])
        except ClientError:
            raise _Refusal("unknown-credentials") from None
        except BotoCoreError as e:
            raise _Refusal(
                "sts-unreachable", f"GetCallerIdentity at {self.sts_endpoint} failed: {e}", 500
            ) from e
        if not any(kind in arn for kind in _TEMPORARY_ARN_KINDS):
            # moto names unknown keys arn:aws:sts::<account>:user/moto; IAM users are long-term.
            raise _Refusal("unknown-credentials")
        return arn

    def _sts_client(self, key_id: str, secret: str, token: str) -> Any:
        import botocore.session
        from botocore.config import Config

        with self._lock:
            if self._botocore is None:
                session = botocore.session.Session()
                # Neither the test's AWS config files nor its profile may shape this client.
                session.set_config_variable("config_file", os.devnull)
                session.set_config_variable("credentials_file", os.devnull)
                session.set_config_variable("profile", None)
                self._botocore = session
            return self._botocore.create_client(
                "sts",
                region_name=self.region,
                endpoint_url=self.sts_endpoint,
                aws_access_key_id=key_id,
                aws_secret_access_key=secret,
                aws_session_token=token,
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )

    # -- login ------------------------------------------------------------------
    def _login(self, call: FederationCall) -> _Response:
        params: Mapping[str, str] = call.params
        call.signin_token = params.get("SigninToken")
        call.issuer = params.get("Issuer")
        call.destination = params.get("Destination")
        with self._lock:
            known = call.signin_token in self._valid_tokens
        if not known:
            raise _Refusal("invalid-token", "Invalid SigninToken parameter")
        if not call.destination or urlsplit(call.destination).scheme not in ("http", "https"):
            raise _Refusal("invalid-destination", "Invalid Destination parameter")
        call.outcome = "login"
        return _Response(302, b"", headers=[("Location", call.destination)])
