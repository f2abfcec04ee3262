"""The fast path in the CLI: serve a plain `export` or `exec` from the session cache, else decline.

SDKs start `awsafe export --format json` for every process, so a cache hit must cost little
more than starting Python. This reads the plain argv forms itself, finds the session through
the fast path record (``awsafe.credentials.fastpath``) and prints it or starts the command;
anything unusual (other flags, no record, a prompt needed, an expiring or unreadable session,
any error) returns None and the full CLI runs instead: this path may only be faster, never
different. It imports no argparse, config parsing, credential chain or botocore.

A running agent is asked first (``awsafe.agentlink``), without prompts: it answers with the
session the full path would serve, or declines and this path goes on as without it.
"""

from __future__ import annotations

import os
import sys

from awsafe.render import FORMATS

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence  # collections costs the fast path too
    from typing import Any


def parse_fast_path_argv(
    argv: Sequence[str], environ: Mapping[str, str], *, at_terminal: bool = False
) -> tuple[str, str, str, list[str]] | None:
    """(command, profile, format, child argv) for the plain forms the fast path serves, else None.

    ``export [--format F] [PROFILE]`` and ``exec [PROFILE] [-- CMD ...]``; any other flag
    sends the call to the full CLI, and so does no profile at all ``at_terminal`` (stdin and
    stderr a terminal), where the full path offers its profile picker.
    """
    if not argv or argv[0] not in ("export", "exec"):
        return None
    command, rest = argv[0], list(argv[1:])
    child: list[str] = []
    if command == "exec":
        if "--" in rest:
            index = rest.index("--")
            rest, child = rest[:index], rest[index + 1 :]
        if not child:
            return None  # starting $SHELL has a notice to print: leave it to the full path
    format_name = "env"
    positional: list[str] = []
    while rest:
        word = rest.pop(0)
        if command == "export" and word == "--format" and rest:
            format_name = rest.pop(0)
        elif command == "export" and word.startswith("--format="):
            format_name = word.split("=", 1)[1]
        elif word.startswith("-"):
            return None
        else:
            positional.append(word)
    if len(positional) > 1 or format_name not in FORMATS:
        return None
    if not positional and not environ.get("AWS_PROFILE") and at_terminal:
        return None
    profile = positional[0] if positional else environ.get("AWS_PROFILE") or "default"
    return command, profile, format_name, child


def min_ttl_seconds(environ: Mapping[str, str]) -> int | None:
    """AWS_MIN_TTL in whole seconds, rounded up (never less than asked); None when invalid."""
    from awsafe.durations import parse_min_ttl
    from awsafe.errors import UsageError

    try:
        return -int(-parse_min_ttl(environ).total_seconds() // 1)
    except UsageError:
        return None  # the full path reports it


def ask_agent_without_prompts(
    profile: str, environ: Mapping[str, str], render: str | None = None
) -> dict[str, Any] | None:
    """A running agent's final reply to a plain request of ``profile`` (credentials, or with
    ``render`` the output of `export --format RENDER` ready to print, or an error that is the
    command's own), or None: no agent, it declined (it would have to prompt), or AWSAFE_AGENT
    is off or invalid (the full path reports that)."""
    if (environ.get("AWSAFE_AGENT") or "auto").strip().lower() not in ("auto", "on"):
        return None
    home = environ.get("HOME", "")
    if not os.path.isabs(home):
        return None
    from awsafe.agentlink.place import read_agent_place

    place = read_agent_place(environ, home)
    if not os.path.lexists(place.socket):
        return None  # the common case without an agent: one stat
    from awsafe.agentlink.request import render_plain_request

    message = render_plain_request(profile, environ, home)
    if render is not None:
        from awsafe.agentlink.lean import ask_agent_rendered  # no json on a hit

        return ask_agent_rendered(place, {**message, "render": render}, _ignore)
    from awsafe.agentlink.client import ask_agent

    return ask_agent(place, message, on_notice=_ignore)


def _ignore(text: str) -> None:
    """Notices to a request without prompts: the agent's heartbeat only (it declines the rest)."""


def report_agent_error(reply: dict[str, Any]) -> int | None:
    """Print the agent's error answer as the full CLI prints an AwsafeError, and return its exit
    code: the full path would meet the same error (asking again would repeat an STS call).
    None for an exit code no credential request has: then the fast path goes on without it."""
    code, message, hint = reply.get("exit_code"), reply.get("message"), reply.get("hint")
    if not isinstance(code, int) or not 2 <= code <= 10 or not isinstance(message, str) or not message:
        return None
    sys.stderr.write(f"awsafe: {message}\n")
    if isinstance(hint, str) and hint:
        sys.stderr.write(f"awsafe: {hint}\n")
    sys.stderr.flush()
    return code


def try_fast_path(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Serve the call from the cache and return its exit code (exec does not return); else None."""
    if environ.get("AWS_VAULT"):
        return None  # the full path explains why it refuses
    if environ.get("AWSAFE_DURATION") or environ.get("AWS_VAULT_DURATION"):
        return None  # a --duration by default: never a plain request (the agent would drop it)
    parsed = parse_fast_path_argv(argv, environ, at_terminal=os.isatty(0) and os.isatty(2))
    if parsed is None:
        return None
    command, profile, format_name, child = parsed
    # The agent applies the client's AWS_MIN_TTL itself (it gets the variables).
    found = None
    reply = ask_agent_without_prompts(profile, environ, format_name if command == "export" else None)
    if reply is not None and reply.get("op") == "rendered":
        sys.stdout.write(str(reply["text"]))
        sys.stdout.flush()
        return 0
    if reply is not None:
        from awsafe.agentlink.request import parse_served

        served = parse_served(reply)
        if served is not None:
            account_id = reply.get("account_id")
            found = (*served, account_id if isinstance(account_id, str) else None)
        code = report_agent_error(reply) if served is None and reply.get("op") == "error" else None
        if code is not None:
            return code
    if found is None:
        min_ttl = min_ttl_seconds(environ)
        if min_ttl is None:
            return None
        from awsafe.credentials.fastpath import read_fast_path_credentials

        found = read_fast_path_credentials(profile, environ, min_ttl)
    if found is None:
        return None
    credentials, region, account_id = found
    if command == "export":
        from awsafe.render import render

        sys.stdout.write(render(format_name, credentials, region, profile, account_id))
        sys.stdout.flush()
        return 0
    from awsafe.childenv import render_child_environment

    child_env = render_child_environment(environ, profile, credentials, region, account_id)
    try:
        os.execvpe(child[0], child, child_env)
    except OSError:
        return None  # the full path reports a missing or unrunnable command properly
    return 0  # pragma: no cover - execvpe does not return
