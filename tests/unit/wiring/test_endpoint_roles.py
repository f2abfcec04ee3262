"""The endpoint's /role-arn/ARN credentials: kept fresh per ARN, and never more than a bounded number."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from awsafe.config.profile import ProfileConfig
from awsafe.environment import Environment
from awsafe.model import Credentials
from awsafe.server.routes import FreshCredentials
from awsafe.wiring import endpoints

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
BASE = Credentials("ASIABASEBASEBASE0001", "s", "t", NOW + dt.timedelta(hours=1))


def role(n: int) -> str:
    return f"arn:aws:iam::123456789012:role/r{n}"


def test_role_credentials_are_kept_per_arn_and_bounded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assumed: list[str] = []

    def fake_assume_role(source: Credentials, endpoint: Any, request: Any, *, profile: str) -> Credentials:
        assumed.append(request.role_arn)
        return Credentials(f"ASIA{len(assumed):016d}", "s", "t", NOW + dt.timedelta(hours=1))

    monkeypatch.setattr(endpoints, "fetch_assume_role", fake_assume_role)
    env = Environment({}, io.StringIO(), io.StringIO(), io.StringIO(), tmp_path, lambda: NOW)
    fetch = endpoints.role_fetcher(
        env, FreshCredentials(lambda: BASE, env.clock, 300), ProfileConfig("p"), 300
    )

    first = fetch(role(0))
    assert fetch(role(0)) == first and assumed == [role(0)]  # fresh: no second AssumeRole
    for n in range(1, endpoints.MAX_ROLES_KEPT + 1):
        fetch(role(n))
    assert len(assumed) == endpoints.MAX_ROLES_KEPT + 1
    fetch(role(endpoints.MAX_ROLES_KEPT))  # the most recent one is still kept
    assert len(assumed) == endpoints.MAX_ROLES_KEPT + 1
    fetch(role(0))  # the least recently asked was dropped: fetched again
    assert assumed[-1] == role(0) and len(assumed) == endpoints.MAX_ROLES_KEPT + 2
