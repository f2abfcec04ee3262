"""SSO tokens in the vault and, when asked, in the AWS CLI's cache."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat
from pathlib import Path

import pytest

from awsafe.aws.sso import ClientRegistration
from awsafe.errors import StoreCorruptError, UsageError
from awsafe.sso.cli_cache import CliTokenCache, cache_mode
from awsafe.sso.settings import SsoSession
from awsafe.sso.store import CLIENT_PREFIX, TOKEN_PREFIX, SsoToken, SsoTokenStore
from awsafe.vault.memory import MemoryStore

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
SESSION = SsoSession("https://corp.awsapps.com/start", "eu-west-1", "corp", ("sso:account:access",))
CLIENT = ClientRegistration("client-id", "client-SECRET", NOW + dt.timedelta(days=90), "pkce", SESSION.scopes)
TOKEN = SsoToken("ACCESS-TOKEN", NOW + dt.timedelta(hours=8), "REFRESH-TOKEN", CLIENT)


def test_token_round_trip_and_item_names_hide_the_start_url() -> None:
    memory = MemoryStore()
    store = SsoTokenStore(memory)
    store.put_token(SESSION, TOKEN)
    store.put_registration(SESSION, CLIENT)
    assert store.token(SESSION) == TOKEN
    assert store.registration(SESSION, "pkce") == CLIENT
    assert store.registration(SESSION, "device") is None
    assert all("corp" not in key and "awsapps" not in key for key in memory.keys())
    [listed] = store.tokens()
    assert (listed.session_name, listed.start_url, listed.region) == ("corp", SESSION.start_url, "eu-west-1")
    assert "TOKEN" not in repr(store.token(SESSION)) and "SECRET" not in repr(CLIENT)


def test_clear_removes_tokens_and_registrations_only() -> None:
    memory = MemoryStore()
    memory.set("credentials/demo", b"{}")
    store = SsoTokenStore(memory)
    store.put_token(SESSION, TOKEN)
    store.put_registration(SESSION, CLIENT)
    assert store.clear() == 1
    assert memory.keys() == ["credentials/demo"]


def test_an_unreadable_token_is_a_store_error_naming_the_session() -> None:
    memory = MemoryStore()
    memory.set(TOKEN_PREFIX + SESSION.item_id, b"not json")
    memory.set(CLIENT_PREFIX + SESSION.item_id + "-pkce", b"not json")
    with pytest.raises(StoreCorruptError, match="sso-session 'corp'"):
        SsoTokenStore(memory).token(SESSION)
    assert SsoTokenStore(memory).registration(SESSION, "pkce") is None
    assert SsoTokenStore(memory).tokens() == []


def test_cli_cache_is_off_unless_asked() -> None:
    assert cache_mode(None) == "off"
    assert cache_mode("WRITE") == "write"
    with pytest.raises(UsageError, match="AWSAFE_SSO_CLI_CACHE"):
        cache_mode("yes")


def test_cli_cache_file_name_and_format_match_the_aws_cli(tmp_path: Path) -> None:
    cache = CliTokenCache(tmp_path / "sso" / "cache", writable=True)
    cache.write(SESSION, TOKEN)
    path = cache.path(SESSION)
    assert path.stem == hashlib.sha1(b"corp").hexdigest()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["accessToken"] == "ACCESS-TOKEN" and data["refreshToken"] == "REFRESH-TOKEN"
    assert data["expiresAt"] == "2026-11-28T20:00:00Z"
    assert data["clientSecret"] == "client-SECRET" and data["startUrl"] == SESSION.start_url
    assert cache.read(SESSION) == SsoToken(
        "ACCESS-TOKEN",
        TOKEN.expires_at,
        "REFRESH-TOKEN",
        ClientRegistration("client-id", "client-SECRET", CLIENT.expires_at, "device", SESSION.scopes),
    )
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_read_only_cache_never_writes_and_ignores_other_start_urls(tmp_path: Path) -> None:
    cache = CliTokenCache(tmp_path / "cache", writable=False)
    cache.write(SESSION, TOKEN)
    assert not cache.directory.exists()
    cache.directory.mkdir()
    cache.path(SESSION).write_text(json.dumps({"startUrl": "https://other/start", "accessToken": "x"}))
    assert cache.read(SESSION) is None
    cache.path(SESSION).write_text("garbage")
    assert cache.read(SESSION) is None
