"""The one exception tree of awsafe and the exit code of each branch.

Every error a user can cause or meet is an ``AwsafeError``; adapters translate
foreign exceptions into these (chaining the cause) and only ``cli.main``
catches them. Messages name the thing (profile, file:line, backend, role) and
never contain a secret.

    AwsafeError
     ├── UsageError                 bad flags or arguments            (2)
     ├── ConfigError                ~/.aws/config unreadable/invalid  (3)
     │    └── ProfileNotFoundError
     ├── StoreError                 the vault could not be used       (4)
     │    ├── StoreLockedError      wrong passphrase / locked keychain
     │    ├── StoreCorruptError     tampered or unreadable item
     │    │    └── VaultCorruptError  the vault as a whole: its header is unreadable
     │    └── StoreUnavailableError backend cannot run here
     ├── NoCredentialsError         no source of credentials          (5)
     ├── MfaError                   no or invalid MFA code            (6)
     ├── AwsError                   an AWS call failed                (7)
     ├── ServerError                a local endpoint failed           (8)
     ├── PromptError                no way to ask the user            (9)
     ├── LoginError                 an SSO sign-in did not complete   (10)
     └── CommandError               exec: the command cannot run      (126/127)

Exit codes outside the tree: 70 for a bug, 130 for Ctrl-C; ``exec`` passes
the child's own code through.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    USAGE = 2
    CONFIG = 3
    STORE = 4
    NO_CREDENTIALS = 5
    MFA = 6
    AWS = 7
    SERVER = 8
    PROMPT = 9
    LOGIN = 10
    BUG = 70
    COMMAND_NOT_EXECUTABLE = 126
    COMMAND_NOT_FOUND = 127
    INTERRUPTED = 130


class AwsafeError(Exception):
    """Base of every error awsafe reports to a user."""

    exit_code: ExitCode = ExitCode.BUG

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(AwsafeError):
    exit_code = ExitCode.USAGE


class ConfigError(AwsafeError):
    exit_code = ExitCode.CONFIG


class ProfileNotFoundError(ConfigError):
    pass


class StoreError(AwsafeError):
    exit_code = ExitCode.STORE


class StoreLockedError(StoreError):
    pass


class StoreCorruptError(StoreError):
    pass


class VaultCorruptError(StoreCorruptError):
    """Not one item but the whole vault is unreadable; never mistaken for a broken cached session."""


class StoreUnavailableError(StoreError):
    pass


class NoCredentialsError(AwsafeError):
    exit_code = ExitCode.NO_CREDENTIALS


class MfaError(AwsafeError):
    exit_code = ExitCode.MFA


class AwsError(AwsafeError):
    exit_code = ExitCode.AWS

    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status  # the HTTP status, when the endpoint answered


class LoginError(AwsafeError):
    """An IAM Identity Center sign-in was denied, timed out or could not start."""

    exit_code = ExitCode.LOGIN


class ServerError(AwsafeError):
    exit_code = ExitCode.SERVER


class PromptError(AwsafeError):
    exit_code = ExitCode.PROMPT


class CommandError(AwsafeError):
    """The program given to ``exec`` is missing (127) or not executable (126), as in a shell."""

    def __init__(self, message: str, *, exit_code: ExitCode, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code

    @classmethod
    def cannot_start(cls, program: str, error: OSError) -> CommandError:
        """The shell's answer to a program that could not be started: 127 missing, else 126."""
        if isinstance(error, FileNotFoundError):
            return cls(f"command not found: {program}", exit_code=ExitCode.COMMAND_NOT_FOUND)
        if isinstance(error, PermissionError):
            return cls(f"command not executable: {program}", exit_code=ExitCode.COMMAND_NOT_EXECUTABLE)
        return cls(f"cannot run {program}: {error.strerror}", exit_code=ExitCode.COMMAND_NOT_EXECUTABLE)
