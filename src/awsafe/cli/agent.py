"""`awsafe agent start | stop | status | run`: unlock the vault once and serve temporary
credentials to this user's awsafe clients on a Unix socket (docs/commands/agent.md)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import signal
import sys
import time
from typing import Any

from awsafe.agent.launch import (
    acquire_pid_lock,
    bind_listener,
    detach,
    open_agent_log,
    read_agent_pid,
    remove_stale_socket,
    scrub_environ_block,
    serve,
)
from awsafe.agent.lifetime import Lifetime, resolve_limits
from awsafe.agentlink.client import ask_agent, connect_agent
from awsafe.agentlink.place import AgentPlace, ensure_agent_directory, read_agent_place
from awsafe.agentlink.protocol import MAX_REPLY, Conversation, ProtocolError, peer_credentials_supported
from awsafe.durations import parse_whole_number
from awsafe.environment import Environment
from awsafe.errors import ServerError, UsageError
from awsafe.process_guard import PASSPHRASE_VARIABLES, STORE_PASSPHRASE_VARIABLES, make_undumpable
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import GlobalOptions

NOT_RUNNING = 3  # `agent status` when no agent answers, as `systemctl status` does
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
START_RACE_WAIT = 5.0
MAX_PASSPHRASE = 4096


@dataclasses.dataclass(frozen=True)
class AgentOptions:
    """What `agent ACTION` was asked: the action; for start and run, the limits given as flags
    (their variables are read in validate) and the passphrase descriptor; for status, whether
    to name the profiles served."""

    action: str
    idle: str | None = None
    lifetime: str | None = None
    passphrase_fd: int | None = None
    profiles: bool = False
    tail: tuple[str, ...] = ()  # words after '--': the agent runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> AgentOptions:
        return cls(
            action=args.agent_action,
            idle=getattr(args, "idle", None),
            lifetime=getattr(args, "lifetime", None),
            passphrase_fd=getattr(args, "passphrase_fd", None),
            profiles=bool(getattr(args, "profiles", False)),
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError(f"agent {self.action} takes no command")
        if self.action in ("start", "run"):
            self.limits(env)  # a bad --idle, --lifetime or variable stops us before the unlock

    def limits(self, env: Environment) -> tuple[dt.timedelta, dt.timedelta]:
        """The idle timeout and maximum lifetime: the flags, else the variables, else 1 h, 12 h."""
        return resolve_limits(self.idle, self.lifetime, env.environ)


def configure(parser: argparse.ArgumentParser, global_flags: Any) -> None:
    actions = parser.add_subparsers(dest="agent_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        global_flags(sub)
        return sub

    for name, help_text in (
        ("start", "Unlock the vault and start an agent in the background"),
        ("run", "Unlock the vault and serve in the foreground (for systemd or launchd)"),
    ):
        sub = action(name, help_text)
        sub.add_argument(
            "--idle",
            metavar="DURATION",
            help="exit after this long unused (default 1h; env AWSAFE_AGENT_IDLE)",
        )
        sub.add_argument(
            "--lifetime",
            metavar="DURATION",
            help="exit after this long in any case (default 12h; env AWSAFE_AGENT_LIFETIME)",
        )
        sub.add_argument(
            "--passphrase-fd",
            metavar="FD",
            type=lambda text: parse_whole_number(text, "--passphrase-fd", 0, 65535),
            help="read the file vault's passphrase from this inherited file descriptor",
        )
        sub.set_defaults(run=run)
    action("stop", "Stop the running agent").set_defaults(run=run)
    status = action("status", "Tell whether an agent runs, and for how long it will")
    status.add_argument("--profiles", action="store_true", help="also list the profiles it served")
    status.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    agent_options = AgentOptions.from_args(args, tail, env)
    agent_options.validate(env, options)
    work = {"start": start_agent, "run": run_agent, "stop": stop_agent, "status": show_status}
    return work[agent_options.action](agent_options, options, env)


def _place(env: Environment) -> AgentPlace:
    return read_agent_place(env.environ, str(env.home))


# -- start and run ------------------------------------------------------------------------------


def _read_passphrase(fd: int) -> str:
    data = b""
    try:
        while len(data) <= MAX_PASSPHRASE and (chunk := os.read(fd, 1024)):
            data += chunk
    except OSError as error:
        raise UsageError(f"--passphrase-fd {fd}: cannot read it ({error.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_PASSPHRASE:
        raise UsageError(f"--passphrase-fd {fd}: longer than {MAX_PASSPHRASE} bytes")
    return data.decode("utf-8", "replace").removesuffix("\n")


def _unlock(options: GlobalOptions, env: Environment, passphrase_fd: int | None) -> tuple[Engine, str]:
    """The engine with its vault open and unlocked now; then the passphrase is forgotten."""
    environ = dict(env.environ)
    if passphrase_fd is not None:
        environ[PASSPHRASE_VARIABLES[0]] = _read_passphrase(passphrase_fd)
    agent_env = Environment(environ, env.stdin, env.stdout, env.stderr, env.home, env.clock)
    engine = Engine(options, agent_env, ask_agent=False)  # it is the agent: never ask one
    try:
        store = engine.store
        unlock = getattr(store, "unlock", None)
        if callable(unlock):
            unlock()  # the file vault derives its keys now, at the prompt, not at the first request
        else:
            store.keys()  # a keychain: opening it is its unlock
    finally:
        # the vault's passphrase source reads this very dict
        for name in (*PASSPHRASE_VARIABLES, *STORE_PASSPHRASE_VARIABLES):
            environ.pop(name, None)
            if isinstance(env.environ, dict):
                env.environ.pop(name, None)
    return engine, store.name


def _running(place: AgentPlace) -> dict[str, Any] | None:
    reply = ask_agent(place, {"op": "status", "profiles": False})
    return reply if reply is not None and reply.get("op") == "status" else None


def _other_version(place: AgentPlace) -> bool:
    """Whether the agent at ``place`` answers, but speaks another protocol version."""
    sock = connect_agent(place)
    if sock is None:
        return False
    try:
        talk = Conversation(sock, receive_limit=MAX_REPLY, send_limit=MAX_REPLY)
        # It may have answered and closed first: its reply is still there to read.
        with contextlib.suppress(ProtocolError):
            talk.send({"op": "status"})
        try:
            talk.receive(2.0)
        except ProtocolError as error:
            return error.code == "version"
        return False
    finally:
        sock.close()


def _owned_by_us(pid: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.geteuid()
    except OSError:
        return False


def _wait_unlocked(place: AgentPlace, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while True:
        fd = acquire_pid_lock(place)
        if fd is not None or time.monotonic() > deadline:
            return fd
        time.sleep(0.05)


def _take_place(place: AgentPlace, env: Environment, *, foreground: bool) -> int | None:
    """The locked pid file, an agent of another version replaced; None when ours runs already."""
    fd = acquire_pid_lock(place)
    if fd is not None:
        return fd
    status = _running(place)
    deadline = time.monotonic() + START_RACE_WAIT
    while status is None and read_agent_pid(place) is None and time.monotonic() < deadline:
        time.sleep(0.1)  # another `agent start` holds the lock while it unlocks: let it finish
        status = _running(place)
    if status is not None:
        if foreground:
            raise ServerError(f"an agent runs already on {place.socket} (pid {status.get('pid')})")
        env.stderr.write(
            f"awsafe: an agent is running already (pid {status.get('pid')}, socket {place.socket})\n"
        )
        return None
    pid = read_agent_pid(place)
    if pid is not None and _other_version(place) and _owned_by_us(pid):
        os.kill(pid, signal.SIGTERM)  # the old agent cannot be trusted to understand a stop
        fd = _wait_unlocked(place, STOP_TIMEOUT)
        if fd is not None:
            env.stderr.write(f"awsafe: replaced an agent of another version (pid {pid})\n")
            return fd
    raise ServerError(
        f"an agent holds {place.pid_file} (pid {pid}) but does not answer on {place.socket}",
        hint=f"awsafe agent stop, or end process {pid}" if pid else "awsafe agent stop",
    )


def _prepare(
    agent_options: AgentOptions, options: GlobalOptions, env: Environment, *, foreground: bool
) -> tuple[AgentPlace, Lifetime | None, Any]:
    # Before the unlock: the passphrase and the keys are in this process's memory from then on.
    if sys.platform.startswith("linux") and not make_undumpable():
        raise ServerError("cannot make the agent undumpable (prctl PR_SET_DUMPABLE)")
    place = _place(env)
    ensure_agent_directory(place)
    idle, lifetime = agent_options.limits(env)
    if not peer_credentials_supported():
        raise ServerError("this system cannot tell who connects to a Unix socket: no agent here")
    pid_fd = _take_place(place, env, foreground=foreground)
    if pid_fd is None:
        return place, None, None
    try:
        engine, backend = _unlock(options, env, agent_options.passphrase_fd)
        scrub_environ_block((*PASSPHRASE_VARIABLES, *STORE_PASSPHRASE_VARIABLES))
        remove_stale_socket(place)
        listener = bind_listener(place)
    except BaseException:
        os.close(pid_fd)
        raise
    return place, Lifetime(idle, lifetime), (engine, backend, listener, pid_fd)


def _on_signals(lifetime: Lifetime) -> None:
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda signum, _frame: lifetime.stop(f"signal {signal.Signals(signum).name}"))


def start_agent(agent_options: AgentOptions, options: GlobalOptions, env: Environment) -> int:
    """`agent start`: unlock here, then serve in a detached process; 0 also when one runs."""
    place, lifetime, parts = _prepare(agent_options, options, env, foreground=False)
    if lifetime is None:
        return 0
    engine, backend, listener, pid_fd = parts
    in_agent, value = detach(READY_TIMEOUT)
    if not in_agent:
        listener.close()
        os.close(pid_fd)
        if not value:
            raise ServerError("the agent did not start", hint=f"see {place.log_file}")
        env.stderr.write(f"awsafe: agent started (pid {value}, socket {place.socket})\n")
        return 0
    code = 1
    try:
        open_agent_log(place, echo=False)
        _on_signals(lifetime)

        def ready() -> None:
            os.write(value, str(os.getpid()).encode())
            os.close(value)

        serve(engine, backend, lifetime, listener, place, pid_fd, ready)
        code = 0
    except BaseException as error:  # nobody sees the agent's stderr: its log says what ended it
        logging.getLogger("awsafe.agent").error("the agent failed: %s", type(error).__name__)
    finally:
        logging.shutdown()
        os._exit(code)  # the agent never returns into the caller's command


def run_agent(agent_options: AgentOptions, options: GlobalOptions, env: Environment) -> int:
    """`agent run`: unlock and serve in this process until stopped (systemd, launchd)."""
    place, lifetime, parts = _prepare(agent_options, options, env, foreground=True)
    assert lifetime is not None  # foreground: a running agent is an error, raised above
    engine, backend, listener, pid_fd = parts
    open_agent_log(place, echo=True)
    _on_signals(lifetime)
    serve(engine, backend, lifetime, listener, place, pid_fd, lambda: None)
    return 0


# -- stop and status ---------------------------------------------------------------------------


def _holds_lock(place: AgentPlace) -> bool:
    import fcntl

    try:
        fd = os.open(place.pid_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def stop_agent(agent_options: AgentOptions, options: GlobalOptions, env: Environment) -> int:
    """`agent stop`: ask the agent to stop and wait until its socket and lock are gone."""
    place = _place(env)
    reply = ask_agent(place, {"op": "stop"})
    if reply is None or reply.get("op") != "stopping":
        env.stderr.write("awsafe: no agent running\n")
        return 0
    deadline = time.monotonic() + STOP_TIMEOUT
    while _holds_lock(place) or os.path.lexists(place.socket):
        if time.monotonic() > deadline:
            raise ServerError(f"the agent (pid {reply.get('pid', '?')}) did not stop in {STOP_TIMEOUT:g}s")
        time.sleep(0.02)
    env.stderr.write("awsafe: agent stopped\n")
    return 0


def _seconds(value: object) -> str:
    """``11h59m5s``, ``4m``, ``0s``: a status figure, rounded to the second."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return "?"
    hours, rest = divmod(value, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n)
    return text or "0s"


