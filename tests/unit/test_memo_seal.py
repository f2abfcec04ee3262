"""The memo's seal: it covers the memo's name and content, and only the session's holder can make it."""

from __future__ import annotations

from awsafe import hotpath

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
    seal = hotpath.render_memo_seal(KEY, MEMO, SECRET)
    assert hotpath.render_memo_seal(KEY, {**MEMO, "seal": "anything"}, SECRET) == seal
    assert hotpath.render_memo_seal("m" * 64, MEMO, SECRET) != seal  # moved under another name
    assert hotpath.render_memo_seal(KEY, MEMO, "another-session-secret") != seal
    for field in MEMO:
        assert hotpath.render_memo_seal(KEY, {**MEMO, field: "edited"}, SECRET) != seal, field
    assert hotpath.render_memo_seal(KEY, {**MEMO, "extra": 1}, SECRET) != seal
