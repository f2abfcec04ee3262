"""Serving a profile's credentials on a local endpoint (ECS or IMDSv2), for `exec` and `awsafe server`."""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import signal
import subprocess
from collections.abc import Callable, Mapping

from awsafe.config.profile import ROLE_ARN, ProfileConfig
from awsafe.credentials.provider import Provider
from awsafe.environment import Environment
from awsafe.errors import CommandError
from awsafe.model import Credentials
from awsafe.server.imds import ImdsRoutes
from awsafe.server.listener import LocalServer
from awsafe.server.routes import EcsRoutes, FreshCredentials, Request, Response, is_loopback
from awsafe.wiring.endpoints import role_fetcher
from awsafe.wiring.sessions import min_ttl

FORWARDED_SIGNALS = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)
# The addresses EC2 serves metadata on; bound as an alias on `lo`, they are local too.
IMDS_ADDRESSES = frozenset({"169.254.169.254", "fd00:ec2::254"})
# What a client of the ECS endpoint is given (the token itself, never a file or argv).
ECS_VARIABLES = ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN")
_ROLE_NAME_UNSAFE = re.compile(r"[^\w+=,.@-]", re.ASCII)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _uri(server: LocalServer) -> str:
    port = "" if server.port == 80 else f":{server.port}"
    return f"http://{_url_host(server.host)}{port}/"


def resolve_allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` values a local client sends us: anything else is DNS rebinding (or a mistake)."""
    names = {_url_host(host), "localhost", "127.0.0.1", "[::1]"}
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:  # clients leave the default port out
        hosts |= names
    return frozenset(h.lower() for h in hosts)


@dataclasses.dataclass
class Endpoint:
    """A running ECS endpoint (docs/commands/server.md#the-ecs-endpoint)."""

    server: LocalServer
    token: str = dataclasses.field(repr=False)

    @property
    def uri(self) -> str:
        return _uri(self.server)

    @property
    def replaced_prefixes(self) -> tuple[str, ...]:
        """Inherited variables of these families would point the child elsewhere."""
        return ("AWS_CONTAINER_",)

    def child_variables(self) -> dict[str, str]:
        return dict(zip(ECS_VARIABLES, (self.uri, self.token), strict=True))

    def stop(self) -> None:
        self.server.stop()


@dataclasses.dataclass
class ImdsEndpoint:
    """A running IMDSv2 endpoint (docs/commands/server.md#imds-mode)."""

    server: LocalServer
    allow_v1: bool = False

    @property
    def uri(self) -> str:
        return _uri(self.server)

    @property
    def replaced_prefixes(self) -> tuple[str, ...]:
        # Container variables win over IMDS in every SDK's chain; an inherited
        # AWS_EC2_METADATA_DISABLED=true would switch our endpoint off.
        return ("AWS_CONTAINER_", "AWS_EC2_METADATA_")

    def child_variables(self) -> dict[str, str]:
        return {
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.uri,
            # Explicit either way: it also overrides ec2_metadata_v1_disabled in a config file.
            "AWS_EC2_METADATA_V1_DISABLED": "false" if self.allow_v1 else "true",
        }

    def stop(self) -> None:
        self.server.stop()


def resolve_role_name(profile: ProfileConfig) -> str:
    """The instance role the IMDS endpoint presents: the profile's role, else its name."""
    name = profile.sso_role_name or profile.name
    if profile.role_arn:
        name = profile.role_arn.rsplit("/", 1)[-1]
    return _ROLE_NAME_UNSAFE.sub("-", name) or "awsafe"


def resolve_account_id(profile: ProfileConfig) -> str | None:
    if profile.role_arn and ROLE_ARN.match(profile.role_arn):
        return profile.role_arn.split(":")[4]
    return profile.sso_account_id


def _listen_then_fetch(
    handle: Callable[[Request], Response],
    fresh: FreshCredentials,
    host: str,
    port: int,
    *,
    lazy: bool,
    local_peers_only: bool | None = None,
) -> LocalServer:
    """Bind first (a taken port or a missing address fails before any MFA prompt), then fetch
    unless ``lazy``: errors and prompts happen now, before anything depends on the endpoint."""
    server = LocalServer(handle, host=host, port=port, local_peers_only=local_peers_only)
    if not lazy:
        try:
            fresh()
        except BaseException:
            server.stop()
            raise
    return server


def _fresh(env: Environment, fetch: Callable[[], Credentials]) -> FreshCredentials:
    """Credentials kept in memory and refetched when AWS_MIN_TTL is reached."""
    return FreshCredentials(fetch, env.clock, min_ttl(env).total_seconds())


def start_ecs_endpoint(
    env: Environment,
    provider: Provider,
    profile: ProfileConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    lazy: bool = False,
) -> Endpoint:
    """Fetch (unless ``lazy``) and serve the profile's credentials; the caller stops the endpoint."""
    fresh = _fresh(env, provider.retrieve)
    token = secrets.token_urlsafe(32)  # 256 bits

    def handle(request: Request) -> Response:
        return routes.handle(request)  # bound below, once the port is known

    server = _listen_then_fetch(handle, fresh, host, port, lazy=lazy)
    routes = EcsRoutes(
        token,
        fresh,
        resolve_allowed_hosts(host, server.port),
        role_credentials=role_fetcher(env, fresh, profile, min_ttl(env).total_seconds()),
        loopback_only=is_loopback(host),
    )
    server.start()
    return Endpoint(server, token)


def start_imds_endpoint(
    env: Environment,
    provider: Provider,
    profile: ProfileConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    lazy: bool = False,
    allow_v1: bool = False,
) -> ImdsEndpoint:
    """Fetch (unless ``lazy``) and serve the profile's credentials as IMDSv2; the caller stops it.

    Local peers only, whatever ``host`` is: IMDS has no shared secret, so whoever reaches it
    gets the credentials. ``host`` is loopback, or an IMDS address aliased on ``lo``.
    """
    fresh = _fresh(env, provider.retrieve)

    def handle(request: Request) -> Response:
        return routes.handle(request)  # bound below, once the port is known

    # Only this machine's clients are answered (the alias is local too): one peer, whatever the
    # address, so no per-peer share below the total bound.
    server = _listen_then_fetch(handle, fresh, host, port, lazy=lazy, local_peers_only=True)
    routes = ImdsRoutes(
        fresh,
        resolve_allowed_hosts(host, server.port),
        region=profile.region,
        role_name=resolve_role_name(profile),
        clock=env.clock,
        account_id=resolve_account_id(profile),
        allow_v1=allow_v1,
        local_peers=frozenset({host}) if host in IMDS_ADDRESSES else frozenset(),
    )
    server.start()
    return ImdsEndpoint(server, allow_v1)


def run_child(command: list[str], child_env: Mapping[str, str]) -> int:
    """Run the command as a child, forwarding signals; its exit code (128+N when killed by signal N)."""
    try:
        child = subprocess.Popen(command, env=dict(child_env))
    except OSError as e:
        raise CommandError.cannot_start(command[0], e) from e
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
