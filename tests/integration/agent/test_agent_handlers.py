"""The agent's handler against moto: one Engine (the file vault unlocked once), requests as frames
from a scripted conversation; what crossed it, and what reached STS."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from awsafe.agent.handlers import answer
from awsafe.agentlink.protocol import ProtocolError
from awsafe.agentlink.request import render_request, resolve_vault_identity
from awsafe.clock import utc_now
from awsafe.environment import Environment
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import GlobalOptions
from tests.e2e.test_sessions import sent
from tests.support.cli import _Stream
from tests.support.worlds import SERIAL, Seed

MFAUSER_SERIAL = "arn:aws:iam::123456789012:mfa/mfauser"


class Talk:
    """A client connection: records every frame the agent sends, answers prompts from a script."""

    def __init__(self, *answers: dict[str, Any], answer_delay: float = 0.0) -> None:
        self.sent: list[dict[str, Any]] = []
        self._answers = list(answers)
        self._delay = answer_delay

    def send(self, frame: dict[str, Any]) -> None:
        self.sent.append(frame)

    def receive(self, timeout: float) -> dict[str, Any]:
        time.sleep(self._delay)
        if not self._answers:
            raise ProtocolError("eof", "the connection was closed")
        return self._answers.pop(0)

    def frames(self, op: str) -> list[dict[str, Any]]:
        return [f for f in self.sent if f["op"] == op]

    @property
    def final(self) -> dict[str, Any]:
        return [f for f in self.sent if f["op"] not in ("prompt", "notice")][-1]


def agent_engine(seed: Seed) -> Engine:
    """The agent's engine: built at start from its own environment, the vault unlocked once."""
    environ = {**os.environ, **seed.env}
    env = Environment(environ, _Stream(), _Stream(), _Stream(), Path(environ["HOME"]), utc_now)
    engine = Engine(GlobalOptions(), env, ask_agent=False)
    engine.store.keys()
    return engine


def frame(
    seed: Seed, profile: str, *, interactive: bool = True, op: str = "credentials", **request: Any
) -> dict[str, Any]:
    """A client's request as it would send it, without the passphrase in its environment."""
    environ = {**os.environ, **seed.env}
    del environ["AWSAFE_FILE_PASSPHRASE"]
    home = environ["HOME"]
    fields = {
        "profile": profile,
        "region": None,
        "duration": None,
        "no_session": False,
        "server_running": False,
    }
    vault = resolve_vault_identity(None, None, environ, home)
    message = render_request(op, {**fields, **request}, environ, home, vault, interactive=interactive)
    return {"v": 1, **message}


def test_a_role_is_served_as_temporary_credentials(seed: Seed) -> None:
    talk, held = Talk(), set[str]()
    answer(agent_engine(seed), talk, frame(seed, "test"), held)
    final = talk.final
    assert final["op"] == "credentials", final
    assert set(final["credentials"]) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert final["region"] == "ap-northeast-2"
    assert held == {"test"}
    calls = seed.moto.calls()
    assert sent(calls) == [("AssumeRole", None, None, "3600")]
    assert calls[0].access_key_id == seed.access_key_id


def test_long_term_keys_never_leave_the_agent(seed: Seed) -> None:
    """The boundary: --no-session of an IAM user would be its stored keys, so it is declined."""
    talk, held = Talk(), set[str]()
    answer(agent_engine(seed), talk, frame(seed, "demo", no_session=True), held)
    assert talk.final == {"v": 1, "op": "decline", "reason": "needs long-term keys"}
    wire = json.dumps(talk.sent)
    assert seed.secret_access_key not in wire and seed.access_key_id not in wire
    assert held == set() and seed.moto.calls() == []


def test_a_request_for_another_vault_is_declined(seed: Seed, tmp_path: Path) -> None:
    request = frame(seed, "test")
    request["vault"] = {"backend": None, "file_dir": str(tmp_path / "other-vault")}
    talk = Talk()
    answer(agent_engine(seed), talk, request, set())
    assert talk.final["op"] == "decline" and "another vault" in talk.final["reason"]
    assert seed.moto.calls() == []


