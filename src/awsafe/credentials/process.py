"""A profile's own ``credential_process``: run it (through ``awsafe.programs``, no shell, with
its own limits: 1 MiB, 300 s) and read the SDK wire format."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
from collections.abc import Mapping

from awsafe import programs
from awsafe.errors import NoCredentialsError
from awsafe.model import Credentials, parse_rfc3339

TIMEOUT_SECONDS = 300
# The SDK format is a few hundred bytes (a session token ~1 KiB); more is not credentials.
MAX_OUTPUT = 1024 * 1024
# An Expiration outside these is not a time a credential source means (year 1, year 9999).
EARLIEST_EXPIRY = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
LATEST_EXPIRY = dt.datetime(9000, 1, 1, tzinfo=dt.timezone.utc)
# The profiles whose credential_process an awsafe above this process is running, one a line
# (a profile name holds no line break): the same profile asked again below is a loop, e.g.
# `credential_process = awsafe export --format json demo` in [profile demo] with no keys
# for demo in the vault, which would otherwise wait for itself on the session cache's lock.
RUNNING_VARIABLE = "AWSAFE_CREDENTIAL_PROCESS_OF"
# RFC 3339 as the Go SDK parses it (time.RFC3339): a date, a time and a zone. A time without
# a zone is ambiguous, and Python's ISO parser would take it (and other ISO 8601 forms).
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII)


def running_processes(environ: Mapping[str, str]) -> list[str]:
    """The profiles whose credential_process the awsafe processes above this one are running."""
    return [name for name in environ.get(RUNNING_VARIABLE, "").split("\n") if name]


def refuse_process_loop(profile: str, environ: Mapping[str, str]) -> None:
    """NoCredentialsError when ``profile``'s credential_process is what asked for it: checked
    when the chain is built, before the session cache's lock, which the awsafe above holds
    while it waits for this one (a deadlock otherwise, or with a passphrase-less vault a loop)."""
    if profile in running_processes(environ):
        raise NoCredentialsError(
            f"credential_process of profile {profile!r} asked awsafe for {profile!r} "
            "again (a loop): awsafe has no other source for it",
            hint=f"store its keys in the vault (awsafe add {profile}), or give the "
            "credential_process line to another profile name (docs/leaving-plaintext.md)",
        )


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
        output = self._run(argv, [*running_processes(os.environ), self.profile])
        return self._parse(output)

    def _run(self, argv: list[str], running: list[str]) -> bytes:
        """Its stdout, read as it comes so that no more than MAX_OUTPUT is ever held."""
        limits = programs.Limits(
            timeout=TIMEOUT_SECONDS, max_stdout=MAX_OUTPUT, stop_on_overflow=True, read_to_eof=True
        )
        try:
            # stderr stays the user's: the process may explain or prompt there
            environ = {**os.environ, RUNNING_VARIABLE: "\n".join(running)}
            done = programs.run_program(argv, environ=environ, limits=limits, capture_stderr=False)
        except programs.ProgramError as e:
            raise self._fail(self._why(e)) from e
        if done.returncode != 0:
            raise self._fail(f"failed with exit code {done.returncode}")
        return done.output

    @staticmethod
    def _why(error: programs.ProgramError) -> str:
        if error.kind == "overflow":
            return f"printed more than {MAX_OUTPUT // 1024} KiB (stopped it)"
        if error.kind == "timeout":
            return f"did not finish within {TIMEOUT_SECONDS}s"
        if error.oserror is None or isinstance(error.oserror, FileNotFoundError):
            return "was not found"
        return f"could not run ({error.oserror.strerror})"

    def _parse(self, output: bytes) -> Credentials:
        # never echo the output: it holds secrets
        try:
            data = json.loads(output)
        except (ValueError, RecursionError) as e:
            raise self._fail("printed something that is not credential_process JSON") from e
        if not isinstance(data, dict):
            raise self._fail("printed something that is not credential_process JSON")
        if "Version" not in data:
            raise self._fail("printed a document without a Version (the SDKs require Version 1)")
        if type(data["Version"]) is not int or data["Version"] != 1:
            # the number 1 only, as the Go SDK reads it: not "1", true or 1.0
            raise self._fail("printed a document whose Version is not 1")
        for name in ("AccessKeyId", "SecretAccessKey"):
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                raise self._fail(f"printed a document without a {name} (a non-empty string)")
        token = data.get("SessionToken")
        if token is not None and not isinstance(token, str):
            raise self._fail("printed a SessionToken that is not a string")
        return Credentials(
            access_key_id=data["AccessKeyId"],
            secret_access_key=data["SecretAccessKey"],
            session_token=token or None,
            # no Expiration means long-lived keys (aws-vault #1182): accepted, never cached
            expires_at=self._expiration(data.get("Expiration")),
        )

    def _expiration(self, value: object) -> dt.datetime | None:
        if value is None:
            return None
        try:
            if not isinstance(value, str) or not RFC3339.fullmatch(value):
                raise ValueError(value)
            moment = parse_rfc3339(value)
            if not EARLIEST_EXPIRY <= moment <= LATEST_EXPIRY:
                raise ValueError(value)
        except (ValueError, OverflowError) as e:
            raise self._fail("printed an Expiration that is not an RFC 3339 time") from e
        return moment

    def describe(self) -> str:
        return f"credential_process of {self.profile!r}"
