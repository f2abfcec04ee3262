"""The aws-vault store readers that cannot run here against a fake of their OS interface: the
macOS keychain through a fake `security` program on PATH (answering as security(1) does), the
Windows Credential Manager through a fake of pywin32-ctypes' win32cred. Neither was run on
macOS or Windows; the fakes follow Apple's and Microsoft's documented behaviour."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from awsafe.errors import StoreError, StoreLockedError, StoreUnavailableError, UsageError
from awsafe.migration.awsvault.keychain import AwsVaultKeychainSource, parse_dump
from awsafe.migration.awsvault.stores import AwsVaultSettings, open_source, resolve_default_backend
from awsafe.migration.awsvault.wincred import AwsVaultWincredSource

CREDENTIALS = b'{"AccessKeyID":"AKIAKEYCHAIN00000001","SecretAccessKey":"kc/secret","SessionToken":""}'

FAKE_SECURITY = r"""
import json, os, sys
db_path = os.environ["FAKE_SECURITY_DB"]
db = json.load(open(db_path))
with open(db_path + ".argv", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
if db.get("locked"):
    sys.stderr.write("security: SecKeychainSearchCopyNext: User interaction is not allowed.\n")
    sys.exit(36)
def option(name):
    return args[args.index(name) + 1]
keychain = args[-1]
items = [i for i in db["items"] if i["keychain"] == keychain]
if args[0] == "dump-keychain":
    for i in items:
        acct = i["acct"]
        shown = '0x' + acct.encode().hex().upper() + '  "' + acct + '"' if i.get("hex") else '"' + acct + '"'
        print('keychain: "/Users/me/Library/Keychains/' + keychain + '-db"')
        print("version: 512")
        print('class: "genp"')
        print("attributes:")
        print('    0x00000007 <blob>="' + i["label"] + '"')
        print('    "acct"<blob>=' + shown)
        print('    "cdat"<timedate>=0x32303233  "20230101000000Z\\000"')
        print('    "svce"<blob>="' + i["svce"] + '"')
    sys.exit(0)
matches = [i for i in items if i["svce"] == option("-s") and i["acct"] == option("-a")]
if not matches:
    sys.stderr.write("security: SecKeychainSearchCopyNext: The specified item could not be found"
                     " in the keychain.\n")
    sys.exit(44)
if args[0] == "find-generic-password":
    sys.stdout.write(matches[0]["data"] + "\n")
elif args[0] == "delete-generic-password":
    db["items"].remove(matches[0])
    json.dump(db, open(db_path, "w"))
    print("password has been deleted.")
"""


@pytest.fixture
def security(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A fake `security` on PATH over a JSON file of items; returns (environ, that file)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "security"
    program.write_text(f"#!{sys.executable}\n{FAKE_SECURITY}")
    program.chmod(0o755)
    db = tmp_path / "keychain.json"
    items = [
        {"keychain": "aws-vault.keychain", "svce": "aws-vault", "acct": "demo", "label": "aws-vault (demo)"},
        {"keychain": "aws-vault.keychain", "svce": "aws-vault", "acct": "ops é", "label": "x", "hex": True},
        {"keychain": "aws-vault.keychain", "svce": "something-else", "acct": "mail", "label": "x"},
        {"keychain": "login.keychain", "svce": "aws-vault", "acct": "elsewhere", "label": "x"},
    ]
    for item in items:
        item["data"] = CREDENTIALS.decode()
    db.write_text(json.dumps({"items": items}))
    environ = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_SECURITY_DB": str(db)}
    return environ, db


def test_keychain_lists_reads_and_removes_aws_vault_items(security: tuple[dict[str, str], Path]) -> None:
    environ, db = security
    source = AwsVaultKeychainSource("aws-vault", environ)
    assert source.keys() == ["demo", "ops é"]
    assert source.read("demo") == CREDENTIALS
    source.remove("demo")
    assert source.keys() == ["ops é"]
    calls = [json.loads(line) for line in Path(str(db) + ".argv").read_text().splitlines()]
    assert ["find-generic-password", "-s", "aws-vault", "-a", "demo", "-w", "aws-vault.keychain"] in calls
    assert all(call[-1] == "aws-vault.keychain" for call in calls)
    assert not any("kc/secret" in word for call in calls for word in call)  # the secret only on stdout


def test_keychain_missing_and_locked_items_are_store_errors(security: tuple[dict[str, str], Path]) -> None:
    environ, db = security
    source = AwsVaultKeychainSource("aws-vault", environ)
    with pytest.raises(StoreError, match="there is no item 'nosuch'"):
        source.read("nosuch")
    db.write_text(json.dumps({"items": [], "locked": True}))
    with pytest.raises(StoreLockedError, match="User interaction is not allowed"):
        source.keys()
    with pytest.raises(StoreUnavailableError, match="security program is missing"):
        AwsVaultKeychainSource("aws-vault", {"PATH": "/nonexistent"}).keys()


def test_parse_dump_keeps_only_the_service_and_decodes_hex_blobs() -> None:
    text = (
        'keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>=0x6F707320C3A9  "ops \\303\\251"\n'
        '    "svce"<blob>="aws-vault"\nkeychain: "/k"\nclass: "inet"\nattributes:\n'
        '    "acct"<blob>="web"\n    "svce"<blob>="aws-vault"\n'
        'keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>=<NULL>\n    "svce"<blob>="aws-vault"\n'
    )
    assert parse_dump(text, "aws-vault") == ["ops é"]


class FakeWin32Cred:
    """pywin32-ctypes' win32cred as it answers: dicts with TargetName and CredentialBlob bytes."""

    class Error(Exception):
        def __init__(self, winerror: int, strerror: str) -> None:
            super().__init__(winerror, "CredRead", strerror)
            self.winerror = winerror
            self.strerror = strerror

    def __init__(self, credentials: dict[str, bytes]) -> None:
        self.credentials = credentials

    def CredEnumerate(self, filter: str, flags: int) -> list[dict[str, Any]]:  # noqa: N802, A002
        assert filter.endswith("*") and flags == 0
        found = [{"TargetName": t} for t in self.credentials if t.startswith(filter[:-1])]
        if not found:
            raise self.Error(1168, "Element not found.")
        return found

    def CredRead(self, target: str, kind: int) -> dict[str, Any]:  # noqa: N802
        assert kind == 1  # CRED_TYPE_GENERIC
        if target not in self.credentials:
            raise self.Error(1168, "Element not found.")
        return {"TargetName": target, "CredentialBlob": self.credentials[target]}

    def CredDelete(self, target: str, kind: int) -> None:  # noqa: N802
        if self.credentials.pop(target, None) is None:
            raise self.Error(1168, "Element not found.")


def test_wincred_reads_aws_vaults_targets() -> None:
    api = FakeWin32Cred({"aws-vault:aws-vault:demo": CREDENTIALS, "git:https://github.com": b"x"})
    source = AwsVaultWincredSource(api=api)
    assert source.keys() == ["demo"]
    assert source.read("demo") == CREDENTIALS
    assert source.describe("demo") == "Windows credential 'aws-vault:aws-vault:demo'"
    source.remove("demo")
    source.remove("demo")  # already gone: nothing to do
    assert source.keys() == []
    with pytest.raises(StoreError, match="could not be read: Element not found"):
        source.read("demo")


@pytest.mark.parametrize(
    ("platform", "bus", "has_pass", "expected"),
    [
        ("win32", False, False, "wincred"),
        ("darwin", True, True, "keychain"),
        ("linux", True, True, "secret-service"),
        ("linux", False, True, "keyctl"),  # aws-vault's own choice, which it cannot open either
        ("freebsd14", False, True, "pass"),
        ("freebsd14", False, False, "file"),
    ],
)
def test_the_default_store_is_aws_vaults_own(platform: str, bus: bool, has_pass: bool, expected: str) -> None:
    assert resolve_default_backend(platform, session_bus=bus, has_pass=has_pass) == expected


def test_open_source_names_stores_it_cannot_read(tmp_path: Path) -> None:
    settings = AwsVaultSettings(file_dir=tmp_path, passphrase=lambda: "x")
    assert open_source("file", settings).name == "file"
    with pytest.raises(UsageError, match="awsafe cannot read aws-vault's kwallet store"):
        open_source("kwallet", settings)
    with pytest.raises(UsageError, match="unknown aws-vault store 'nosuch'"):
        open_source("nosuch", settings)
