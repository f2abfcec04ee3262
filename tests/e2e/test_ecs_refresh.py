"""A long-running child keeps working across credential expiries; the endpoint fetches once per expiry.

Role credentials last 15 minutes (duration_seconds = 900); AWS_MIN_TTL = 895s makes
them due for refresh 5 s after each fetch, so a 12 s child crosses two expiries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.env import run_awsafe
from tests.support.worlds import Seed

CHILD = r"""
import json, time, boto3
session = boto3.Session()
sts = session.client("sts")
seen, started = [], time.monotonic()
while time.monotonic() - started < 12:
    identity = sts.get_caller_identity()["Arn"]  # fails if the credentials stopped working
    key = session.get_credentials().get_frozen_credentials().access_key
    if not seen or seen[-1] != key:
        seen.append(key)
    time.sleep(0.25)
print(json.dumps({"keys": seen, "elapsed": time.monotonic() - started, "arn": identity}))
"""


def test_child_survives_expiries_with_one_fetch_each(seed: Seed, tmp_path: Path) -> None:
    seed.write_config(seed.config.read_text() + "duration_seconds = 900\n")  # appended to [profile test]
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    result = run_awsafe(
        "exec",
        "--ecs-server",
        "test",
        "--",
        sys.executable,
        str(child),
        env={**seed.env, "AWS_MIN_TTL": "895s"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["arn"].endswith(":assumed-role/seed-role/test")
    calls = seed.moto.calls("AssumeRole")
    assert all(call.params["DurationSeconds"] == "900" for call in calls)
    # every fetch handed out new keys, the child moved on to each, and nothing was fetched per request
    assert 3 <= len(calls) <= 4, len(calls)  # at 0 s, ~5 s, ~10 s (and ~15 s if the child ran late)
    assert len(report["keys"]) == len(calls)
    assert len({c.access_key_id for c in seed.moto.calls("GetCallerIdentity")}) == len(calls)
    assert len(seed.moto.calls("GetCallerIdentity")) > 3 * len(calls)
