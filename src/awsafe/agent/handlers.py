"""The agent's answer to one `credentials` or `console` request: resolved by the one Engine for
the asking client's environment, with its prompts and notices relayed over the connection.

The boundary lives here: only temporary credentials (a session token and an expiration) ever
leave; a request whose answer would be long-term keys is declined, and the client unlocks
the vault itself. Nothing else secret is ever put in a frame: error messages are AwsafeError
messages (secret-free by rule), notices are what the CLI would print on its own stderr.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import threading
import weakref
from collections.abc import Iterator, MutableSet
from pathlib import Path
from typing import Any, Protocol

from awsafe.agent.memo import AnswerMemo
from awsafe.agentlink.protocol import PROTOCOL_VERSION, ProtocolError
from awsafe.agentlink.request import resolution_environ
from awsafe.credentials.rules import MfaCodes
from awsafe.credentials.sources import own_environment_needed
from awsafe.environment import Environment
from awsafe.errors import AwsafeError, MfaError, PromptError
from awsafe.model import Credentials, format_rfc3339, parse_rfc3339
from awsafe.vault.marked import MARKER_NAME
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import CredentialRequest
from awsafe.wiring.state import state_dir

log = logging.getLogger(__name__)

PROMPT_WAIT = 300.0  # a person fetching a phone, as the prompt drivers allow
# An empty notice this often while a request is worked on (an STS call, a wait for another
# client's fetch): a client tells a busy agent from a hung one by it (its reply timeout).
HEARTBEAT = 0.5
MAX_MESSAGE = 2000  # an error text relayed from the client: a line, not a document


class Conversation(Protocol):
    """One client connection, as the service hands it over."""

    def send(self, frame: dict[str, Any]) -> None: ...

    def receive(self, timeout: float) -> dict[str, Any]: ...


class Declined(Exception):
    """The client falls back to its own full path; ``reason`` is for its --debug output."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def answer(engine: Engine, conversation: Conversation, frame: dict[str, Any], held: MutableSet[str]) -> None:
    """Answer ``frame`` (op ``credentials`` or ``console``) on ``conversation``: prompt and
    notice frames as needed, then exactly one final frame. Never raises for an AwsafeError."""
    memo = _memo_of(engine)
    key = memo.key(frame)
    reply = memo.lookup(key, frame)
    if reply is not None:  # the same answer, from unchanged sources: no engine, no heartbeat
        held.add(str(frame["request"]["profile"]))
        _send_final(conversation, _rendered_if_asked(frame, reply))
        return
    snapshot = memo.snapshot(frame) if key is not None else None
    conversation = _Serialized(conversation)
    try:
        with _heartbeat(conversation):
            reply = _serve(engine, conversation, frame, held)
        if reply.get("op") == "credentials" and snapshot is not None:
            memo.remember(key, snapshot, frame, _expiry_of(reply), reply)
    except Declined as e:
        log.debug("declined a request: %s", e.reason)
        reply = {"op": "decline", "reason": e.reason}
    except AwsafeError as e:
        reply = {"op": "error", "exit_code": int(e.exit_code), "message": e.message, "hint": e.hint}
    _send_final(conversation, _rendered_if_asked(frame, reply))


