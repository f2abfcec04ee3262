"""`awsafe login`: open the AWS console as a profile, through a one-time federation sign-in URL.

Which temporary credentials (docs/commands/login.md#which-credentials): a role profile's role
credentials; an SSO profile's role credentials; for a plain IAM user,
GetFederationToken with the long-term keys (cached like any session).
``SessionDuration`` goes along only for a role assumed from long-term keys or
an MFA session; never for a chained role, whose credentials AWS would refuse
with it. The browser gets a one-time loopback URL, never the sign-in URL itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os

from awsafe.cli.execute import credential_request, stdout_default
from awsafe.cli.picker import choose_profile
from awsafe.environment import Environment
from awsafe.errors import ExitCode, LoginError, UsageError
from awsafe.process_guard import make_undumpable
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import CredentialRequest, GlobalOptions

BROWSER_WAIT = dt.timedelta(minutes=5)  # a cold browser start, a profile picker; the token lasts 15 min

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class LoginOptions:
    """What `login` was asked: the credential request, the console page, and how to hand it over."""

    request: CredentialRequest
    path: str | None = None
    to_stdout: bool = False
    auto_logout: bool = False
    tail: tuple[str, ...] = ()  # words after '--': login runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> LoginOptions:
        return cls(
            request=credential_request(args, env),
            path=args.path,
            to_stdout=stdout_default(args, env),  # aws-vault: AWS_VAULT_STDOUT too
            auto_logout=args.auto_logout,
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("login takes no command")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument("--path", metavar="PATH", help="console page to open (e.g. /s3/home) or an https URL")
    parser.add_argument(
        "-s",
        "--stdout",
        action="store_true",
        help="print the sign-in URL instead of opening a browser (env AWSAFE_STDOUT / AWS_VAULT_STDOUT)",
    )
    parser.add_argument(
        "-a", "--auto-logout", action="store_true", help="sign out of any other console session first"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    login_options = LoginOptions.from_args(args, tail, env)
    login_options.validate(env, options)
    picked = choose_profile(login_options.request, bool(args.profile), env)
    login_options = dataclasses.replace(login_options, request=picked)
    return open_console(login_options, options, env)


def open_console(login_options: LoginOptions, options: GlobalOptions, env: Environment) -> int:
    """Sign in to the console with the profile's credentials: print the URL, or open a browser."""
    from awsafe import console

    request = login_options.request
    answer, duration = Engine(options, env).console_credentials(request)
    profile = answer.chain[0]
    region = request.region or profile.region or "us-east-1"
    sign_in = console.SigninRequest(
        credentials=answer.credentials,
        region=region,
        path=login_options.path,
        session_duration=duration,
        auto_logout=login_options.auto_logout,
        federation_endpoint=env.get("AWSAFE_FEDERATION_ENDPOINT"),
    )
    url = console.signin_url(sign_in, console.fetch_signin_token(sign_in))
    if login_options.to_stdout:
        env.stdout.write(url + "\n")
        env.stdout.flush()
        return ExitCode.OK
    _open_once(url)
    env.stderr.write(f"Opened the AWS console for profile {profile.name!r} in the browser\n")
    return ExitCode.OK


def _open_once(url: str) -> None:
    """Start the browser on a one-time loopback URL that redirects to ``url``, and wait for it.

    The sign-in token stays out of the browser's command line, which every local user can
    read; awsafe serves the redirect until the browser has fetched it, at most BROWSER_WAIT.
    """
    from awsafe.browser import open_in_browser
    from awsafe.loopback.onetime import RedirectServer

    # The wait can take minutes, with the sign-in token and the credentials behind it in memory.
    if make_undumpable():
        log.debug("process %d is not dumpable while the browser signs in", os.getpid())
    with RedirectServer(url) as once:
        if not open_in_browser(once.url):
            raise UsageError(
                "no browser could be opened for the sign-in URL",
                hint="print it with: awsafe login --stdout (it grants console access: keep it private)",
            )
        if not once.wait_until_used(BROWSER_WAIT.total_seconds()):
            raise LoginError(
                f"the browser did not ask for the sign-in page within {BROWSER_WAIT.total_seconds():g} s",
                hint="run `awsafe login` again, or open the URL yourself: awsafe login --stdout",
            )
