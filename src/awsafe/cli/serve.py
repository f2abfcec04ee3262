"""Serving a profile's credentials on a local ECS endpoint, for `exec --ecs-server` and `awsafe server`."""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
import subprocess
from collections.abc import Callable, Mapping

from awsafe.aws import AssumeRoleRequest, fetch_assume_role
from awsafe.config.profile import ROLE_ARN, ProfileConfig
from awsafe.credentials.chain import ONE_HOUR, endpoint_for_profile, generated_session_name
from awsafe.credentials.provider import Provider
from awsafe.environment import Environment
from awsafe.errors import CommandError, ExitCode, UsageError
from awsafe.model import Credentials
from awsafe.server.listener import LocalServer
from awsafe.server.routes import EcsRoutes, FreshCredentials, Request, Response, is_loopback
from awsafe.wiring import min_ttl

FORWARDED_SIGNALS = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)


@dataclasses.dataclass
class Endpoint:
    server: LocalServer
    token: str = dataclasses.field(repr=False)

    @property
    def uri(self) -> str:
        host = f"[{self.server.host}]" if ":" in self.server.host else self.server.host
        return f"http://{host}:{self.server.port}/"

    def child_variables(self) -> dict[str, str]:
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self.uri,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token,
        }

    def stop(self) -> None:
        self.server.stop()


def _role_fetcher(
    env: Environment, base: FreshCredentials, profile: ProfileConfig
) -> Callable[[str], Credentials]:
    """``/role-arn/ARN``: that role assumed with the profile's credentials, kept fresh per ARN."""
    endpoint = endpoint_for_profile(env.environ)(profile)
    roles: dict[str, FreshCredentials] = {}

    def fetch(role_arn: str) -> Credentials:
        if not ROLE_ARN.match(role_arn):
            raise UsageError(f"{role_arn!r} is not an IAM role ARN")
        if role_arn not in roles:
            request = AssumeRoleRequest(role_arn, generated_session_name(env.clock), ONE_HOUR)
            roles[role_arn] = FreshCredentials(
                lambda: fetch_assume_role(base(), endpoint, request, profile=profile.name),
                env.clock,
                min_ttl(env).total_seconds(),
            )
        return roles[role_arn]()

    return fetch


def start_ecs_endpoint(
    env: Environment,
    provider: Provider,
    profile: ProfileConfig,
    *,
    host: str = "127.0.0.1",
    lazy: bool = False,
) -> Endpoint:
    """Fetch (unless ``lazy``) and serve the profile's credentials; the caller stops the endpoint."""
    fresh = FreshCredentials(provider.retrieve, env.clock, min_ttl(env).total_seconds())
    if not lazy:
        fresh()  # errors and MFA prompts happen now, before anything depends on the endpoint
    token = secrets.token_urlsafe(32)  # 256 bits

    def handle(request: Request) -> Response:
        return routes.handle(request)  # bound below, once the port is known

    server = LocalServer(handle, host=host)
    port = server.port
    hosts = {f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"}
    routes = EcsRoutes(
        token,
        fresh,
        frozenset(h.lower() for h in hosts),
        role_credentials=_role_fetcher(env, fresh, profile),
        loopback_only=is_loopback(host),
    )
    server.start()
    return Endpoint(server, token)


def run_child(command: list[str], child_env: Mapping[str, str]) -> int:
    """Run the command as a child, forwarding signals; its exit code (128+N when killed by signal N)."""
    try:
        child = subprocess.Popen(command, env=dict(child_env))
    except FileNotFoundError as e:
        raise CommandError(f"command not found: {command[0]}", exit_code=ExitCode.COMMAND_NOT_FOUND) from e
    except PermissionError as e:
        raise CommandError(
            f"command not executable: {command[0]}", exit_code=ExitCode.COMMAND_NOT_EXECUTABLE
        ) from e
    # Keys typed at a terminal (Ctrl-C, Ctrl-\\, a resize) reach the whole foreground process
    # group, the child included: forwarding those too would deliver them twice.
    from_terminal = {signal.SIGINT, signal.SIGQUIT, signal.SIGWINCH} if os.isatty(0) else set()
    previous = {}
    for number in FORWARDED_SIGNALS:
        if number in from_terminal:
            previous[number] = signal.signal(
                number, signal.SIG_IGN if number != signal.SIGWINCH else signal.SIG_DFL
            )
        else:
            previous[number] = signal.signal(number, lambda received, _frame: child.send_signal(received))
    try:
        code = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 128 - code if code < 0 else code
