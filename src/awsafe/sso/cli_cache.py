"""Opt-in sharing of SSO tokens with the AWS CLI through ``~/.aws/sso/cache``.

The AWS CLI keeps its token in plaintext at
``~/.aws/sso/cache/<sha1(session name or start URL)>.json``. awsafe never
touches it unless asked (``AWSAFE_SSO_CLI_CACHE``):

- ``off`` (default): tokens live only in the vault;
- ``read``: a valid token the AWS CLI wrote saves a sign-in;
- ``write``: as ``read``, and every token awsafe gets is also written there
  (0600, atomically), so ``aws sso`` profiles work without another login.
  That puts the token and refresh token on disk in plaintext: the trade-off
  the user accepts with this setting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from awsafe.aws.sso import ClientRegistration
from awsafe.errors import UsageError
from awsafe.model import parse_rfc3339
from awsafe.sso.settings import SsoSession
from awsafe.sso.store import SsoToken
from awsafe.statedir import create_private_dirs

MODES = ("off", "read", "write")


def cache_mode(value: str | None) -> str:
    mode = (value or "off").strip().lower()
    if mode not in MODES:
        raise UsageError(f"AWSAFE_SSO_CLI_CACHE must be one of {', '.join(MODES)}, got {value!r}")
    return mode


def _format(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CliTokenCache:
    """The AWS CLI's SSO token cache directory; ``writable`` only in ``write`` mode."""

    def __init__(self, directory: Path, *, writable: bool) -> None:
        self.directory = directory
        self.writable = writable

    def path(self, session: SsoSession) -> Path:
        digest = hashlib.sha1(session.cache_name.encode(), usedforsecurity=False).hexdigest()
        return self.directory / f"{digest}.json"

    def read(self, session: SsoSession) -> SsoToken | None:
        """The CLI's token for ``session``, or None when absent, unreadable or for another start URL."""
        try:
            data: dict[str, Any] = json.loads(self.path(session).read_text())
            if data.get("startUrl") not in (None, session.start_url):
                return None
            registration = None
            if data.get("clientId") and data.get("clientSecret") and data.get("registrationExpiresAt"):
                registration = ClientRegistration(
                    client_id=str(data["clientId"]),
                    client_secret=str(data["clientSecret"]),
                    expires_at=parse_rfc3339(str(data["registrationExpiresAt"])),
                    flow="pkce" if data.get("grantType") == "authorization_code" else "device",
                    scopes=session.scopes,
                )
            return SsoToken(
                access_token=str(data["accessToken"]),
                expires_at=parse_rfc3339(str(data["expiresAt"])),
                refresh_token=data.get("refreshToken") or None,
                registration=registration,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, session: SsoSession, token: SsoToken) -> None:
        """Replace the CLI's file atomically, created 0600 in a 0700 directory."""
        if not self.writable:
            return
        data: dict[str, Any] = {
            "startUrl": session.start_url,
            "region": session.region,
            "accessToken": token.access_token,
            "expiresAt": _format(token.expires_at),
        }
        if token.refresh_token:
            data["refreshToken"] = token.refresh_token
        if token.registration is not None:
            data.update(
                clientId=token.registration.client_id,
                clientSecret=token.registration.client_secret,
                registrationExpiresAt=_format(token.registration.expires_at),
            )
        create_private_dirs(self.directory)  # ~/.aws/sso/cache, and ~/.aws/sso, 0700 if missing
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".awsafe-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:  # mkstemp creates it 0600
                json.dump(data, handle)
            os.replace(temporary, self.path(session))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, session: SsoSession) -> None:
        if self.writable:
            self.path(session).unlink(missing_ok=True)
