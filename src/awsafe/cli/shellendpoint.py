"""The per-shell ECS endpoint of `awsafe use --refresh`: a process that serves a profile's credentials
to one shell for as long as that shell lives, then ends.

The `use` process fetches the first credentials itself (any passphrase or MFA prompt happens
now, on the terminal), then forks: the child leaves the terminal's session, serves the ECS
endpoint (cli.serve, refreshing through the agent when one answers, else from the vault it
holds unlocked) and ends when the shell's process ends. Its URI and token reach the parent
on a pipe, never on argv; the parent prints them as the shell's statements and exits, so the
shell's command substitution sees end-of-file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import os
import select
import signal
import time

from awsafe.cli.serve import ECS_VARIABLES, start_ecs_endpoint
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.provider import Provider
from awsafe.environment import Environment
from awsafe.errors import ServerError, UsageError
from awsafe.model import Credentials
from awsafe.process_guard import make_undumpable

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0  # where pidfd_open is missing: how often the shell's PID is looked at


class _FirstThen:
    """The credentials the parent fetched, then the provider's (the endpoint's first fetch must not
    call STS again)."""

    def __init__(self, first: Credentials, provider: Provider) -> None:
        self._first: Credentials | None = first
        self._provider = provider

    def retrieve(self) -> Credentials:
        first, self._first = self._first, None
        return first if first is not None else self._provider.retrieve()

    def describe(self) -> str:
        return self._provider.describe()


def _open_watch(shell_pid: int) -> int | None:
    """A descriptor that becomes readable when the shell exits (no PID reuse race); None where
    the system has no pidfd (then the PID is polled)."""
    try:
        return os.pidfd_open(shell_pid)
    except ProcessLookupError as e:
        raise UsageError(f"--parent-pid {shell_pid} names no running process") from e
    except (AttributeError, OSError):
        return None


def _wait_for_exit(shell_pid: int, watch: int | None) -> None:
    if watch is not None:
        select.select([watch], [], [])
        return
    while True:
        try:
            os.kill(shell_pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass  # it exists (another user's only if the PID was reused: the poll's known limit)
        time.sleep(POLL_SECONDS)


def read_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (/proc/PID/stat field 22): with the PID, it names
    one process, not whichever later gets the same number. None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def stop_shell_endpoint(endpoint_id: str) -> None:
    """End the endpoint a former `use --refresh` of this shell started, if it is still that
    process; anything else (gone, another process now, no /proc) is left alone."""
    pid_text, _, started = endpoint_id.partition(":")
    if not (pid_text.isascii() and pid_text.isdigit() and started):
        return
    pid = int(pid_text)
    if pid > 1 and read_start_time(pid) == started:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
            log.debug("stopped the shell's former endpoint (pid %d)", pid)


def _quiet(env: Environment) -> Environment:
    return dataclasses.replace(env, stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO())


def _serve(
    env: Environment,
    provider: Provider,
    profile: ProfileConfig,
    shell_pid: int,
    watch: int | None,
    writer: int,
) -> None:
    """The child: detach from the terminal and the shell's pipe, serve, end with the shell."""
    os.setsid()  # Ctrl-C in the shell, or its job control, must not reach the endpoint
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):  # the shell's $(...) waits for its pipe (our stdout) to close
        os.dup2(null, descriptor)
    os.close(null)
    make_undumpable()
    endpoint = start_ecs_endpoint(_quiet(env), provider, profile)
    try:
        os.write(writer, json.dumps({"uri": endpoint.uri, "token": endpoint.token}).encode())
        os.close(writer)
        _wait_for_exit(shell_pid, watch)
    finally:
        endpoint.stop()


def start_shell_endpoint(
    env: Environment, provider: Provider, profile: ProfileConfig, shell_pid: int
) -> tuple[dict[str, str], str | None]:
    """Start the shell's endpoint; its variables (URI and token) and its id for a later stop."""
    watch = _open_watch(shell_pid)  # a wrong PID fails before any prompt
    try:
        first = provider.retrieve()
    except BaseException:
        if watch is not None:
            os.close(watch)
        raise
    reader, writer = os.pipe()
    env.stdout.flush()
    env.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 0
        try:
            os.close(reader)
            _serve(env, _FirstThen(first, provider), profile, shell_pid, watch, writer)
        except BaseException:  # noqa: BLE001 - the child never returns into the CLI
            code = 1
        os._exit(code)
    os.close(writer)
    if watch is not None:
        os.close(watch)
    with os.fdopen(reader, "rb") as pipe:
        answer = pipe.read(65536)
    if not answer:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        raise ServerError("the shell's credential endpoint did not start", hint="run again with --debug")
    served = json.loads(answer)
    started = read_start_time(pid)
    variables = dict(zip(ECS_VARIABLES, (served["uri"], served["token"]), strict=True))
    return variables, f"{pid}:{started}" if started else None
