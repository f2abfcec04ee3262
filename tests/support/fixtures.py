"""pytest fixtures for the moto server: one per session, reset before each test, signatures checked.

Every request that reaches moto goes through the SigV4 verifier. A test that made a
request the verifier refused fails at teardown, even when awsafe coped with the
refusal, unless it is marked ``@pytest.mark.signature_rejections`` (it sends a wrong
signature on purpose and asserts on the refusal itself).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.moto_server import MotoServer


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the whole session (state persists: prefer `moto`)."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto(moto_server: MotoServer, request: pytest.FixtureRequest) -> Iterator[MotoServer]:
    """The session's moto server, reset (no calls, no faults, no state, auth off, signatures checked)."""
    moto_server.reset()
    yield moto_server
    refused = moto_server.rejected_calls()
    moto_server.reset()
    if refused and request.node.get_closest_marker("signature_rejections") is None:
        lines = [
            f"  {c.service}:{c.action or '?'} signed by {c.access_key_id}: {c.rejected} ({c.rejected_detail})"
            for c in refused
        ]
        pytest.fail(
            "the SigV4 verifier in front of moto refused requests this test made:\n" + "\n".join(lines),
            pytrace=False,
        )
