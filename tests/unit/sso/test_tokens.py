"""SSO access tokens (`awsafe.sso.tokens.SsoTokens`) on a fake clock, with the OIDC calls faked:
when a token is refreshed, what a failed refresh leaves behind, and when a sign-in starts.

The OIDC service is replaced at the adapter's two functions (``awsafe.aws.sso.create_token`` and
``register_client``); the flows against a real HTTP fake are in tests/e2e/test_sso*.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from awsafe.aws import sso as api
from awsafe.aws.sso import ClientRegistration, Registrations, TokenGrant
from awsafe.errors import AwsError
from awsafe.sso.settings import SsoEndpoints, SsoSession
from awsafe.sso.store import SsoToken, SsoTokenStore
from awsafe.sso.tokens import SsoTokens
from awsafe.vault.memory import MemoryStore

START = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
SESSION = SsoSession("https://corp.awsapps.com/start", "us-east-1", "corp", ("sso:account:access",))
REGISTRATION = ClientRegistration(
    "client-id", "client-secret", START + dt.timedelta(days=90), "device", SESSION.scopes
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


class NoLocks:
    def __init__(self) -> None:
        self.held: list[str] = []

    @contextlib.contextmanager
    def hold(self, name: str, label: str) -> Iterator[None]:
        self.held.append(label)
        yield


@dataclasses.dataclass
class Oidc:
    """The fake OIDC service: answers refreshes with ``answer`` (a grant, or an AwsError to raise)."""

    clock: Clock
    answer: TokenGrant | AwsError | None = None
    refreshes: list[dict[str, str]] = dataclasses.field(default_factory=list)
    before_answer: Callable[[], object] = lambda: None

    def create_token(
        self, endpoint: object, client: ClientRegistration, now: dt.datetime, what: str, **grant: str
    ) -> TokenGrant:
        self.refreshes.append({"client": client.client_id, **grant})
        self.before_answer()
        if isinstance(self.answer, AwsError):
            raise self.answer
        return self.answer or TokenGrant("refreshed-access", now + dt.timedelta(hours=8), "rotated-refresh")


class SignIns:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.count = 0

    def __call__(self, session: SsoSession, registrations: Registrations) -> TokenGrant:
        self.count += 1
        registrations("device")
        return TokenGrant(f"signed-in-{self.count}", self.clock() + dt.timedelta(hours=8), "new-refresh")


@dataclasses.dataclass
class World:
    clock: Clock
    store: SsoTokenStore
    oidc: Oidc
    sign_in: SignIns
    notices: list[str]
    locks: NoLocks

    def tokens(self) -> SsoTokens:
        return SsoTokens(
            self.store, self.locks, self.clock, SsoEndpoints(), self.sign_in, notice=self.notices.append
        )

    def stored(self, access: str = "old-access", left: dt.timedelta = dt.timedelta(hours=1)) -> SsoToken:
        token = SsoToken(access, self.clock() + left, "old-refresh", REGISTRATION)
        self.store.put_token(SESSION, token)
        return token


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    clock = Clock()
    oidc = Oidc(clock)
    monkeypatch.setattr(api, "create_token", oidc.create_token)

    def no_registration(*args: object, **kwargs: object) -> ClientRegistration:
        raise AssertionError("a stored registration was not reused")

    monkeypatch.setattr(api, "register_client", no_registration)
    store = SsoTokenStore(MemoryStore())
    store.put_registration(SESSION, REGISTRATION)
    return World(clock, store, oidc, SignIns(clock), [], NoLocks())


def rejected() -> AwsError:
    return AwsError("the refresh token was refused", code="InvalidGrantException", status=400)


def unavailable() -> AwsError:
    return AwsError("IAM Identity Center is unavailable", code="InternalServerException", status=500)


def test_a_token_with_more_than_15_minutes_left_is_used_as_it_is(world: World) -> None:
    world.stored(left=dt.timedelta(minutes=15, seconds=1))
    assert world.tokens().access_token(SESSION) == "old-access"
    assert world.oidc.refreshes == [] and world.sign_in.count == 0 and world.locks.held == []


def test_a_token_with_15_minutes_left_is_refreshed_and_the_new_one_kept(world: World) -> None:
    world.stored(left=dt.timedelta(minutes=15))
    assert world.tokens().access_token(SESSION) == "refreshed-access"
    assert world.oidc.refreshes == [
        {"client": "client-id", "grantType": "refresh_token", "refreshToken": "old-refresh"}
    ]
    kept = world.store.token(SESSION)
    assert kept is not None and kept.access_token == "refreshed-access"
    assert kept.refresh_token == "rotated-refresh" and kept.registration == REGISTRATION
    assert world.sign_in.count == 0
    assert world.locks.held == ["the SSO token of sso-session 'corp'"]


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(world: World) -> None:
    world.stored(left=dt.timedelta(minutes=1))
    world.oidc.answer = TokenGrant("refreshed-access", START + dt.timedelta(hours=8), None)
    world.tokens().access_token(SESSION)
    kept = world.store.token(SESSION)
    assert kept is not None and kept.refresh_token == "old-refresh"


def test_a_failed_refresh_of_a_usable_token_keeps_using_it_and_says_so(world: World) -> None:
    world.stored(left=dt.timedelta(minutes=10))
    world.oidc.answer = unavailable()
    assert world.tokens().access_token(SESSION) == "old-access"
    assert world.notices == [
        "IAM Identity Center is unavailable; using the current token, valid for 10 more minutes"
    ]
    kept = world.store.token(SESSION)
    assert kept is not None and kept.refresh_token == "old-refresh"  # worth trying again later
    assert world.sign_in.count == 0


def test_a_transient_failure_with_an_expired_token_keeps_the_refresh_token_and_starts_no_sign_in(
    world: World,
) -> None:
    world.stored(left=dt.timedelta(minutes=-5))
    world.oidc.answer = unavailable()
    with pytest.raises(AwsError, match="the refresh token is kept, no new sign-in was started") as raised:
        world.tokens().access_token(SESSION)
    assert raised.value.status == 500 and raised.value.hint is not None
    kept = world.store.token(SESSION)
    assert kept is not None and kept.refresh_token == "old-refresh"
    assert world.sign_in.count == 0


def test_a_rejected_refresh_of_an_expired_token_signs_in_exactly_once(world: World) -> None:
    world.stored(left=dt.timedelta(seconds=30))
    world.oidc.answer = rejected()
    assert world.tokens().access_token(SESSION) == "signed-in-1"
    assert world.sign_in.count == 1 and len(world.oidc.refreshes) == 1
    assert world.notices == ["the refresh token was refused; signing in again"]
    kept = world.store.token(SESSION)
    assert kept is not None and kept.access_token == "signed-in-1" and kept.refresh_token == "new-refresh"
    assert kept.registration == REGISTRATION  # the stored registration was reused


def test_a_rejected_refresh_of_a_usable_token_uses_it_and_never_retries_that_refresh_token(
    world: World,
) -> None:
    world.stored(left=dt.timedelta(minutes=10))
    world.oidc.answer = rejected()
    tokens = world.tokens()
    assert tokens.access_token(SESSION) == "old-access"
    kept = world.store.token(SESSION)
    assert kept is not None and kept.refresh_token is None
    assert tokens.access_token(SESSION) == "old-access"  # 10 minutes left, nothing to refresh with
    assert len(world.oidc.refreshes) == 1 and world.sign_in.count == 0


def test_a_rejected_refresh_uses_the_token_another_process_stored_meanwhile(world: World) -> None:
    world.stored(left=dt.timedelta(minutes=-1))

    def another_process_renews() -> None:
        world.store.put_token(
            SESSION, SsoToken("theirs", START + dt.timedelta(hours=8), "their-refresh", REGISTRATION)
        )

    world.oidc.before_answer = another_process_renews
    world.oidc.answer = rejected()
    assert world.tokens().access_token(SESSION) == "theirs"
    assert world.sign_in.count == 0


def test_a_rejected_client_is_forgotten_so_the_sign_in_registers_anew(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.stored(left=dt.timedelta(minutes=-1))
    world.oidc.answer = AwsError("the client is unknown", code="InvalidClientException", status=400)
    fresh = dataclasses.replace(REGISTRATION, client_id="fresh-client")
    registered: list[str] = []

    def register_client(
        endpoint: object, *, flow: str, scopes: tuple[str, ...], start_url: str
    ) -> ClientRegistration:
        registered.append(flow)
        return fresh

    monkeypatch.setattr(api, "register_client", register_client)
    assert world.tokens().access_token(SESSION) == "signed-in-1"
    assert registered == ["device"]
    assert world.store.registration(SESSION, "device") == fresh


def test_no_token_signs_in_once_and_the_next_call_uses_the_stored_token(world: World) -> None:
    tokens = world.tokens()
    assert tokens.access_token(SESSION) == "signed-in-1"
    assert tokens.access_token(SESSION) == "signed-in-1"
    assert world.sign_in.count == 1 and world.oidc.refreshes == []


def test_time_passing_makes_a_stored_token_due_for_refresh(world: World) -> None:
    world.stored(left=dt.timedelta(hours=1))
    tokens = world.tokens()
    assert tokens.access_token(SESSION) == "old-access"
    world.clock.now += dt.timedelta(minutes=45)
    assert tokens.access_token(SESSION) == "refreshed-access"
    assert len(world.oidc.refreshes) == 1


def test_a_token_without_refresh_token_is_used_until_its_last_minute(world: World) -> None:
    world.store.put_token(
        SESSION, SsoToken("no-refresh", START + dt.timedelta(minutes=2), None, REGISTRATION)
    )
    tokens = world.tokens()
    assert tokens.access_token(SESSION) == "no-refresh"
    world.clock.now += dt.timedelta(minutes=1)
    assert tokens.access_token(SESSION) == "signed-in-1"  # one minute left: not worth handing out
    assert world.oidc.refreshes == []
