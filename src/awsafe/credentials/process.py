"""A profile's own ``credential_process``: run it (no shell) and read the SDK wire format."""

from __future__ import annotations

import json
import os
import shlex
import subprocess

from awsafe.environment import without_passphrase
from awsafe.errors import NoCredentialsError
from awsafe.model import Credentials, parse_rfc3339

TIMEOUT_SECONDS = 300


class ProcessProvider:
    """Credentials printed by an external command, as the AWS SDKs read them (Version 1)."""

    def __init__(self, command: str, *, profile: str) -> None:
        self.command = command
        self.profile = profile

    def _fail(self, why: str) -> NoCredentialsError:
        program = shlex.split(self.command)[0] if self.command.strip() else "(empty)"
        return NoCredentialsError(f"credential_process of profile {self.profile!r} ({program}) {why}")

    def retrieve(self) -> Credentials:
        try:
            argv = shlex.split(self.command)
        except ValueError as e:
            raise NoCredentialsError(
                f"credential_process of profile {self.profile!r} cannot be split into words ({e})"
            ) from e
        if not argv:
            raise self._fail("is empty")
        try:
            # stderr stays the user's: the process may explain or prompt there
            done = subprocess.run(
                argv,
                env=without_passphrase(os.environ),
                stdout=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except FileNotFoundError as e:
            raise self._fail("was not found") from e
        except subprocess.TimeoutExpired as e:
            raise self._fail(f"did not finish within {TIMEOUT_SECONDS}s") from e
        except OSError as e:
            raise self._fail(f"could not run ({e.strerror})") from e
        if done.returncode != 0:
            raise self._fail(f"failed with exit code {done.returncode}")
        return self._parse(done.stdout)

    def _parse(self, output: bytes) -> Credentials:
        try:
            data = json.loads(output)
            if data.get("Version") != 1:
                raise self._fail("printed a document whose Version is not 1")
            expiration = data.get("Expiration")
            return Credentials(
                access_key_id=data["AccessKeyId"],
                secret_access_key=data["SecretAccessKey"],
                session_token=data.get("SessionToken") or None,
                # no Expiration means long-lived keys (aws-vault #1182): accepted, never cached
                expires_at=parse_rfc3339(expiration) if expiration else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            # never echo the output: it holds secrets
            raise self._fail("printed something that is not credential_process JSON") from e

    def describe(self) -> str:
        return f"credential_process of {self.profile!r}"
