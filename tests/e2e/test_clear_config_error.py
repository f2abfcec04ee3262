"""`clear PROFILE` for a profile that does not resolve reports the config error (exit 3) and
deletes nothing, instead of "Cleared 0 cached sessions" with its MFA session and SSO token left."""

from __future__ import annotations

import pytest

from tests.support.env import run_awsafe
from tests.support.worlds import Seed


def _point(text: str, profile: str, source: str) -> str:
    start = text.index(f"[profile {profile}]")
    return text[:start] + text[start:].replace("source_profile = demo\n", f"source_profile = {source}\n", 1)


@pytest.mark.parametrize(
    ("sources", "said"),
    [({"admin": "ghost"}, "'ghost'"), ({"admin": "admin2", "admin2": "admin"}, "loop")],
    ids=["unknown source", "loop"],
)
def test_clear_of_a_profile_that_does_not_resolve_is_a_config_error(
    mfa_world: Seed, sources: dict[str, str], said: str
) -> None:
    exported = run_awsafe("export", "admin", "-t", "123456", env=mfa_world.env)
    assert exported.returncode == 0, exported.stderr
    text = mfa_world.config.read_text()
    for profile, source in sources.items():
        text = _point(text, profile, source)
    mfa_world.write_config(text)

    result = run_awsafe("clear", "admin", env=mfa_world.env)
    assert result.returncode == 3, result.stderr
    assert "Cleared" not in result.stderr and "Traceback" not in result.stderr
    assert said in result.stderr
    assert "awsafe clear" in result.stderr  # the hint: clearing everything still works
    sessions = run_awsafe("list", "--sessions", env=mfa_world.env)
    assert len(sessions.stdout.splitlines()) == 2  # admin's role credentials and demo's MFA session

    everything = run_awsafe("clear", env=mfa_world.env)
    assert everything.returncode == 0 and "Cleared 2 cached sessions" in everything.stderr
