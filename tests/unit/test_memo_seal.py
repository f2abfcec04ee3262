"""The fast-path record's seal: over the record's name and content; only the session's holder makes it."""

from __future__ import annotations

from awsafe.credentials import fastpath

MEMO = {
    "item": "sessions/abc",
    "digest": "d" * 64,
    "region": "eu-west-1",
    "backend": "file",
    "file_dir": "/v",
}
KEY = "k" * 64
SECRET = "session-secret-0123456789"


def test_the_seal_covers_the_name_every_field_and_the_session() -> None:
    seal = fastpath.render_fast_path_seal(KEY, MEMO, SECRET)
    assert fastpath.render_fast_path_seal(KEY, {**MEMO, "seal": "anything"}, SECRET) == seal
    assert fastpath.render_fast_path_seal("m" * 64, MEMO, SECRET) != seal  # moved under another name
    assert fastpath.render_fast_path_seal(KEY, MEMO, "another-session-secret") != seal
    for field in MEMO:
        assert fastpath.render_fast_path_seal(KEY, {**MEMO, field: "edited"}, SECRET) != seal, field
    assert fastpath.render_fast_path_seal(KEY, {**MEMO, "extra": 1}, SECRET) != seal
