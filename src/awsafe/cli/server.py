"""`awsafe server`: a standalone ECS (or, with --imds, IMDSv2) credential endpoint for other shells.

The classic IMDS mode (what aws-vault's --ec2-server does): SDKs look for instance metadata
at http://169.254.169.254/ by default, so with that address aliased on the loopback
interface they need no variable at all. It takes, all done by the user since awsafe never
changes the network configuration:

    sudo ip addr add 169.254.169.254/32 dev lo         # macOS: sudo ifconfig lo0 alias 169.254.169.254
    sudo -E awsafe server --imds --address 169.254.169.254 --port 80 PROFILE
    sudo ip addr del 169.254.169.254/32 dev lo         # to undo

Port 80 needs root (``-E`` keeps HOME, the config and the vault the user's), or
CAP_NET_BIND_SERVICE, or a lower net.ipv4.ip_unprivileged_port_start. Without the alias the
bind fails with a UsageError saying so. Only clients on this machine are answered (their
source address is the alias itself or loopback); containers, whose addresses are not
local, are refused: IMDS has no shared secret, so they should use the token-guarded ECS
protocol instead. The unprivileged default (127.0.0.1, a random port, the clients pointed
there with AWS_EC2_METADATA_SERVICE_ENDPOINT) needs none of this and is preferred.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import signal
import tempfile
import threading

from awsafe.cli.execute import credential_request, refuse_nesting
from awsafe.cli.serve import IMDS_ADDRESSES, Endpoint, ImdsEndpoint, start_ecs_endpoint, start_imds_endpoint
from awsafe.durations import parse_whole_number
from awsafe.environment import Environment
from awsafe.errors import ExitCode, ServerError, UsageError
from awsafe.process_guard import make_undumpable
from awsafe.server.connections import raise_descriptor_limit
from awsafe.server.routes import is_loopback, is_wildcard
from awsafe.statedir import ensure_private_dir, open_private_file
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import CredentialRequest, GlobalOptions

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """What `server` was asked: the credential request, where to listen, and which protocol."""

    request: CredentialRequest
    address: str = "127.0.0.1"
    port: int = 0
    lazy: bool = False
    imds: bool = False
    imds_v1: bool = False
    tail: tuple[str, ...] = ()  # words after '--': server runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> ServerOptions:
        return cls(
            request=credential_request(args, env, server_running=True),
            address=args.address,
            port=args.port,
            lazy=args.lazy,
            imds=args.imds,
            imds_v1=args.imds_v1,
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError(
                "server takes no command; to run one, use: awsafe exec --ecs-server PROFILE -- CMD"
            )
        if not 0 <= self.port <= 65535:
            raise UsageError(f"--port must be 0 to 65535, got {self.port}")
        if self.imds_v1 and not self.imds:
            raise UsageError("--imds-v1 only applies with --imds")
        if self.imds and not (is_loopback(self.address) or self.address in IMDS_ADDRESSES):
            raise UsageError(
                f"--imds cannot listen on {self.address}: the metadata protocol has no shared secret, "
                "so every host that reaches it would get the credentials",
                hint="leave --address out (loopback), use 169.254.169.254 aliased on lo (see --help), "
                "or serve other hosts and containers the token-guarded ECS protocol (no --imds)",
            )
        if is_wildcard(self.address):
            raise UsageError(
                f"--address {self.address} would listen on every interface of this machine, "
                "Wi-Fi and LAN included, and no client could use the URI it prints",
                hint="for containers on a bridge network, give the bridge's own address "
                "(e.g. --address 172.17.0.1, see `ip -4 addr show docker0`); leave --address out otherwise",
            )
        refuse_nesting(env)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Classic IMDS mode (no variable needed by clients): sudo ip addr add 169.254.169.254/32 dev lo; "
        "sudo -E awsafe server --imds --address 169.254.169.254 --port 80 PROFILE. "
        "Containers: use the ECS protocol and the token file."
    )
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else is reachable "
        "from other hosts: the token is then the only guard; not 0.0.0.0 or ::, name the "
        "bridge address; --imds allows only loopback or 169.254.169.254 aliased on lo)",
    )
    parser.add_argument(
        "--port",
        # not type=int: int() takes any Unicode digit ("٨٠") and echoes thousands of them back
        type=lambda text: parse_whole_number(text, "--port", 0, 65535),
        default=0,
        help="port to listen on (default: a random free port)",
    )
    parser.add_argument("--lazy", action="store_true", help="fetch credentials on the first request")
    parser.add_argument(
        "--imds",
        action="store_true",
        help="serve the EC2 instance metadata protocol (IMDSv2) instead of the ECS one",
    )
    parser.add_argument(
        "--imds-v1",
        dest="imds_v1",
        action="store_true",
        help="with --imds: also answer IMDSv1 GETs without a token",
    )
    parser.add_argument("-d", "--duration", metavar="DURATION", help="duration of the session or role")
    parser.add_argument("--region", metavar="REGION", help="the AWS region")
    parser.add_argument("-t", "--mfa-token", metavar="CODE", help="the MFA code for the first fetch")
    parser.set_defaults(run=run, no_session=False)


def _write_token_file(token: str) -> str:
    directory = tempfile.mkdtemp(prefix="awsafe-server-")  # a new name, made 0700 less the umask
    ensure_private_dir(directory)  # exactly 0700, and still ours
    path = os.path.join(directory, "token")
    descriptor = open_private_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token)
    return path


def _remove_token_file(path: str) -> None:
    for remove, target in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
        with contextlib.suppress(OSError):
            remove(target)


def _start_imds(server_options: ServerOptions, env: Environment, engine: Engine) -> ImdsEndpoint:
    request, address = server_options.request, server_options.address
    chain = engine.profile_chain(request)
    provider = engine.provider(chain, request)
    try:
        return start_imds_endpoint(
            env,
            provider,
            chain[0],
            host=address,
            port=server_options.port,
            lazy=server_options.lazy,
            allow_v1=server_options.imds_v1,
        )
    except ServerError as e:
        if address not in IMDS_ADDRESSES:
            raise
        raise UsageError(
            e.message,
            hint=f"the classic mode needs the alias and, for port 80, root: "
            f"sudo ip addr add {address}/{128 if ':' in address else 32} dev lo, then "
            "sudo -E awsafe server --imds ...; or leave --address out and set "
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        ) from e


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    server_options = ServerOptions.from_args(args, tail, env)
    server_options.validate(env, options)
    return serve(server_options, options, env)


def serve(server_options: ServerOptions, options: GlobalOptions, env: Environment) -> int:
    """Serve the profile's credentials until SIGINT, SIGTERM or SIGHUP; print how to reach them."""
    address = server_options.address
    # It keeps the unlocked vault and fresh credentials in memory until stopped.
    if make_undumpable():
        log.debug("process %d is not dumpable: no core file, no ptrace by other processes", os.getpid())
    # No child inherits it here: room for a flood of idle clients and the real ones beside them.
    raise_descriptor_limit()
    if not server_options.imds and not is_loopback(address):
        env.stderr.write(
            f"awsafe: WARNING: listening on {address}: other hosts can reach this endpoint; "
            "only the token protects the credentials\n"
        )
    request = server_options.request
    endpoint: Endpoint | ImdsEndpoint
    token_file = None
    engine = Engine(options, env)
    if server_options.imds:
        endpoint = _start_imds(server_options, env, engine)
    else:
        chain = engine.profile_chain(request)
        provider = engine.provider(chain, request)
        endpoint = start_ecs_endpoint(
            env, provider, chain[0], host=address, port=server_options.port, lazy=server_options.lazy
        )
        token_file = _write_token_file(endpoint.token)
    stop = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_: stop.set())
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        if token_file is None:  # IMDS: tokens are per client session, obtained with PUT
            variables = endpoint.child_variables()
        else:
            variables = {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.uri,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file,
            }
        env.stdout.write("".join(f"{name}={value}\n" for name, value in variables.items()))
        env.stdout.flush()
        env.stderr.write(f"awsafe: serving credentials of {request.profile!r} until interrupted (Ctrl-C)\n")
        env.stderr.flush()
        stop.wait()
    finally:
        endpoint.stop()
        if token_file is not None:
            _remove_token_file(token_file)
        for number, handler in previous.items():
            signal.signal(number, handler)
    env.stderr.write("awsafe: server stopped\n")
    return ExitCode.OK
