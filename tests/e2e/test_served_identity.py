"""Each profile is served its own credentials, by the full path and by the cache-hit fast path.

The credentials `export` prints are used against moto (behind the signature check), and the
identity they act as is compared with the profile asked for: a cached item of another profile,
however valid its signature, acts as the wrong role.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.env import run_awsafe
from tests.support.worlds import Seed


def _served(seed: Seed, profile: str) -> dict[str, Any]:
    result = run_awsafe("export", "--format", "json", profile, env=seed.env)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _arn(seed: Seed, served: dict[str, Any]) -> str:
    sts = seed.moto.admin_client(
        "sts",
        aws_access_key_id=served["AccessKeyId"],
        aws_secret_access_key=served["SecretAccessKey"],
        aws_session_token=served.get("SessionToken"),
    )
    arn: str = sts.get_caller_identity()["Arn"]
    return arn


def test_each_profile_is_served_its_own_cached_credentials(seed: Seed) -> None:
    other = seed.moto.create_role("other-role", seed.moto.user_arn("demo"))
    seed.append_config(
        f"\n[profile test2]\nrole_arn = {other}\nrole_session_name = test2\nsource_profile = demo\n"
    )
    expected = {
        "test": "arn:aws:sts::123456789012:assumed-role/seed-role/test",
        "test2": "arn:aws:sts::123456789012:assumed-role/other-role/test2",
    }
    for round_ in range(3):  # first a miss, then hits (the fast path from the second on)
        for profile in ("test", "test2"):
            served = _served(seed, profile)
            assert _arn(seed, served) == expected[profile], (round_, profile)
    assumed = seed.moto.calls("AssumeRole")
    assert [c.params["RoleArn"] for c in assumed] == [seed.role_arn, other]  # the rest came from the cache
    assert _arn(seed, _served(seed, "demo")).endswith(":user/moto")  # moto's GetSessionToken identity
