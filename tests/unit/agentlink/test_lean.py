"""The fast path's lean agent client: the JSON it writes without json, and the rendered frames."""

from __future__ import annotations

import json

import pytest

from awsafe.agentlink import lean, protocol


def test_its_constants_are_the_protocols() -> None:
    assert lean.PROTOCOL_VERSION == protocol.PROTOCOL_VERSION
    assert (lean.MAX_REQUEST, lean.MAX_REPLY) == (protocol.MAX_REQUEST, protocol.MAX_REPLY)
    assert lean.RENDERED == protocol.RENDERED


def test_plain_values_are_written_as_json_writes_them() -> None:
    value = {
        "v": 1,
        "op": "credentials",
        "request": {"profile": "test", "region": None, "no_session": False, "server_running": True},
        "environ": {"HOME": "/root", "AWS_CONFIG_FILE": "/tmp/a b/config", "AWS_MIN_TTL": "5m"},
        "interactive": False,
    }
    text = lean.render_plain_json(value)
    assert text is not None
    assert json.loads(text) == value
    assert text == json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize(
    "text", ['say "hi"', "back\\slash", "tab\there", "new\nline", "caf\u00e9", "\udcff", "\x7f", "\x00"]
)
def test_any_text_that_would_need_escaping_is_left_to_json(text: str) -> None:
    assert lean.render_plain_json({"environ": {"AWS_X": text}}) is None
    assert lean.render_plain_json({text: "value"}) is None


def test_other_types_are_left_to_json() -> None:
    assert lean.render_plain_json({"list": [1]}) is None
    assert lean.render_plain_json({"float": 1.5}) is None


def test_a_rendered_frame_round_trips_and_carries_the_version() -> None:
    framed = protocol.render_frame({"op": "rendered", "text": "AWS_REGION=eu-west-1\n"}, protocol.MAX_REPLY)
    body = framed[4:]
    assert body[:2] == protocol.RENDERED + bytes([protocol.PROTOCOL_VERSION])
    assert protocol.parse_frame(body) == {"v": 1, "op": "rendered", "text": "AWS_REGION=eu-west-1\n"}
    with pytest.raises(protocol.ProtocolError) as error:
        protocol.parse_frame(protocol.RENDERED + bytes([2]) + b"text")
    assert error.value.code == "version"
