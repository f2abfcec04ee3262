"""Web identity: an OIDC token from a file or a program, exchanged for role credentials with
sts:AssumeRoleWithWebIdentity (the AWS CLI's ``web_identity_token_file``, aws-vault's
``web_identity_token_process``).

The token is read again at every fetch (a Kubernetes projected token is rotated in place),
never cached, logged or put in a message; the role credentials are cached like any session.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from collections.abc import Callable, Mapping

from awsafe import programs
from awsafe.aws import sts as aws
from awsafe.aws.sts import Endpoint, WebIdentityRequest
from awsafe.errors import NoCredentialsError
from awsafe.model import Credentials

TIMEOUT_SECONDS = 300  # as credential_process: the program may sign someone in
# An OIDC token is a few KiB (AWS takes at most 20,000 characters); more is not a token.
MAX_TOKEN = 64 * 1024


def _checked(token: str, source: str) -> str:
    # A trailing newline (`echo`, an editor) is not part of a JWT, and never whitespace inside.
    token = token.strip()
    if not token:
        raise NoCredentialsError(f"{source} is empty", hint="a web identity token (an OIDC JWT) is needed")
    return token


def read_token_file(path: str, profile: str) -> str:
    """The token in ``path``; a missing, unreadable or empty file is a NoCredentialsError."""
    source = f"web identity token file {path!r} of profile {profile!r}"
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_TOKEN + 1)
    except OSError as e:
        raise NoCredentialsError(
            f"cannot read the {source}: {e.strerror or type(e).__name__}",
            hint="check web_identity_token_file (or AWS_WEB_IDENTITY_TOKEN_FILE)",
        ) from e
    if len(data) > MAX_TOKEN:
        raise NoCredentialsError(f"the {source} holds more than {MAX_TOKEN // 1024} KiB: not a token")
    return _checked(data.decode("utf-8", errors="replace"), f"the {source}")


def run_token_process(command: str, environ: Mapping[str, str], profile: str) -> str:
    """The token a ``web_identity_token_process`` prints on stdout (run through ``programs``:
    no shell, its own limits, stderr left to the user)."""
    source = f"web_identity_token_process of profile {profile!r}"
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise NoCredentialsError(f"{source} cannot be split into words ({e})") from e
    if not argv:
        raise NoCredentialsError(f"{source} is empty")
    source = f"{source} ({os.path.basename(argv[0])})"
    limits = programs.Limits(
        timeout=TIMEOUT_SECONDS, max_stdout=MAX_TOKEN, stop_on_overflow=True, read_to_eof=True
    )
    try:
        done = programs.run_program(argv, environ=environ, limits=limits, capture_stderr=False)
    except programs.ProgramError as e:
        why = {"missing": "was not found", "timeout": f"did not finish within {TIMEOUT_SECONDS}s"}.get(
            e.kind, "printed more than a token" if e.kind == "overflow" else "could not run"
        )
        raise NoCredentialsError(f"{source} {why}") from e
    if done.returncode != 0:
        raise NoCredentialsError(f"{source} failed with exit code {done.returncode}")
    return _checked(done.stdout, f"what {source} printed")


class WebIdentityProvider:
    """sts:AssumeRoleWithWebIdentity with a token read at each fetch."""

    def __init__(
        self,
        token: Callable[[], str],
        endpoint: Endpoint,
        role_arn: str,
        session_name: str,
        duration: dt.timedelta,
        *,
        profile: str,
        source: str,
    ) -> None:
        self._token = token
        self.endpoint = endpoint
        self.role_arn = role_arn
        self.session_name = session_name
        self.duration = duration
        self.profile = profile
        self.source = source

    def retrieve(self) -> Credentials:
        request = WebIdentityRequest(self.role_arn, self.session_name, self.duration, self._token())
        return aws.fetch_assume_role_with_web_identity(self.endpoint, request, profile=self.profile)

    def describe(self) -> str:
        return (
            f"AssumeRoleWithWebIdentity {self.role_arn} for {self.profile!r} ({self.duration}) "
            f"with the token of {self.source}"
        )