def test_an_mfa_code_is_asked_of_the_client(mfa_world: Seed) -> None:
    talk = Talk({"v": 1, "op": "answer", "code": "123456"})
    answer(agent_engine(mfa_world), talk, frame(mfa_world, "admin"), set())
    assert talk.frames("prompt") == [
        {"v": 1, "op": "prompt", "kind": "mfa", "profile": "admin", "serial": SERIAL, "mfa_process": None}
    ]
    assert talk.final["op"] == "credentials"
    assert ("GetSessionToken", SERIAL, "123456", "28800") in sent(mfa_world.moto.calls())


def test_without_prompts_an_mfa_profile_is_declined_unasked(mfa_world: Seed) -> None:
    talk = Talk()
    answer(agent_engine(mfa_world), talk, frame(mfa_world, "mfauser", interactive=False), set())
    assert talk.frames("prompt") == []
    assert talk.final["op"] == "decline" and "MFA" in talk.final["reason"]
    assert mfa_world.moto.calls() == []


def test_the_clients_prompt_failure_is_the_answer(mfa_world: Seed) -> None:
    talk = Talk({"v": 1, "op": "answer", "error": "no terminal to ask for an MFA code"})
    answer(agent_engine(mfa_world), talk, frame(mfa_world, "mfauser"), set())
    assert talk.final["op"] == "error" and talk.final["exit_code"] == 6
    assert talk.final["message"] == "no terminal to ask for an MFA code"
    assert mfa_world.moto.calls() == []


def test_a_client_gone_before_answering_is_a_prompt_error(mfa_world: Seed) -> None:
    talk = Talk()  # no answer: the connection closes
    answer(agent_engine(mfa_world), talk, frame(mfa_world, "mfauser"), set())
    assert talk.final["op"] == "error" and talk.final["exit_code"] == 9
    assert mfa_world.moto.calls() == []


def test_an_unknown_profile_is_the_clients_error(seed: Seed) -> None:
    talk = Talk()
    answer(agent_engine(seed), talk, frame(seed, "nosuchprofile"), set())
    assert talk.final["op"] == "error" and talk.final["exit_code"] == 5  # as without the agent
    assert "nosuchprofile" in talk.final["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"request": None},
        {"request": {"profile": ""}},
        {"request": {"profile": "test", "no_session": "yes"}},
        {"environ": ["HOME"]},
        {"home": "relative/home"},
    ],
)
def test_a_malformed_request_is_declined(seed: Seed, change: dict[str, Any]) -> None:
    talk = Talk()
    answer(agent_engine(seed), talk, {**frame(seed, "test"), **change}, set())
    assert talk.final["op"] == "decline" and "malformed" in talk.final["reason"]
    assert seed.moto.calls() == []


def test_the_console_gets_the_role_and_its_session_duration(seed: Seed) -> None:
    talk = Talk()
    answer(agent_engine(seed), talk, frame(seed, "test", op="console"), set())
    assert talk.final["op"] == "credentials" and talk.final["session_duration"] == 3600


def test_threads_of_the_agent_share_one_fetch_and_one_prompt(mfa_world: Seed) -> None:
    """Single-flight inside the agent: the session lock is an flock per open file, so threads
    wait for each other too, and the waiting ones read the session the first one cached."""
    engine = agent_engine(mfa_world)
    talks = [Talk({"v": 1, "op": "answer", "code": "246810"}, answer_delay=0.5) for _ in range(8)]
    threads = [
        threading.Thread(target=answer, args=(engine, talk, frame(mfa_world, "mfauser"), set()))
        for talk in talks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [t.final["op"] for t in talks] == ["credentials"] * 8
    assert sum(len(t.frames("prompt")) for t in talks) == 1
    assert len({t.final["credentials"]["SessionToken"] for t in talks}) == 1
    assert sent(mfa_world.moto.calls()) == [("GetSessionToken", MFAUSER_SERIAL, "246810", "3600")]


def test_a_heartbeat_goes_out_while_the_agent_works(seed: Seed) -> None:
    seed.moto.delay_next("AssumeRole", 1.3)
    talk = Talk()
    answer(agent_engine(seed), talk, frame(seed, "test"), set())
    assert talk.final["op"] == "credentials"
    assert talk.frames("notice").count({"v": 1, "op": "notice", "text": ""}) >= 2
