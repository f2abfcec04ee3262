"""Interactive sign-in to IAM Identity Center (docs/sso.md#signing-in): PKCE in a local browser,
or a device code.

This module only runs a flow and returns the :class:`TokenGrant`; reusing
registrations, storing tokens and locking out parallel sign-ins belong to the
caller. Instructions go to ``out`` and never carry a secret: the PKCE
verifier, the authorization code, the device code and the tokens stay in
memory; the browser is started with a one-time loopback URL, so the
authorization URL never reaches a command line. The wait for the user ends at
its deadline whatever local clients do, and the redirect listener is closed
however the sign-in ends.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from typing import TextIO

from awsafe.aws import sso as aws_sso
from awsafe.aws.client import Endpoint
from awsafe.aws.sso import Registrations, TokenGrant
from awsafe.clock import Clock
from awsafe.errors import AwsError, LoginError
from awsafe.sso.callback import RedirectListener
from awsafe.sso.settings import SsoSession
from awsafe.sso.waiting import TICK_SECONDS, Spinner

PKCE = "pkce"
DEVICE = "device"
SLOW_DOWN_SECONDS = 5  # RFC 8628 §3.5: every slow_down adds 5 s to the polling interval


@dataclasses.dataclass(frozen=True)
class SignInOptions:
    device_code: bool = False  # --device-code / AWSAFE_SSO_DEVICE_CODE
    open_browser: bool = True  # False with --stdout or --no-browser: only print the URL
    timeout: float = 300.0  # seconds to wait for the user before a LoginError


@dataclasses.dataclass(frozen=True)
class _Ui:
    """How a flow talks to the user and waits; one bundle so the flows take few arguments."""

    describe: str
    options: SignInOptions
    out: TextIO
    spinner: Spinner
    open_url: Callable[[str], bool]
    clock: Clock
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]


def _browser_available() -> bool:
    import webbrowser  # imported here: it pulls in subprocess and shlex, and only sign-ins need it

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def choose_flow(
    options: SignInOptions,
    environ: Mapping[str, str],
    *,
    browser_available: Callable[[], bool] = _browser_available,
) -> str:
    """The device-code flow where a browser on this machine cannot reach the redirect; else PKCE.

    Over SSH a browser would open on the remote host (if at all), unless the user set
    ``BROWSER`` to something that works there. A set ``BROWSER`` also counts as a browser
    here: ``webbrowser`` reads only the real environment, and once, so it is asked last.
    With ``open_browser`` False the user opens the printed URL by hand, on this machine.
    """
    if options.device_code:
        return DEVICE
    if (environ.get("SSH_CONNECTION") or environ.get("SSH_TTY")) and not environ.get("BROWSER"):
        return DEVICE
    if options.open_browser and not environ.get("BROWSER") and not browser_available():
        return DEVICE
    return PKCE


def code_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign_in(
    session: SsoSession,
    oidc: Endpoint,
    registrations: Registrations,
    options: SignInOptions,
    *,
    flow: str,
    out: TextIO,
    spinner: TextIO | None,
    open_url: Callable[[str], bool],
    clock: Clock,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> TokenGrant:
    """Sign the user in with ``flow`` (see :func:`choose_flow`); LoginError if denied or not in time."""
    if flow not in (PKCE, DEVICE):
        raise ValueError(f"unknown sign-in flow {flow!r}")
    ui = _Ui(session.describe(), options, out, Spinner(spinner, monotonic), open_url, clock, sleep, monotonic)
    try:
        if flow == PKCE:
            return _sign_in_pkce(session, oidc, registrations, ui)
        return _sign_in_device(session, oidc, registrations, ui)
    finally:
        ui.spinner.clear()


def _show(ui: _Ui, headline: str, url: str, *, local: bool, browser_url: str | None = None) -> None:
    """Print what to do; the URL always, since an opened browser may be on another screen.

    The browser is started with ``browser_url`` where given (a one-time loopback URL that
    redirects to ``url``), since its command line is readable by every local user.
    """
    print(headline, file=ui.out)
    if not ui.options.open_browser:
        where = "in a browser on this machine" if local else "in a browser"
        print(f"Open this URL {where}: {url}", file=ui.out)
    elif _open(ui.open_url, browser_url or url):
        print(f"If it did not open, visit: {url}", file=ui.out)
    else:
        print(f"The browser could not be opened; visit: {url}", file=ui.out)
    ui.out.flush()


def _open(open_url: Callable[[str], bool], url: str) -> bool:
    import webbrowser

    try:
        return bool(open_url(url))
    except (OSError, webbrowser.Error):
        return False


def _gave_up(ui: _Ui, seconds: float) -> LoginError:
    return LoginError(
        f"gave up waiting for the sign-in to {ui.describe} after {seconds:g} s",
        hint="run `awsafe sso login` again and complete the sign-in in time",
    )


def _sign_in_pkce(session: SsoSession, oidc: Endpoint, registrations: Registrations, ui: _Ui) -> TokenGrant:
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(72)  # 96 unreserved characters (RFC 7636 allows 43-128)
    with RedirectListener(state) as listener:
        redirect_uri = listener.redirect_uri
        registration = registrations(PKCE)
        url = aws_sso.authorize_url(
            oidc,
            registration,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=code_challenge(verifier),
            scopes=session.scopes,
        )
        headline = f"Sign in to IAM Identity Center ({ui.describe}) in your browser."
        # The state and the challenge stay out of the browser's argv (see loopback/onetime.py).
        browser_url = listener.redirect_once(url) if ui.options.open_browser else None
        _show(ui, headline, url, local=True, browser_url=browser_url)
        code = _await_code(listener, ui)
    return aws_sso.create_token(
        oidc,
        registration,
        ui.clock(),
        "CreateToken (authorization code) at IAM Identity Center",
        grantType=aws_sso.CODE_GRANT,
        code=code,
        redirectUri=redirect_uri,
        codeVerifier=verifier,
    )


def _await_code(listener: RedirectListener, ui: _Ui) -> str:
    """The code of the first callback with the right state; requests with another state are ignored.

    The deadline holds whatever clients connect: the listener serves them on its own thread.
    """
    deadline = ui.monotonic() + ui.options.timeout
    while (remaining := deadline - ui.monotonic()) > 0:
        ui.spinner.tick()
        callback = listener.wait(min(remaining, TICK_SECONDS))
        if callback is None:
            continue
        if callback.error is not None:
            raise LoginError(
                f"the sign-in to {ui.describe} was denied in the browser ({callback.error})",
                hint="run `awsafe sso login` again and allow the access",
            )
        assert callback.code is not None
        return callback.code
    raise _gave_up(ui, ui.options.timeout)


def _sign_in_device(session: SsoSession, oidc: Endpoint, registrations: Registrations, ui: _Ui) -> TokenGrant:
    registration = registrations(DEVICE)
    auth = aws_sso.start_device_authorization(oidc, registration, session.start_url)
    headline = f"Sign in to IAM Identity Center ({ui.describe}) with the code {auth.user_code}"
    _show(ui, headline, auth.verification_uri_complete, local=False)
    limit = min(ui.options.timeout, float(auth.expires_in))
    deadline = ui.monotonic() + limit
    interval = float(auth.interval)
    while True:
        try:
            return aws_sso.create_token(
                oidc,
                registration,
                ui.clock(),
                "CreateToken (device code) at IAM Identity Center",
                grantType=aws_sso.DEVICE_GRANT,
                deviceCode=auth.device_code,
            )
        except AwsError as e:
            interval += _pending(e, ui, auth.user_code)
        remaining = deadline - ui.monotonic()
        if remaining <= 0:
            raise _gave_up(ui, limit)
        ui.spinner.pause(min(interval, remaining), ui.sleep)


def _pending(error: AwsError, ui: _Ui, user_code: str) -> float:
    """How much longer to wait between polls if the sign-in is still pending; raise if it never will be."""
    if error.code == "AuthorizationPendingException":
        return 0.0
    if error.code == "SlowDownException":
        return SLOW_DOWN_SECONDS
    if error.code == "AccessDeniedException":
        raise LoginError(
            f"the sign-in to {ui.describe} was denied",
            hint="run `awsafe sso login` again and allow the access",
        ) from error
    if error.code == "ExpiredTokenException":
        raise LoginError(
            f"the code {user_code} for the sign-in to {ui.describe} expired before it was confirmed",
            hint="run `awsafe sso login` again",
        ) from error
    raise error
