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

from awsafe.cli.execute import credential_request
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.rules import assumed_with_role_credentials
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, LoginError, UsageError
from awsafe.model import Credentials
from awsafe.process_guard import make_undumpable
from awsafe.vault.base import Store
from awsafe.wiring import (
    CredentialRequest,
    GlobalOptions,
    build_provider,
    load_profile_chain,
    open_vault,
    session_options,
)

ONE_HOUR = dt.timedelta(hours=1)
BROWSER_WAIT = dt.timedelta(minutes=5)  # a cold browser start, a profile picker; the token lasts 15 min
MIN_FEDERATION = dt.timedelta(seconds=900)
MAX_FEDERATION = dt.timedelta(seconds=129600)

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument("--path", metavar="PATH", help="console page to open (e.g. /s3/home) or an https URL")
    parser.add_argument(
        "-s", "--stdout", action="store_true", help="print the sign-in URL instead of opening a browser"
    )
    parser.add_argument(
        "-a", "--auto-logout", action="store_true", help="sign out of any other console session first"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    from awsafe import console

    if tail:
        raise UsageError("login takes no command")
    request = credential_request(args, env)
    chain = load_profile_chain(env, request)
    profile = chain[0]
    store = open_vault(options, env)
    credentials, duration = _console_credentials(options, env, chain, request, store)
    region = request.region or profile.region or "us-east-1"
    sign_in = console.SigninRequest(
        credentials=credentials,
        region=region,
        path=args.path,
        session_duration=duration,
        auto_logout=args.auto_logout,
        federation_endpoint=env.get("AWSAFE_FEDERATION_ENDPOINT"),
    )
    url = console.signin_url(sign_in, console.fetch_signin_token(sign_in))
    if args.stdout:
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


def _console_credentials(
    options: GlobalOptions,
    env: Environment,
    chain: list[ProfileConfig],
    request: CredentialRequest,
    store: Store,
) -> tuple[Credentials, dt.timedelta | None]:
    """Temporary credentials for the console, and the SessionDuration to ask (None: send none)."""
    profile = chain[0]
    keys = StoredKeys(store)
    if profile.role_arn or (profile.has_sso and not keys.has(profile.name)):
        credentials = build_provider(options, env, chain, request, store).retrieve()
        if not profile.role_arn or assumed_with_role_credentials(chain, 0):
            return credentials, None
        opts = session_options(env.environ, duration=request.duration, no_session=request.no_session)
        return credentials, opts.duration or opts.assume_role_ttl or profile.duration or ONE_HOUR
    plain = dataclasses.replace(request, duration=None, no_session=True)
    source = build_provider(options, env, chain, plain, store).retrieve()
    if source.is_temporary:  # credential_process handed out a session already
        return source, None
    if profile.mfa_serial:
        env.stderr.write(
            f"awsafe: profile {profile.name!r} has mfa_serial, but GetFederationToken takes only "
            "long-term keys, so this console session carries no MFA (policies requiring MFA deny it); "
            "for MFA in the console, sign in through a role profile with mfa_serial\n"
        )
    return _federation_token(env, chain, request, store, keys), None


def _federation_token(
    env: Environment, chain: list[ProfileConfig], request: CredentialRequest, store: Store, keys: StoredKeys
) -> Credentials:
    from awsafe.credentials.cache import CachedProvider, SessionKey
    from awsafe.credentials.rules import endpoint_for_profile
    from awsafe.credentials.stored import StoredKeysProvider
    from awsafe.credentials.sts import FederationTokenProvider
    from awsafe.wiring import session_cache

    profile = chain[0]
    owner = next((p for p in chain if keys.has(p.name)), profile)
    opts = session_options(env.environ, duration=request.duration, no_session=True)
    duration = opts.duration or opts.federation_token_ttl
    if not MIN_FEDERATION <= duration <= MAX_FEDERATION:
        raise UsageError("a federation token lasts from 15m to 36h")
    endpoint = endpoint_for_profile(env.environ)(profile)
    provider = FederationTokenProvider(
        StoredKeysProvider(keys, owner.name), endpoint, duration, profile=profile.name
    )
    identity = {
        "kind": "federation-token",
        "profile": profile.name,
        "owner": owner.name,
        "duration": int(duration.total_seconds()),
        "endpoint": endpoint.url,
    }
    key = SessionKey.of("federation-token", profile.name, None, identity, [p.name for p in chain])
    return CachedProvider(provider, session_cache(store, env, keys), key).retrieve()
