"""aws-vault's macOS keychain store (99designs/keyring's keychain backend): generic passwords in
``aws-vault.keychain``, service ``aws-vault``, account = key, data = the credential JSON itself
(no keyring item around it). Read through Apple's ``security`` program; it never adds an item,
and the secret travels only on that program's stdout, never in its argv."""

from __future__ import annotations

import re
from collections.abc import Mapping

from awsafe.errors import StoreError, StoreLockedError, StoreUnavailableError
from awsafe.programs import Finished, Limits, ProgramError, run_program

SECURITY = "security"
# A locked keychain makes `security` ask in a dialog: give the person time to answer it.
_LIMITS = Limits(timeout=120, max_stdout=4 * 1024 * 1024, stop_on_overflow=True)
_NOT_FOUND = 44  # errSecItemNotFound, as security(1) reports it
_ATTRIBUTE = re.compile(r'^\s*"(?P<name>acct|svce)"<blob>=(?P<value>.*)$')
_HEX = re.compile(r"^0x(?P<hex>[0-9A-Fa-f]*)")


def parse_blob(value: str) -> str | None:
    """One attribute value as ``security dump-keychain`` prints it: ``"text"``, ``0xHEX  "..."``
    (bytes it cannot print) or ``<NULL>``."""
    value = value.strip()
    hexed = _HEX.match(value)
    if hexed:
        return bytes.fromhex(hexed["hex"]).decode("utf-8", "replace")
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return None


def parse_dump(text: str, service: str) -> list[str]:
    """The accounts of the generic passwords of ``service`` in a ``security dump-keychain``
    listing: aws-vault's item keys."""
    accounts: list[str] = []
    for record in re.split(r"^keychain: ", text, flags=re.MULTILINE):
        if 'class: "genp"' not in record:
            continue
        found: dict[str, str | None] = {}
        for line in record.splitlines():
            match = _ATTRIBUTE.match(line)
            if match:
                found[match["name"]] = parse_blob(match["value"])
        account = found.get("acct")
        if found.get("svce") == service and account:
            accounts.append(account)
    return sorted(set(accounts))


class AwsVaultKeychainSource:
    """The aws-vault items of one macOS keychain (aws-vault's ``--keychain``, default aws-vault)."""

    name = "keychain"

    def __init__(self, keychain: str, environ: Mapping[str, str], service: str = "aws-vault") -> None:
        self.keychain = keychain if keychain.endswith(".keychain") else keychain + ".keychain"
        self.service = service
        self._environ = environ

    def keys(self) -> list[str]:
        done = self._run(["dump-keychain", self.keychain], "list")
        return parse_dump(done.stdout, self.service)

    def read(self, key: str) -> bytes:
        done = self._run(
            ["find-generic-password", "-s", self.service, "-a", key, "-w", self.keychain], "read", key
        )
        return done.output[:-1] if done.output.endswith(b"\n") else done.output

    def remove(self, key: str) -> None:
        self._run(["delete-generic-password", "-s", self.service, "-a", key, self.keychain], "remove", key)

    def describe(self, key: str) -> str:
        return f"item {key!r} (service {self.service!r}) of the keychain {self.keychain}"

    def _run(self, args: list[str], action: str, key: str | None = None) -> Finished:
        what = self.describe(key) if key is not None else f"the keychain {self.keychain}"
        try:
            done = run_program([SECURITY, *args], environ=self._environ, limits=_LIMITS)
        except ProgramError as e:
            if e.kind == "missing":
                raise StoreUnavailableError(
                    "the macOS keychain cannot be read here: the security program is missing"
                ) from e
            raise StoreError(f"security could not {action} {what}: {e.kind}") from e
        if done.returncode == 0:
            return done
        reason = done.stderr_line or done.render_exit()
        if done.returncode == _NOT_FOUND:
            raise StoreError(f"there is no {what}")
        if re.search(r"interaction|locked|cancel", reason, re.IGNORECASE):
            raise StoreLockedError(f"security could not {action} {what}: {reason}")
        raise StoreError(f"security could not {action} {what}: {reason}")
