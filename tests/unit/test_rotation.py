"""The rotate procedure with fakes: the order of its steps, every failure branch, where each key ends up."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from awsafe.aws import client as aws
from awsafe.aws.iam import AccessKeyInfo, IamKeys
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import AwsError, NoCredentialsError, StoreError, UsageError
from awsafe.model import Credentials
from awsafe.rotation import Rotator, find_key_owner, parse_user_arn
from awsafe.vault.memory import MemoryStore
from awsafe.wiring.rotation import iam_endpoint, rotate_timeout

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
USER_ARN = "arn:aws:iam::123456789012:user/demo"
OLD = Credentials("AKIAOLDOLDOLDOLD0001", "old-secret-old-secret")
NEW = Credentials("AKIANEWNEWNEWNEW0002", "new-secret-new-secret")
OTHER = "AKIAOTHEROTHEROTH003"


class FakeVault:
    """StoredKeys over a memory store, whose writes can be made to fail, logging what it is asked."""

    def __init__(self, events: list[str]) -> None:
        self._keys = StoredKeys(MemoryStore())
        self._keys.set("demo", OLD)
        self.events = events
        self.fail_writes: set[str] = set()  # key ids whose write fails

    @property
    def backend(self) -> str:
        return "memory"

    def get(self, profile: str) -> Credentials | None:
        return self._keys.get(profile)

    def set(self, profile: str, credentials: Credentials) -> None:
        self.events.append(f"vault.set {credentials.access_key_id}")
        if credentials.access_key_id in self.fail_writes:
            raise StoreError("the keychain refused the write")
        self._keys.set(profile, credentials)

    def holds(self) -> str | None:
        held = self._keys.get("demo")
        return None if held is None else held.access_key_id


class FakeIam:
    def __init__(self, events: list[str], keys: list[str]) -> None:
        self.events = events
        self.keys = list(keys)
        self.fail_delete: set[str] = set()

    def list_access_keys(self, user: str) -> list[AccessKeyInfo]:
        self.events.append(f"iam.list {user}")
        return [AccessKeyInfo(k, "Active") for k in self.keys]

    def create_access_key(self, user: str) -> Credentials:
        self.events.append(f"iam.create {user}")
        self.keys.append(NEW.access_key_id)
        return NEW

    def delete_access_key(self, user: str, key_id: str) -> None:
        self.events.append(f"iam.delete {user} {key_id}")
        if key_id in self.fail_delete:
            raise AwsError(f"DeleteAccessKey {key_id} failed: AccessDenied", code="AccessDenied", status=403)
        self.keys.remove(key_id)


class World:
    """A rotator wired to fakes, with a clock that only the fake sleep moves."""

    def __init__(self, keys: list[str] | None = None) -> None:
        self.events: list[str] = []
        self.vault = FakeVault(self.events)
        self.iam = FakeIam(self.events, keys if keys is not None else [OLD.access_key_id])
        self.now = NOW
        self.sleeps: list[float] = []
        self.notices: list[str] = []
        self.new_key_fails = 0  # how many probes of the new key fail before it works (-1: never)
        self.new_key_arn = USER_ARN
        self.old_key_arn = USER_ARN
        self.cleared = 3
        self.clear_error: StoreError | None = None
        self.interrupt_on_sleep = False
        self.rotator = Rotator(
            keys=self.vault,
            caller_arn=self.caller_arn,
            iam_for=self.iam_for,
            clear_sessions=self.clear_sessions,
            clock=lambda: self.now,
            sleep=self.sleep,
            notice=self.notices.append,
            timeout=dt.timedelta(seconds=10),
            by_hand="awsafe exec demo --no-session -- aws",
        )

    def caller_arn(self, credentials: Credentials, probe: bool) -> str:
        self.events.append(f"sts.whoami {credentials.access_key_id}" + (" probe" if probe else ""))
        if credentials == NEW:
            if self.new_key_fails != 0:
                self.new_key_fails -= 1
                raise AwsError("GetCallerIdentity failed: InvalidClientTokenId", code="InvalidClientTokenId")
            return self.new_key_arn
        return self.old_key_arn

    def iam_for(self, credentials: Credentials) -> FakeIam:
        self.events.append(f"iam_for {credentials.access_key_id}")
        return self.iam

    def clear_sessions(self) -> int:
        self.events.append("clear_sessions")
        if self.clear_error is not None:
            raise self.clear_error
        return self.cleared

    def sleep(self, seconds: float) -> None:
        self.events.append(f"sleep {seconds:g}")
        if self.interrupt_on_sleep:
            raise KeyboardInterrupt
        self.sleeps.append(seconds)
        self.now += dt.timedelta(seconds=seconds)

    def text(self) -> str:
        return "\n".join(self.notices)


def probes(world: World) -> list[str]:
    return [e for e in world.events if e.startswith(f"sts.whoami {NEW.access_key_id}")]


def test_happy_path_runs_the_steps_in_order() -> None:
    world = World()
    result = world.rotator.rotate("demo")
    assert world.events == [
        f"sts.whoami {OLD.access_key_id}",
        f"iam_for {OLD.access_key_id}",
        "iam.list demo",
        "iam.create demo",
        f"vault.set {NEW.access_key_id}",
        f"sts.whoami {NEW.access_key_id} probe",
        f"iam.delete demo {OLD.access_key_id}",
        "clear_sessions",
    ]
    assert (result.user.name, result.profile, result.old_key_id, result.new_key_id) == (
        "demo",
        "demo",
        OLD.access_key_id,
        NEW.access_key_id,
    )
    assert result.sessions_cleared == 3
    assert world.vault.holds() == NEW.access_key_id
    assert world.iam.keys == [NEW.access_key_id]
    assert world.notices == [
        f"Rotating access key {OLD.access_key_id} of IAM user 'demo' (profile 'demo')",
        f"Created a new access key {NEW.access_key_id}",
        "Stored the new key in the memory vault for profile 'demo'",
        "The new key works",
        f"Deleted the old key {OLD.access_key_id}",
        "Cleared 3 cached sessions",
    ]


def test_a_new_key_that_works_after_a_while_is_polled_every_two_seconds() -> None:
    world = World()
    world.new_key_fails = 2
    world.rotator.rotate("demo")
    assert world.sleeps == [2, 2]
    assert len(probes(world)) == 3
    assert world.vault.holds() == NEW.access_key_id


def test_no_keys_in_the_vault_changes_nothing() -> None:
    world = World()
    with pytest.raises(NoCredentialsError, match="no keys stored for profile 'other'"):
        world.rotator.rotate("other")
    assert world.events == []


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:root",
        "arn:aws:sts::123456789012:assumed-role/admin/session",
        "arn:aws:sts::123456789012:user/moto",
        "arn:aws:sts::123456789012:federated-user/bob",
    ],
)
def test_keys_that_are_not_an_iam_users_are_refused_before_any_iam_call(arn: str) -> None:
    world = World()
    world.old_key_arn = arn
    with pytest.raises(UsageError, match="not to an IAM user"):
        world.rotator.rotate("demo")
    assert world.events == [f"sts.whoami {OLD.access_key_id}"]


def test_root_keys_are_named_as_such() -> None:
    with pytest.raises(UsageError, match="the account's root user") as caught:
        parse_user_arn("arn:aws:iam::123456789012:root", profile="demo")
    assert caught.value.hint is not None and "console" in caught.value.hint


def test_user_arns_with_a_path_and_other_partitions() -> None:
    user = parse_user_arn("arn:aws-cn:iam::123456789012:user/division/team/Bob.Smith", profile="p")
    assert (user.name, user.path, user.account) == ("Bob.Smith", "/division/team/", "123456789012")
    assert parse_user_arn(USER_ARN, profile="p").path == "/"


def test_a_user_with_two_keys_is_refused_before_any_change() -> None:
    world = World(keys=[OLD.access_key_id, OTHER])
    with pytest.raises(AwsError) as caught:
        world.rotator.rotate("demo")
    error = caught.value
    assert error.exit_code == 7 and error.code == "LimitExceeded"
    assert f"{OLD.access_key_id} (in the vault for profile 'demo'), {OTHER}" in error.message
    assert "nothing was changed" in error.message
    assert error.hint == (
        "delete the one not in use first: awsafe exec demo --no-session -- aws iam delete-access-key "
        f"--user-name demo --access-key-id {OTHER}"
    )
    assert world.events[-1] == "iam.list demo"
    assert world.vault.holds() == OLD.access_key_id


def test_storing_the_new_key_fails_so_it_is_deleted_and_the_old_stays() -> None:
    world = World()
    world.vault.fail_writes.add(NEW.access_key_id)
    with pytest.raises(StoreError) as caught:
        world.rotator.rotate("demo")
    assert world.events[-2:] == [f"vault.set {NEW.access_key_id}", f"iam.delete demo {NEW.access_key_id}"]
    assert f"the vault still holds the old key {OLD.access_key_id}" in caught.value.message
    assert f"the new key {NEW.access_key_id} was deleted" in caught.value.message
    assert caught.value.hint is None
    assert world.vault.holds() == OLD.access_key_id
    assert world.iam.keys == [OLD.access_key_id]


def test_storing_the_new_key_fails_and_so_does_deleting_it() -> None:
    world = World()
    world.vault.fail_writes.add(NEW.access_key_id)
    world.iam.fail_delete.add(NEW.access_key_id)
    with pytest.raises(StoreError) as caught:
        world.rotator.rotate("demo")
    assert f"the new key {NEW.access_key_id} could not be deleted" in caught.value.message
    assert caught.value.hint is not None and f"--access-key-id {NEW.access_key_id}" in caught.value.hint
    assert world.vault.holds() == OLD.access_key_id


def test_a_new_key_that_never_works_puts_the_old_key_back_and_deletes_the_new_one() -> None:
    world = World()
    world.new_key_fails = -1
    with pytest.raises(AwsError) as caught:
        world.rotator.rotate("demo")
    # bounded: 10 s of sleeps in steps of at most 2 s, one single-attempt probe after each
    assert sum(world.sleeps) == 10 and max(world.sleeps) <= 2
    assert len(probes(world)) == len(world.sleeps) + 1 == 6
    assert all(p.endswith(" probe") for p in probes(world))
    assert world.events[-2:] == [f"vault.set {OLD.access_key_id}", f"iam.delete demo {NEW.access_key_id}"]
    assert "clear_sessions" not in world.events
    assert world.vault.holds() == OLD.access_key_id  # the old key is back in the vault
    assert world.iam.keys == [OLD.access_key_id]
    message = caught.value.message
    assert f"the new access key {NEW.access_key_id} of IAM user 'demo' did not work within 10 s" in message
    assert f"the vault holds the old key {OLD.access_key_id} again" in message
    assert f"the new key {NEW.access_key_id} was deleted" in message
    assert caught.value.code == "InvalidClientTokenId"


def test_a_zero_timeout_probes_once_and_never_sleeps() -> None:
    world = World()
    world.new_key_fails = -1
    world.rotator.timeout = dt.timedelta(0)
    with pytest.raises(AwsError):
        world.rotator.rotate("demo")
    assert world.sleeps == [] and len(probes(world)) == 1


def test_the_last_sleep_is_cut_to_the_deadline() -> None:
    world = World()
    world.new_key_fails = -1
    world.rotator.timeout = dt.timedelta(seconds=3)
    with pytest.raises(AwsError):
        world.rotator.rotate("demo")
    assert world.sleeps == [2, 1]


def test_a_new_key_acting_as_someone_else_does_not_count_as_working() -> None:
    world = World()
    world.new_key_arn = "arn:aws:iam::123456789012:user/mallory"
    with pytest.raises(AwsError, match="answered arn:aws:iam::123456789012:user/mallory"):
        world.rotator.rotate("demo")
    assert world.vault.holds() == OLD.access_key_id


def test_a_new_key_that_never_works_and_cannot_be_deleted_is_named() -> None:
    world = World()
    world.new_key_fails = -1
    world.iam.fail_delete.add(NEW.access_key_id)
    with pytest.raises(AwsError) as caught:
        world.rotator.rotate("demo")
    assert f"the vault holds the old key {OLD.access_key_id} again" in caught.value.message
    assert f"the new key {NEW.access_key_id} could not be deleted" in caught.value.message
    assert caught.value.hint == (
        "delete it by hand: awsafe exec demo --no-session -- aws iam delete-access-key --user-name demo "
        f"--access-key-id {NEW.access_key_id}"
    )
    assert world.vault.holds() == OLD.access_key_id
    assert world.iam.keys == [OLD.access_key_id, NEW.access_key_id]


def test_a_new_key_that_never_works_and_the_old_cannot_be_restored_keeps_both_at_iam() -> None:
    world = World()
    world.new_key_fails = -1
    world.vault.fail_writes.add(OLD.access_key_id)
    with pytest.raises(AwsError) as caught:
        world.rotator.rotate("demo")
    assert f"the vault holds the new key {NEW.access_key_id}" in caught.value.message
    assert "both keys are still active at IAM" in caught.value.message
    assert not any(e.startswith("iam.delete") for e in world.events)
    assert world.iam.keys == [OLD.access_key_id, NEW.access_key_id]


def test_deleting_the_old_key_fails_but_the_new_one_stays_and_sessions_are_cleared() -> None:
    world = World()
    world.iam.fail_delete.add(OLD.access_key_id)
    with pytest.raises(AwsError) as caught:
        world.rotator.rotate("demo")
    assert world.events[-2:] == [f"iam.delete demo {OLD.access_key_id}", "clear_sessions"]
    assert world.vault.holds() == NEW.access_key_id
    error = caught.value
    assert (error.code, error.status) == ("AccessDenied", 403)
    assert f"the vault holds the new access key {NEW.access_key_id}" in error.message
    assert f"deleting the old key {OLD.access_key_id} failed" in error.message
    assert error.hint == (
        "delete it by hand: awsafe exec demo --no-session -- aws iam delete-access-key --user-name demo "
        f"--access-key-id {OLD.access_key_id}"
    )
    assert "Cleared 3 cached sessions" in world.notices


def test_clearing_sessions_fails_after_a_complete_rotation() -> None:
    world = World()
    world.clear_error = StoreError("locked")
    with pytest.raises(StoreError) as caught:
        world.rotator.rotate("demo")
    assert f"the old key {OLD.access_key_id} is deleted" in caught.value.message
    assert caught.value.hint == "run: awsafe clear"
    assert world.vault.holds() == NEW.access_key_id


def test_an_interrupt_while_waiting_says_where_the_keys_are() -> None:
    world = World()
    world.new_key_fails = -1
    world.interrupt_on_sleep = True
    with pytest.raises(KeyboardInterrupt):
        world.rotator.rotate("demo")
    assert OLD.access_key_id in world.notices[-1] and NEW.access_key_id in world.notices[-1]
    assert "awsafe export demo --no-session" in world.notices[-1]


def test_no_secret_in_any_message() -> None:
    for setup in (
        lambda w: None,
        lambda w: w.iam.fail_delete.add(OLD.access_key_id),
        lambda w: setattr(w, "new_key_fails", -1),
        lambda w: w.vault.fail_writes.add(NEW.access_key_id),
    ):
        world = World()
        setup(world)
        try:
            world.rotator.rotate("demo")
        except AwsError as e:
            world.notices += [e.message, e.hint or ""]
        except StoreError as e:
            world.notices += [e.message, e.hint or ""]
        for secret in (OLD.secret_access_key, NEW.secret_access_key):
            assert secret not in world.text()


def profile(name: str, source: str | None = None) -> ProfileConfig:
    return ProfileConfig(name=name, source_profile=source)


def test_the_key_owner_is_the_first_profile_of_the_chain_with_stored_keys() -> None:
    vault = FakeVault([])
    chain = [profile("test", "demo"), profile("demo")]
    assert find_key_owner(chain, vault).name == "demo"
    with pytest.raises(NoCredentialsError) as caught:
        find_key_owner([profile("a", "b"), profile("b")], vault)
    assert "for profile 'a' or its source profiles (a -> b)" in caught.value.message
    assert caught.value.hint == "store keys with: awsafe add b"


# -- aws.iam: the exact IAM parameters (botocore Stubber) ----------------------------------


@pytest.fixture
def iam_stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, list[int]]]:
    client = botocore.session.get_session().create_client(
        "iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    made: list[int] = []  # the attempts of each client made

    def fake_client(service: str, credentials: Credentials, endpoint: aws.Endpoint, **kwargs: int) -> Any:
        assert service == "iam"
        made.append(kwargs["attempts"])
        return client

    monkeypatch.setattr(aws, "make_client", fake_client)
    with Stubber(client) as stubber:
        yield stubber, made
        stubber.assert_no_pending_responses()


def test_iam_calls_name_the_user_and_create_is_never_retried(iam_stub: tuple[Stubber, list[int]]) -> None:
    stubber, made = iam_stub
    created = {"UserName": "demo", "AccessKeyId": NEW.access_key_id, "SecretAccessKey": NEW.secret_access_key}
    stubber.add_response(
        "list_access_keys",
        {"AccessKeyMetadata": [{"AccessKeyId": OLD.access_key_id, "Status": "Active"}]},
        {"UserName": "demo"},
    )
    stubber.add_response(
        "create_access_key", {"AccessKey": {**created, "Status": "Active"}}, {"UserName": "demo"}
    )
    stubber.add_response("delete_access_key", {}, {"UserName": "demo", "AccessKeyId": OLD.access_key_id})
    iam = IamKeys(OLD, aws.Endpoint())
    assert iam.list_access_keys("demo") == [AccessKeyInfo(OLD.access_key_id, "Active")]
    assert iam.create_access_key("demo") == NEW
    iam.delete_access_key("demo", OLD.access_key_id)
    assert made == [4, 1]  # list and delete share a retrying client; create gets one attempt


def test_iam_delete_of_a_key_already_gone_is_not_an_error(iam_stub: tuple[Stubber, list[int]]) -> None:
    stubber, _ = iam_stub
    stubber.add_client_error("delete_access_key", "NoSuchEntity", http_status_code=404)
    IamKeys(OLD, aws.Endpoint()).delete_access_key("demo", OLD.access_key_id)


def test_iam_errors_become_aws_errors_without_secrets(iam_stub: tuple[Stubber, list[int]]) -> None:
    stubber, _ = iam_stub
    stubber.add_client_error(
        "create_access_key", "LimitExceeded", "Cannot exceed quota", http_status_code=409
    )
    with pytest.raises(AwsError) as caught:
        IamKeys(OLD, aws.Endpoint()).create_access_key("demo")
    assert caught.value.code == "LimitExceeded"
    assert "CreateAccessKey for IAM user 'demo' failed: LimitExceeded" in caught.value.message
    assert OLD.secret_access_key not in caught.value.message


# -- wiring.rotation and cli.rotate: where IAM is called, how long the new key may take -----


def test_iam_endpoint_prefers_the_iam_variable_then_the_generic_one_then_the_profile() -> None:
    configured = ProfileConfig(name="demo", region="ap-northeast-2", endpoint_url="http://profile")
    both = {"AWS_ENDPOINT_URL_IAM": "http://iam", "AWS_ENDPOINT_URL": "http://all"}
    assert iam_endpoint(both, configured) == aws.Endpoint("ap-northeast-2", "http://iam")
    assert iam_endpoint({"AWS_ENDPOINT_URL": "http://all"}, configured).url == "http://all"
    assert iam_endpoint({"AWS_ENDPOINT_URL_STS": "http://sts"}, configured).url == "http://profile"
    ignored = {**both, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert iam_endpoint(ignored, configured) == aws.Endpoint("ap-northeast-2", None)
    assert iam_endpoint({}, ProfileConfig(name="x")) == aws.Endpoint("us-east-1", None)


def _env(environ: dict[str, str]) -> Environment:
    return Environment(
        environ, io.StringIO(), io.StringIO(), io.StringIO(), Path("/nonexistent"), lambda: NOW
    )


@pytest.mark.parametrize(("text", "seconds"), [(None, 60), ("3s", 3), ("2m", 120), ("90", 90), ("0", 0)])
def test_rotate_timeout_from_the_environment(text: str | None, seconds: int) -> None:
    environ = {} if text is None else {"AWSAFE_ROTATE_TIMEOUT": text}
    assert rotate_timeout(_env(environ)) == dt.timedelta(seconds=seconds)


def test_a_malformed_rotate_timeout_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="AWSAFE_ROTATE_TIMEOUT: 'soon' is not a duration"):
        rotate_timeout(_env({"AWSAFE_ROTATE_TIMEOUT": "soon"}))