def _rendered_if_asked(frame: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    """A credentials reply as the output the client asked for (``"render": FORMAT``, the
    fast path's `export`): exactly what `awsafe export --format FORMAT PROFILE` prints."""
    fmt = frame.get("render")
    if fmt is None or reply.get("op") != "credentials":
        return reply
    from awsafe.agentlink.request import parse_served
    from awsafe.render import FORMATS, render

    served = parse_served(reply)
    if fmt not in FORMATS or served is None:
        return {"op": "decline", "reason": "cannot render that"}
    credentials, region = served
    account_id = reply.get("account_id")
    profile = str(frame["request"]["profile"])
    text = render(str(fmt), credentials, region, profile, account_id if isinstance(account_id, str) else None)
    return {"op": "rendered", "text": text}


def _send_final(conversation: Conversation, reply: dict[str, Any]) -> None:
    try:
        conversation.send({"v": PROTOCOL_VERSION, **reply})
    except (ProtocolError, OSError) as e:  # the client went away: nothing left to tell it
        log.debug("the client left before the answer (%s)", type(e).__name__)


_memos: weakref.WeakKeyDictionary[Engine, AnswerMemo] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def _memo_of(engine: Engine) -> AnswerMemo:
    """The engine's memo of answers (it goes with the engine when the agent forgets it)."""
    with _memos_lock:
        memo = _memos.get(engine)
        if memo is None:
            watched = [str(state_dir(engine.env) / MARKER_NAME)]
            if engine.store.name == "file" and engine.vault_identity.get("file_dir"):
                watched.append(str(engine.vault_identity["file_dir"]))
            memo = _memos[engine] = AnswerMemo(watched, engine.env.clock)
        return memo


def _expiry_of(reply: dict[str, Any]) -> dt.datetime:
    return parse_rfc3339(reply["credentials"]["Expiration"])


def _serve(
    engine: Engine, conversation: Conversation, frame: dict[str, Any], held: MutableSet[str]
) -> dict[str, Any]:
    op = frame.get("op")
    if op not in ("credentials", "console"):
        raise Declined(f"not a request this handler answers: {op!r}")
    if frame.get("vault") != engine.vault_identity:
        raise Declined("another vault (backend or file directory differ)")
    interactive = frame.get("interactive") is True
    request = parse_request(frame.get("request"))
    notices = NoticeStream(conversation, interactive)
    env = request_environment(engine, frame, notices)
    mfa = relayed_mfa(conversation, interactive)
    chain = engine.profile_chain(request, env)
    reason = own_environment_needed(chain)
    if reason is not None:  # never answered from the agent's environment: the client serves itself
        raise Declined(reason)
    try:
        if op == "console":
            served, duration = engine.local_console_credentials(request, env, mfa)
            credentials, region = served.credentials, served.region
            extra: dict[str, Any] = {
                "session_duration": None if duration is None else int(duration.total_seconds())
            }
        else:
            served = engine.local_credentials(request, env, mfa, remember=False, chain=chain)
            credentials, region = served.credentials, served.region
            extra = {"account_id": served.account_id}
    finally:
        notices.flush()
    if not credentials.is_temporary or credentials.expires_at is None:
        # THE BOUNDARY: long-term keys never cross the socket.
        raise Declined("needs long-term keys")
    held.add(request.profile)
    return {"op": "credentials", "credentials": render_credentials(credentials), "region": region, **extra}


def parse_request(value: object) -> CredentialRequest:
    """The CredentialRequest a frame carries; Declined when a field has the wrong type."""
    if not isinstance(value, dict):
        raise Declined("malformed request: no request object")
    profile = value.get("profile")
    if not isinstance(profile, str) or not profile:
        raise Declined("malformed request: no profile")
    texts = {name: value.get(name) for name in ("region", "duration")}
    flags = {name: value.get(name, False) for name in ("no_session", "server_running", "sso_no_browser")}
    if not all(v is None or isinstance(v, str) for v in texts.values()):
        raise Declined("malformed request: region and duration are text or null")
    if not all(isinstance(v, bool) for v in flags.values()):
        raise Declined("malformed request: no_session, server_running, sso_no_browser are true or false")
    # mfa_token is not taken: a code goes through the relayed prompt, asked of the client.
    return CredentialRequest(
        profile=profile,
        region=texts["region"],
        duration=texts["duration"],
        no_session=bool(flags["no_session"]),
        server_running=bool(flags["server_running"]),
        sso_no_browser=bool(flags["sso_no_browser"]),
    )


def request_environment(engine: Engine, frame: dict[str, Any], stderr: io.StringIO) -> Environment:
    """The client's environment as the engine sees it: its variables (filtered once more: no
    secret, whatever a client sent), its home, the agent's clock, no stdin, stdout discarded."""
    environ = frame.get("environ")
    home = frame.get("home")
    if not isinstance(environ, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in environ.items()
    ):
        raise Declined("malformed request: environ is an object of text values")
    if not isinstance(home, str) or not Path(home).is_absolute():
        raise Declined("malformed request: home is not an absolute path")
    return Environment(
        environ=resolution_environ(environ),
        stdin=_Silent(),
        stdout=_Silent(),
        stderr=stderr,
        home=Path(home),
        clock=engine.env.clock,
    )


def render_credentials(credentials: Credentials) -> dict[str, str]:
    assert credentials.session_token is not None and credentials.expires_at is not None
    return {
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "SessionToken": credentials.session_token,
        "Expiration": format_rfc3339(credentials.expires_at),
    }


def relayed_mfa(conversation: Conversation, interactive: bool) -> MfaCodes:
    """MFA codes asked of the client: a prompt frame, then its answer (up to PROMPT_WAIT).

    The client answers with its own source (--mfa-token, mfa_process, its prompt driver on its
    own terminal), so a code is asked exactly where it would be without the agent. A request
    that may not prompt (the fast path's) is declined instead.
    """

    def ask(profile: str, serial: str, process: str | None) -> str:
        from awsafe.prompts.mfa import parse_mfa_code

        if not interactive:
            raise Declined("needs an MFA code and the client asked without prompts")
        frame = {"op": "prompt", "kind": "mfa", "profile": profile, "serial": serial, "mfa_process": process}
        try:
            conversation.send({"v": PROTOCOL_VERSION, **frame})
            reply = conversation.receive(PROMPT_WAIT)
        except (ProtocolError, OSError) as e:
            raise PromptError(
                f"the client asking for profile {profile!r} left before giving an MFA code"
            ) from e
        if reply.get("op") != "answer":
            raise PromptError(f"the client asking for profile {profile!r} did not answer the MFA prompt")
        error = reply.get("error")
        if isinstance(error, str):
            raise MfaError(error[:MAX_MESSAGE])
        code = reply.get("code")
        return parse_mfa_code(
            code if isinstance(code, str) else "", source="the client's MFA prompt", profile=profile
        )

    return ask


class NoticeStream(io.StringIO):
    """The request's stderr: each line becomes a notice frame the client prints on its stderr.

    For a request that may not prompt, any notice (SSO sign-in instructions, a wait for
    another fetch) means the client would have shown something: declined, so it takes its own
    full path and shows it there. A client gone is noticed by the MFA relay or the final send,
    not here: a lost notice is harmless.
    """

    def __init__(self, conversation: Conversation, interactive: bool) -> None:
        super().__init__()
        self._conversation = conversation
        self._interactive = interactive
        self._pending = ""
        self._gone = False

    def write(self, text: str) -> int:
        if not self._interactive:
            raise Declined("would show a notice and the client asked without prompts")
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self._send(line + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self._send(text)

    def isatty(self) -> bool:
        return False

    def _send(self, text: str) -> None:
        if self._gone:
            return
        try:
            self._conversation.send({"v": PROTOCOL_VERSION, "op": "notice", "text": text})
        except (ProtocolError, OSError):
            self._gone = True


class _Serialized:
    """A conversation whose frames go out whole although two threads send (the heartbeat)."""

    def __init__(self, inner: Conversation) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def send(self, frame: dict[str, Any]) -> None:
        with self._lock:
            self._inner.send(frame)

    def receive(self, timeout: float) -> dict[str, Any]:
        return self._inner.receive(timeout)


@contextlib.contextmanager
def _heartbeat(conversation: Conversation) -> Iterator[None]:
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT):
            try:
                conversation.send({"v": PROTOCOL_VERSION, "op": "notice", "text": ""})
            except (ProtocolError, OSError):
                return

    thread = threading.Thread(target=beat, name="awsafe-agent-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class _Silent(io.StringIO):
    """No input, and output nobody reads (stdout belongs to the client's own process)."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return False
