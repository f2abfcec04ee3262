"""Wiring of the agent's clients: ask a running agent first, the AgentProvider endpoints refresh
through, and the auto-start after a passphrase typed at a terminal.

Asking never makes a command fail because of the agent: no agent, a stale socket, a dead,
hung or foreign agent, a decline or a bug in it all mean "serve yourself" (``--debug`` says
why). Only an answer the agent gives as an AwsafeError (a config error, AccessDenied from STS,
an MFA code refused) is the command's own error, as it would have been without the agent.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from awsafe.credentials.provider import Provider
from awsafe.environment import Environment
from awsafe.errors import (
    AwsafeError,
    AwsError,
    ConfigError,
    LoginError,
    MfaError,
    NoCredentialsError,
    PromptError,
    ServerError,
    StoreError,
    UsageError,
)
from awsafe.model import Credentials
from awsafe.wiring.mfa import mfa_codes
from awsafe.wiring.options import CredentialRequest, GlobalOptions
from awsafe.wiring.vault import Unlock

if TYPE_CHECKING:
    from awsafe.agentlink.place import AgentPlace

log = logging.getLogger(__name__)

MODES = ("auto", "on", "off")
START_WAIT = 30.0  # `agent start` unlocks the vault (scrypt) before it says it is ready
_ERRORS: dict[int, type[AwsafeError]] = {
    cls.exit_code: cls
    for cls in (UsageError, ConfigError, StoreError, NoCredentialsError, MfaError, AwsError)
    + (ServerError, PromptError, LoginError)
}


def agent_mode(env: Environment) -> str:
    """AWSAFE_AGENT: ``auto`` (default: ask a running agent; start one after a terminal unlock of
    the file vault), ``on`` (start one after any unlock), ``off`` (never ask, never start)."""
    mode = (env.get("AWSAFE_AGENT") or "auto").strip().lower()
    if mode not in MODES:
        raise UsageError(f"AWSAFE_AGENT must be auto, on or off, got {mode!r}")
    return mode


class Served:
    """Credentials an agent answered with."""

    __slots__ = ("credentials", "region", "session_duration")

    def __init__(self, credentials: Credentials, region: str | None, session_duration: int | None) -> None:
        self.credentials = credentials
        self.region = region
        self.session_duration = session_duration


def ask_agent_for(
    op: str,
    options: GlobalOptions,
    env: Environment,
    request: CredentialRequest,
    *,
    interactive: bool = True,
) -> Served | None:
    """Ask a running agent for ``request``'s credentials (op ``credentials`` or ``console``).

    None: no agent answered with credentials; serve yourself. Raises the AwsafeError the agent
    answered with, or the one this client's own MFA source raised for a relayed prompt.
    """
    if agent_mode(env) == "off":
        log.debug("agent: not asked (AWSAFE_AGENT=off)")
        return None
    from awsafe.agentlink.request import parse_served, render_request, resolve_vault_identity

    place = agent_socket(env)
    if place is None:
        return None
    message = render_request(
        op,
        {
            "profile": request.profile,
            "region": request.region,
            "duration": request.duration,
            "no_session": request.no_session,
            "server_running": request.server_running,
            "sso_no_browser": request.sso_no_browser,
        },
        env.environ,
        env.home,
        resolve_vault_identity(
            options.backend, options.file_dir, env.environ, env.home, options.vault_flag_values
        ),
        interactive=interactive,
        prompt=options.prompt or env.get("AWSAFE_PROMPT", "AWS_VAULT_PROMPT"),
    )
    failures: list[AwsafeError] = []
    reply = _ask(place, message, env, _prompt_answerer(options, env, request, failures))
    served = parse_served(reply)
    if served is not None:
        log.debug("agent: served %r", request.profile)
        duration = reply.get("session_duration") if reply is not None else None
        return Served(*served, duration if isinstance(duration, int) else None)
    if reply is not None and reply.get("op") == "error":
        if failures:
            raise failures[-1]  # this client's own prompt failed: its own words, its own code
        error = _error_of(reply)
        if error is not None:
            raise error
        log.debug("agent: not used (an error of unknown kind)")
    return None


def _error_of(reply: dict[str, Any]) -> AwsafeError | None:
    """The AwsafeError an error frame stands for; None for a code no credential request has."""
    code, message, hint = reply.get("exit_code"), reply.get("message"), reply.get("hint")
    cls = _ERRORS.get(code) if isinstance(code, int) else None
    if cls is None or not isinstance(message, str) or not message:
        return None
    return cls(message, hint=hint if isinstance(hint, str) else None)


def _prompt_answerer(
    options: GlobalOptions, env: Environment, request: CredentialRequest, failures: list[AwsafeError]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Answer the agent's prompt frames from this client's own MFA source (its --mfa-token, the
    profile's mfa_process, its prompt driver on its own terminal)."""
    codes = mfa_codes(options, env, request)

    def on_prompt(prompt: dict[str, Any]) -> dict[str, Any]:
        profile, serial, process = prompt.get("profile"), prompt.get("serial"), prompt.get("mfa_process")
        if (
            prompt.get("kind") != "mfa"
            or not isinstance(profile, str)
            or not isinstance(serial, str)
            or not (process is None or isinstance(process, str))
        ):
            return {"op": "answer", "error": "a prompt this client cannot answer"}
        try:
            return {"op": "answer", "code": codes(profile, serial, process)}
        except AwsafeError as e:
            failures.append(e)
            return {"op": "answer", "error": e.message}

    return on_prompt


