"""pytest fixtures for the moto server: one per session, reset before each test."""

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
def moto(moto_server: MotoServer) -> Iterator[MotoServer]:
    """The session's moto server, reset (no calls, no faults, no state, auth off)."""
    moto_server.reset()
    yield moto_server
    moto_server.reset()
