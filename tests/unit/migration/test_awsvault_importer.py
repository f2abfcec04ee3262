"""`import aws-vault`'s rules over any store: which items move, what a key that will not open
does to the rest, and that aws-vault forgets a key only once awsafe's vault holds it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from awsafe.credentials.stored import read_keys
from awsafe.errors import (
    NoCredentialsError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
)
from awsafe.migration.awsvault.filestore import parse_file_name, render_file_name
from awsafe.migration.awsvault.importer import import_found, read_items
from awsafe.migration.awsvault.items import parse_credential_json, parse_item_name, parse_keyring_item
from awsafe.migration.awsvault.secretservice import parse_object_path
from awsafe.migration.transfer import Outcome
from awsafe.model import Credentials
from awsafe.vault.memory import MemoryStore

DEMO = Credentials("AKIADEMODEMODEMO0001", "demo/secret")
OPS = Credentials("AKIAOPSOPSOPSOPS0001", "ops/secret")


def _json(key: Credentials, token: str = "") -> bytes:
    return json.dumps(
        {"AccessKeyID": key.access_key_id, "SecretAccessKey": key.secret_access_key, "SessionToken": token}
    ).encode()


class FakeSource:
    """An aws-vault store in memory; items in ``locked`` raise as a file under another passphrase."""

    name = "file"

    def __init__(
        self, items: dict[str, Any], locked: tuple[str, ...] = (), target: MemoryStore | None = None
    ):
        self.items = items
        self.locked = locked
        self.target = target
        self.removed: list[str] = []

    def keys(self) -> list[str]:
        return sorted(self.items)

    def read(self, key: str) -> bytes:
        if key in self.locked:
            raise StoreLockedError(f"{key} could not be opened")
        if isinstance(self.items[key], Exception):
            raise self.items[key]
        return self.items[key]

    def remove(self, key: str) -> None:
        # aws-vault forgets a key only once awsafe's vault holds it
        assert self.target is not None and read_keys(self.target, key) is not None
        self.removed.append(key)
        del self.items[key]

    def describe(self, key: str) -> str:
        return f"/keys/{key}"


SESSION = "sts.AssumeRole,ZGVtbw,YXJuOmF3czppYW06OjEyMzQ1Njc4OTAxMjptZmEvZGVtbw,1700000000"


def test_only_long_term_keys_are_candidates() -> None:
    source = FakeSource(
        {
            "demo": _json(DEMO),
            "temp": _json(OPS, token="a-session-token"),
            SESSION: _json(OPS, token="x"),
            "session,ZGVtbw,,1600000000": b"{}",
            "oidc:https://corp.awsapps.com/start": b"{}",
            "bad[name": _json(OPS),
            "junk": b"not json",
        }
    )
    found = read_items(source)
    assert [(c.profile, c.credentials, c.origin) for c in found.candidates] == [("demo", DEMO, "/keys/demo")]
    reasons = {left.key: left.reason for left in found.skipped}
    assert reasons == {
        "temp": "temporary credentials (a session token), renewed anyway",
        SESSION: "cached a role session (renewed anyway)",
        "session,ZGVtbw,,1600000000": "cached an STS session (renewed anyway)",
        "oidc:https://corp.awsapps.com/start": (
            "an IAM Identity Center token (sign in again: awsafe sso login)"
        ),
        "bad[name": "not a profile name awsafe can write into ~/.aws/config",
        "junk": "unreadable: /keys/junk holds no aws-vault credentials",
    }
    assert found.unopened == []


def test_a_named_profile_must_exist_and_limits_the_import() -> None:
    source = FakeSource({"demo": _json(DEMO), "ops": _json(OPS)})
    found = read_items(source, ["ops"])
    assert [c.profile for c in found.candidates] == ["ops"] and found.skipped == []
    with pytest.raises(NoCredentialsError, match="no item for profile\\(s\\) 'nosuch'"):
        read_items(source, ["ops", "nosuch"])


def test_keys_that_will_not_open_stop_the_import_only_when_nothing_opens_or_they_were_named() -> None:
    target = MemoryStore()
    source = FakeSource({"demo": _json(DEMO), "ops": _json(OPS)}, locked=("ops",), target=target)
    with pytest.raises(StoreLockedError, match="'ops' could not be opened with this passphrase; nothing"):
        import_found(read_items(source, ["demo", "ops"]), source, target, named=True)
    assert target.keys() == []
    everything_locked = FakeSource({"demo": _json(DEMO), "ops": _json(OPS)}, locked=("demo", "ops"))
    with pytest.raises(StoreLockedError, match="'demo', 'ops' could not be opened"):
        import_found(read_items(everything_locked), everything_locked, target)
    assert target.keys() == []

    found = read_items(source)
    results = import_found(found, source, target, delete_source=True)
    assert [(r.candidate.profile, r.outcome, r.source_deleted) for r in results] == [
        ("demo", Outcome.MOVED, True)
    ]
    assert [left.key for left in found.unopened] == ["ops"]
    assert source.removed == ["demo"] and read_keys(target, "demo") == DEMO


def test_an_item_that_cannot_be_read_stays_and_a_store_that_cannot_be_used_stops() -> None:
    target = MemoryStore()
    source = FakeSource({"demo": _json(DEMO), "gone": StoreError("there is no item 'gone'")}, target=target)
    source.name = "secret-service"
    found = read_items(source)
    assert [(left.key, left.reason) for left in found.unopened] == [
        ("gone", "could not be read (there is no item 'gone')")
    ]
    assert [r.outcome for r in import_found(found, source, target)] == [Outcome.MOVED]
    with pytest.raises(StoreError, match="^aws-vault's secret-service store: 'gone' could not be read \\("):
        import_found(read_items(source, ["gone"]), source, MemoryStore(), named=True)
    broken = FakeSource({"demo": StoreUnavailableError("the Secret Service is not available here")})
    with pytest.raises(StoreUnavailableError):
        read_items(broken)


def test_item_name_classification_follows_aws_vault() -> None:
    assert parse_item_name("demo").long_term
    assert parse_item_name("a,b").long_term  # not a session key: three commas and a number
    assert parse_item_name("x,ZGVtbw,,12").skip_reason == "cached a x session (renewed anyway)"
    assert parse_item_name("x,not base64!,,12").long_term
    assert parse_item_name("session:demo::2020").skip_reason is not None
    assert parse_item_name("demo session (1600000000)").skip_reason is not None


def test_credential_json_of_both_sdk_generations() -> None:
    v1 = b'{"AccessKeyID":"AKIA1","SecretAccessKey":"s","SessionToken":"","ProviderName":"EnvProvider"}'
    assert parse_credential_json(v1, "w") == (Credentials("AKIA1", "s"), None)
    v2 = b'{"AccessKeyID":"AKIA2","SecretAccessKey":"s","SessionToken":"","Source":"","CanExpire":false}'
    assert parse_credential_json(v2, "w") == (Credentials("AKIA2", "s"), None)
    with pytest.raises(StoreCorruptError, match="^w holds no aws-vault credentials$"):
        parse_credential_json(b'{"AccessKeyId":"sts-casing","SecretAccessKey":"s"}', "w")
    item = json.dumps({"Key": "demo", "Data": base64.b64encode(v1).decode(), "Label": "aws-vault (demo)"})
    assert parse_keyring_item(item.encode(), "w") == v1
    with pytest.raises(StoreCorruptError, match="^w is not an aws-vault keyring item$"):
        parse_keyring_item(b'{"Key":"demo","Data":"%%%"}', "w")


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("demo", "demo"),
        ("team/ops", "team%2Fops"),
        ("50%", "50%25"),
        ("oidc:https://x/", "oidc:https:%2F%2Fx%2F"),
    ],
)
def test_file_names_are_escaped_as_aws_vault_escapes_them(key: str, name: str) -> None:
    assert render_file_name(key) == name
    assert parse_file_name(name) == key


def test_file_names_decode_leniently_as_aws_vault_does() -> None:
    assert parse_file_name("a%2fb%zz%4") == "a/b%zz%4"  # lower-case hex; stray percents stay


def test_object_paths_decode_gnome_keyrings_escapes() -> None:
    assert parse_object_path("/org/freedesktop/secrets/collection/aws_2dvault") == (
        "/org/freedesktop/secrets/collection/aws-vault"
    )
    assert parse_object_path("/collection/bad_zz") == "/collection/bad_zz"