class AgentProvider:
    """A Provider that asks the agent at each retrieve (so an endpoint's refresh comes from the
    agent too), and serves itself through ``fallback`` when the agent no longer answers."""

    def __init__(
        self,
        first: Credentials,
        ask: Callable[[], Served | None],
        fallback: Callable[[], Provider],
        profile: str,
    ) -> None:
        self._first: Credentials | None = first
        self._ask = ask
        self._fallback = fallback
        self._local: Provider | None = None
        self._profile = profile

    def retrieve(self) -> Credentials:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        served = self._ask()
        if served is not None:
            return served.credentials
        log.debug("agent: no answer for %r; serving it here", self._profile)
        if self._local is None:
            self._local = self._fallback()
        return self._local.retrieve()

    def describe(self) -> str:
        return f"the agent's credentials of profile {self._profile!r}"


def agent_socket(env: Environment) -> AgentPlace | None:
    """The agent's place when a socket file is there; None (and why, for --debug) if not."""
    from awsafe.agentlink.place import read_agent_place

    place = read_agent_place(env.environ, str(env.home))
    if not os.path.lexists(place.socket):
        log.debug("agent: none running (no socket at %s)", place.socket)
        return None
    return place


def _ask(
    place: AgentPlace,
    message: dict[str, Any],
    env: Environment,
    on_prompt: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any] | None:
    from awsafe.agentlink.client import ask_agent

    def on_notice(text: str) -> None:
        if text:  # an empty notice is the agent's heartbeat while it works (agent.handlers)
            env.stderr.write(text)
            env.stderr.flush()

    # The client's reply timeout (2 s) is per frame: a working agent beats every 0.5 s.
    return ask_agent(place, message, on_prompt=on_prompt, on_notice=on_notice)


def start_agent_after_unlock(
    options: GlobalOptions, env: Environment, backend: str, unlock: Unlock | None
) -> None:
    """Start an agent after this command unlocked the vault, when AWSAFE_AGENT says so: ``auto``
    only for the file vault unlocked with a passphrase typed at the terminal (never from CI or
    cron, which give it in the environment), ``on`` after any unlock, ``off`` never.

    The passphrase goes to `awsafe agent start` on a pipe it inherits, never in its argv or
    environment. Best effort: a failure is logged for --debug and the command carries on.
    """
    try:
        mode = agent_mode(env)
    except UsageError:
        return
    if mode == "off" or (backend == "file" and unlock is None):
        return
    if mode == "auto" and not (backend == "file" and unlock is not None and unlock.typed):
        return
    from awsafe.agentlink.client import ask_agent
    from awsafe.agentlink.place import read_agent_place

    place = read_agent_place(env.environ, str(env.home))
    if ask_agent(place, {"op": "status"}) is not None:
        return  # one runs (for another vault, or it declined): leave it be
    started = _run_agent_start(options, env, unlock.passphrase if unlock is not None else None)
    if started:
        env.stderr.write("awsafe: started an agent; `awsafe agent stop` ends it\n")
        env.stderr.flush()


def _run_agent_start(options: GlobalOptions, env: Environment, passphrase: str | None) -> bool:
    import subprocess
    import sys

    from awsafe.process_guard import without_passphrase

    argv = [sys.executable, "-m", "awsafe", "agent", "start"]
    if options.backend:
        argv += ["--backend", options.backend]
    if options.file_dir:
        argv += ["--file-dir", options.file_dir]  # it starts in this directory, as relative paths need
    for name, value in options.vault_flags:
        argv += [f"--{name}", value]
    reader, writer = os.pipe()
    try:
        if passphrase is not None:
            argv += ["--passphrase-fd", str(reader)]
        child = subprocess.Popen(
            argv,
            env=without_passphrase(env.environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(reader,),
            start_new_session=True,  # Ctrl-C or a closed terminal must not take the agent along
        )
    except OSError as e:
        os.close(reader)
        os.close(writer)
        log.debug("agent: could not start one (%s)", e.strerror)
        return False
    os.close(reader)
    try:
        with contextlib.suppress(OSError):  # it exited early: its exit status says why
            os.write(writer, (passphrase or "").encode())  # far below a pipe's buffer: never blocks
    finally:
        os.close(writer)
    try:
        _, errors = child.communicate(timeout=START_WAIT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        log.debug("agent: `agent start` did not finish in %gs", START_WAIT)
        return False
    if child.returncode != 0:
        log.debug(
            "agent: `agent start` failed (exit %d): %s",
            child.returncode,
            errors.decode(errors="replace").strip(),
        )
        return False
    return True
