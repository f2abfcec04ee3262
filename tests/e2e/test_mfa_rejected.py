"""STS refusing an MFA code: exit 7 with one line, the code sent exactly once, nothing cached.

moto never checks MFA codes, so the refusal is injected (AccessDenied, AWS's words) on the call
that carries the code: GetSessionToken for a user or for a role's MFA session, AssumeRole for a
role assumed with MFA directly. The next run must make a fresh call with its new code.
"""

from __future__ import annotations

import json

import pytest

from tests.support.env import run_awsafe
from tests.support.worlds import Seed

MFA_REFUSED = "MultiFactorAuthentication failed with invalid MFA one time pass code. "


def _with_code(seed: Seed, code: str) -> list[tuple[str, bool]]:
    """(action, refused) of every call that carried ``code``."""
    return [(c.action, c.injected) for c in seed.moto.calls() if c.params.get("TokenCode") == code]


@pytest.mark.parametrize(
    ("profile", "action"),
    [("mfauser", "GetSessionToken"), ("admin", "GetSessionToken"), ("admin-long", "AssumeRole")],
)
def test_sts_refusing_the_mfa_code_exits_7_caches_nothing_and_never_resends_it(
    mfa_world: Seed, profile: str, action: str
) -> None:
    mfa_world.moto.fail_next(action, code="AccessDenied", status=403, message=MFA_REFUSED)

    refused = run_awsafe("export", "--format", "json", profile, "-t", "111111", env=mfa_world.env)

    assert refused.returncode == 7, refused.stderr
    assert "MultiFactorAuthentication failed" in refused.stderr or "AccessDenied" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) <= 2
    assert refused.stdout == ""
    assert _with_code(mfa_world, "111111") == [(action, True)]  # sent once, not retried
    assert mfa_world.moto.calls("AssumeRole" if action == "GetSessionToken" else "GetSessionToken") == []
    listed = run_awsafe("list", "--sessions", env=mfa_world.env)
    assert listed.returncode == 0 and listed.stdout.strip() == "", listed.stdout

    accepted = run_awsafe("export", "--format", "json", profile, "-t", "222222", env=mfa_world.env)

    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)["Version"] == 1
    assert _with_code(mfa_world, "222222") == [(action, False)]  # a fresh call: nothing was cached
    assert _with_code(mfa_world, "111111") == [(action, True)]
