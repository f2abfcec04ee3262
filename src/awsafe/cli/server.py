"""`awsafe server`: a standalone ECS credential endpoint for other shells and containers."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import tempfile
import threading

from awsafe.cli.execute import credential_request, refuse_nesting
from awsafe.cli.serve import start_ecs_endpoint
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.server.routes import is_loopback
from awsafe.wiring import GlobalOptions, build_provider, resolve_profile_chain


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else is reachable "
        "from other hosts: the token is then the only guard)",
    )
    parser.add_argument("--lazy", action="store_true", help="fetch credentials on the first request")
    parser.add_argument("--imds", action="store_true", help="serve the EC2 metadata protocol (not yet)")
    parser.add_argument("-d", "--duration", metavar="DURATION", help="duration of the session or role")
    parser.add_argument("--region", metavar="REGION", help="the AWS region")
    parser.add_argument("-t", "--mfa-token", metavar="CODE", help="the MFA code for the first fetch")
    parser.set_defaults(run=run, no_session=False)


def _write_token_file(token: str) -> str:
    directory = tempfile.mkdtemp(prefix="awsafe-server-")  # 0700
    path = os.path.join(directory, "token")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token)
    return path


def _remove_token_file(path: str) -> None:
    for remove, target in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
        with contextlib.suppress(OSError):
            remove(target)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    if tail:
        raise UsageError("server takes no command; to run one, use: awsafe exec --ecs-server PROFILE -- CMD")
    if args.imds:
        raise UsageError("the EC2 metadata (IMDS) endpoint is not implemented yet; serve the ECS protocol")
    refuse_nesting(env)
    if not is_loopback(args.address):
        env.stderr.write(
            f"awsafe: WARNING: listening on {args.address}: other hosts can reach this endpoint; "
            "only the token protects the credentials\n"
        )
    request = credential_request(args, env, server_running=True)
    chain = resolve_profile_chain(env, request)
    provider = build_provider(options, env, chain, request)
    endpoint = start_ecs_endpoint(env, provider, chain[0], host=args.address, lazy=args.lazy)
    token_file = _write_token_file(endpoint.token)
    stop = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        env.stdout.write(
            f"AWS_CONTAINER_CREDENTIALS_FULL_URI={endpoint.uri}\n"
            f"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={token_file}\n"
        )
        env.stdout.flush()
        env.stderr.write(f"awsafe: serving credentials of {request.profile!r} until interrupted (Ctrl-C)\n")
        env.stderr.flush()
        stop.wait()
    finally:
        endpoint.stop()
        _remove_token_file(token_file)
        for number, handler in previous.items():
            signal.signal(number, handler)
    env.stderr.write("awsafe: server stopped\n")
    return ExitCode.OK