def show_status(agent_options: AgentOptions, options: GlobalOptions, env: Environment) -> int:
    """`agent status`: running or not (exit NOT_RUNNING), and its figures; never a secret."""
    place = _place(env)
    reply = ask_agent(place, {"op": "status", "profiles": agent_options.profiles})
    if reply is None or reply.get("op") != "status":
        env.stdout.write(f"agent: not running (socket {place.socket})\n")
        return NOT_RUNNING
    lines = [
        "agent: running",
        f"pid: {reply.get('pid')}",
        f"socket: {place.socket}",
        f"backend: {reply.get('backend')}",
        f"version: {reply.get('version')}",
        f"started: {reply.get('started')}",
        f"uptime: {_seconds(reply.get('uptime'))}",
        f"idle time left: {_seconds(reply.get('idle_left'))}",
        f"lifetime left: {_seconds(reply.get('lifetime_left'))}",
    ]
    if reply.get("answers_timed"):
        lines.append(
            f"answer time ({reply['answers_timed']} recent answers): p50 {reply.get('answer_ms_p50')} ms, "
            f"p99 {reply.get('answer_ms_p99')} ms"
        )
    lines.append(f"sessions: {reply.get('sessions')}")
    if agent_options.profiles:
        lines.append("profiles: " + ", ".join(str(name) for name in reply.get("profiles") or []))
    env.stdout.write("".join(line + "\n" for line in lines))
    return 0
