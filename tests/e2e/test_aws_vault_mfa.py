"""MFA as aws-vault's maintainers pin it (vault/vault_test.go of the fork, v7.13): one code per
chain, a role with its own keys assumed with MFA directly, a source's ``mfa_process``, and a
pass-through profile's own ``mfa_serial``. Every assertion is on what reached STS."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.e2e.test_sessions import MOTO_SESSION_KEY, sent
from tests.support.cli import run_main
from tests.support.env import awsafe_executable, run_awsafe
from tests.support.tty import run_in_pty
from tests.support.worlds import SERIAL, Seed

OTHER_SERIAL = "arn:aws:iam::123456789012:mfa/other"
MFAUSER_SERIAL = "arn:aws:iam::123456789012:mfa/mfauser"


def _export(world: Seed, *args: str) -> None:
    result = run_awsafe("export", "--format", "json", *args, env=world.env)
    assert result.returncode == 0, result.stderr


def _role_chain(world: Seed, *, serial_in_default: bool) -> tuple[str, str]:
    """demo -> r1 -> r2, both roles MFA-only (the verifier refuses them without MFA context)."""
    moto = world.moto
    r1 = moto.create_role("r1", moto.user_arn("demo"), require_mfa=True)
    r2 = moto.create_role("r2", moto.role_arn("r1"), require_mfa=True)
    own = "" if serial_in_default else f"mfa_serial = {SERIAL}\n"
    if serial_in_default:
        world.write_config(f"[default]\nmfa_serial = {SERIAL}\n\n" + world.config.read_text())
    else:
        world.write_config(world.config.read_text().replace("[profile demo]\n", f"[profile demo]\n{own}"))
    world.append_config(
        f"\n[profile r1]\nrole_arn = {r1}\nsource_profile = demo\n{own}duration_seconds = 7200\n"
        f"[profile r2]\nrole_arn = {r2}\nsource_profile = r1\n{own}duration_seconds = 7200\n"
    )
    return r1, r2


def _assert_one_code_for_the_chain(world: Seed, r1: str, r2: str) -> None:
    calls = world.moto.calls()
    assert sent(calls) == [
        ("GetSessionToken", SERIAL, "123456", "28800"),
        ("AssumeRole", None, None, "3600"),  # r1: assumed with the MFA session, so capped at 1h
        ("AssumeRole", None, None, "3600"),  # r2: no SerialNumber/TokenCode from a role session
    ]
    assert calls[0].access_key_id == world.access_key_id
    assert calls[1].access_key_id == MOTO_SESSION_KEY and calls[1].params["RoleArn"] == r1
    assert calls[2].access_key_id.startswith("ASIA") and calls[2].params["RoleArn"] == r2
    assert world.moto.rejected_calls() == []


def test_role_to_role_chain_with_mfa_asks_one_code(mfa_world: Seed) -> None:
    r1, r2 = _role_chain(mfa_world, serial_in_default=False)
    _export(mfa_world, "r2", "--mfa-token", "123456")
    _export(mfa_world, "r2")  # cached: no code, no call
    _assert_one_code_for_the_chain(mfa_world, r1, r2)


def test_role_to_role_chain_with_mfa_serial_from_default_asks_one_code(mfa_world: Seed) -> None:
    r1, r2 = _role_chain(mfa_world, serial_in_default=True)
    _export(mfa_world, "r2", "-t", "123456")
    _assert_one_code_for_the_chain(mfa_world, r1, r2)
    # r1 for 1h on its own: the same session as the chain's first hop, so no code is needed
    # (with its 2h it would be assumed with MFA directly, as in aws-vault)
    _export(mfa_world, "r1", "--duration", "1h")
    assert len(mfa_world.moto.calls("GetSessionToken")) == 1


def test_role_chain_with_mfa_and_no_session_sends_a_code_per_role(mfa_world: Seed, tmp_path: Path) -> None:
    """aws-vault makes no GetSessionToken under --no-session, so each role sends its own code."""
    _role_chain(mfa_world, serial_in_default=False)
    process, _ = _counting_mfa_process(tmp_path)
    mfa_world.append_config(f"mfa_process = {process}\n")  # appended to [profile r2]
    _export(mfa_world, "r2", "--no-session", "-t", "123456")
    assert sent(mfa_world.moto.calls()) == [
        ("AssumeRole", SERIAL, "123456", "7200"),
        ("AssumeRole", SERIAL, "246810", "3600"),
    ]


def test_role_with_its_own_keys_and_mfa_is_assumed_with_mfa_directly(mfa_world: Seed) -> None:
    moto = mfa_world.moto
    key_id, secret = moto.create_user_with_key("owner")
    role = moto.create_role("keyed", moto.user_arn("owner"), require_mfa=True)
    mfa_world.append_config(f"\n[profile keyed]\nrole_arn = {role}\nmfa_serial = {SERIAL}\n")
    added = run_main(
        "add", "keyed", "--env", env={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
    )
    assert added.returncode == 0, added.stderr
    _export(mfa_world, "keyed", "-t", "123456")
    _export(mfa_world, "keyed")
    calls = moto.calls()
    assert sent(calls) == [("AssumeRole", SERIAL, "123456", "3600")]
    assert calls[0].access_key_id == key_id and calls[0].session_token is None


def _counting_mfa_process(tmp_path: Path) -> tuple[str, Path]:
    counter = tmp_path / "mfa-calls"
    script = tmp_path / "mfa-code"
    script.write_text(f"#!{sys.executable}\nopen({str(counter)!r}, 'a').write('x')\nprint('246810')\n")
    script.chmod(0o755)
    return str(script), counter


def test_role_uses_its_source_profiles_mfa_process(mfa_world: Seed, tmp_path: Path) -> None:
    process, counter = _counting_mfa_process(tmp_path)
    config = mfa_world.config.read_text()
    mfa_world.write_config(config.replace("[profile demo]\n", f"[profile demo]\nmfa_process = {process}\n"))
    _export(mfa_world, "admin")  # no -t, no terminal: only demo's mfa_process can answer
    assert sent(mfa_world.moto.calls()) == [
        ("GetSessionToken", SERIAL, "246810", "28800"),
        ("AssumeRole", None, None, "3600"),
    ]
    assert counter.read_text() == "x"


def test_pass_through_profile_sends_its_own_mfa_serial(mfa_world: Seed) -> None:
    mfa_world.append_config(f"\n[profile via]\nsource_profile = demo\nmfa_serial = {OTHER_SERIAL}\n")
    _export(mfa_world, "via", "-t", "123456")
    _export(mfa_world, "via")
    calls = mfa_world.moto.calls()
    assert sent(calls) == [("GetSessionToken", OTHER_SERIAL, "123456", "3600")]
    assert calls[0].access_key_id == mfa_world.access_key_id  # signed with the root user's keys


def test_pass_through_profile_without_mfa_serial_sends_none(mfa_world: Seed) -> None:
    """aws-vault: the session token is the pass-through profile's, so a source's mfa_serial
    it does not have itself (nor inherits from [default]) is not used."""
    config = mfa_world.config.read_text()
    mfa_world.write_config(config.replace("[profile demo]\n", f"[profile demo]\nmfa_serial = {SERIAL}\n"))
    mfa_world.append_config("\n[profile via]\nsource_profile = demo\n")
    _export(mfa_world, "via")
    assert sent(mfa_world.moto.calls()) == [("GetSessionToken", None, None, "3600")]


def _touch_key_process(tmp_path: Path) -> str:
    """An mfa_process that, given a terminal, asks on it (a YubiKey "touch, then Enter") and
    reads the answer from stdin; without one it finds stdin closed and answers at once."""
    script = tmp_path / "touch-key"
    script.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        "if os.isatty(0):\n"
        "    sys.stderr.write('Touch your key, then press Enter: ')\n    sys.stderr.flush()\n"
        "    if sys.stdin.readline().strip() != 'touched':\n        sys.exit(4)\n"
        "    print('135790')\n"
        "else:\n"
        "    assert sys.stdin.read() == '', 'stdin was not closed'\n    print('975310')\n"
    )
    script.chmod(0o755)
    return str(script)


def test_mfa_process_gets_the_terminal_as_stdin_under_credential_process(
    mfa_world: Seed, tmp_path: Path
) -> None:
    mfa_world.append_config(f"mfa_process = {_touch_key_process(tmp_path)}\n")  # [profile mfauser]
    out = tmp_path / "out.json"
    # as an SDK runs it: stdin and stdout are pipes/files, the terminal is still the person's
    command = f"exec {awsafe_executable()} export --format json mfauser < /dev/null > {out}"
    code, screen = run_in_pty(
        ["/bin/sh", "-c", command], {**os.environ, **mfa_world.env}, [("Touch your key", "touched")]
    )
    assert code == 0, screen
    assert json.loads(out.read_text())["Version"] == 1
    assert sent(mfa_world.moto.calls()) == [("GetSessionToken", MFAUSER_SERIAL, "135790", "3600")]


def test_mfa_process_without_a_terminal_has_stdin_closed(mfa_world: Seed, tmp_path: Path) -> None:
    mfa_world.append_config(f"mfa_process = {_touch_key_process(tmp_path)}\n")
    _export(mfa_world, "mfauser")
    assert sent(mfa_world.moto.calls()) == [("GetSessionToken", MFAUSER_SERIAL, "975310", "3600")]


def test_role_above_with_another_serial_sends_its_own_code(mfa_world: Seed, tmp_path: Path) -> None:
    """aws-vault: only roles whose serial is the MFA session's drop their MFA parameters."""
    _role_chain(mfa_world, serial_in_default=False)
    process, _ = _counting_mfa_process(tmp_path)
    text = mfa_world.config.read_text()
    start = text.index("[profile r2]")
    r2 = text[start:].replace(
        f"mfa_serial = {SERIAL}\n", f"mfa_serial = {OTHER_SERIAL}\nmfa_process = {process}\n"
    )
    mfa_world.write_config(text[:start] + r2)
    _export(mfa_world, "r2", "-t", "123456")
    assert sent(mfa_world.moto.calls()) == [
        ("GetSessionToken", SERIAL, "123456", "28800"),
        ("AssumeRole", None, None, "3600"),
        ("AssumeRole", OTHER_SERIAL, "246810", "3600"),
    ]


def test_role_over_a_pass_through_profile_shares_the_users_mfa_session(mfa_world: Seed) -> None:
    mfa_world.append_config(
        f"\n[profile via]\nsource_profile = demo\n"
        f"[profile admin-via]\nrole_arn = {mfa_world.moto.role_arn('admin')}\nsource_profile = via\n"
        f"mfa_serial = {SERIAL}\n"
    )
    _export(mfa_world, "admin-via", "-t", "123456")
    _export(mfa_world, "admin")  # the same MFA session of demo: no code needed
    calls = mfa_world.moto.calls()
    assert sent(calls) == [
        ("GetSessionToken", SERIAL, "123456", "28800"),
        ("AssumeRole", None, None, "3600"),
        ("AssumeRole", None, None, "3600"),
    ]
    assert calls[0].access_key_id == mfa_world.access_key_id
