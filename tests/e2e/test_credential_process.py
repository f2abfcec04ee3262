"""A profile's own credential_process: its output is served, cached when it expires, and never leaked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.env import run_awsafe
from tests.support.worlds import Seed


def _process(tmp_path: Path, document: dict[str, object], exit_code: int = 0) -> tuple[Path, Path]:
    counter = tmp_path / "calls"
    script = tmp_path / "creds"
    script.write_text(
        f"#!{sys.executable}\nimport os, sys\nopen({str(counter)!r}, 'a').write('x')\n"
        "assert 'AWSAFE_FILE_PASSPHRASE' not in os.environ, 'the vault passphrase leaked'\n"
        f"print({json.dumps(json.dumps(document))})\nsys.exit({exit_code})\n"
    )
    script.chmod(0o755)
    return script, counter


TEMPORARY = {
    "Version": 1,
    "AccessKeyId": "ASIAPROCESSPROCESS01",
    "SecretAccessKey": "process-secret-value",
    "SessionToken": "process-session-token",
    "Expiration": "2099-01-01T00:00:00Z",
}


def test_expiring_output_is_cached(seed: Seed, tmp_path: Path) -> None:
    script, counter = _process(tmp_path, TEMPORARY)
    seed.append_config(f"\n[profile ext]\ncredential_process = {script} --flag 'quoted arg'\n")
    for _ in range(3):
        result = run_awsafe("export", "--format", "json", "ext", env=seed.env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["SecretAccessKey"] == "process-secret-value"
    assert counter.read_text() == "x"
    assert seed.moto.calls() == []
    sessions = run_awsafe("list", "--sessions", env=seed.env)
    assert sessions.stdout.startswith("ext\tprocess ")


def test_static_output_is_accepted_and_not_cached(seed: Seed, tmp_path: Path) -> None:
    static = {k: v for k, v in TEMPORARY.items() if k not in ("SessionToken", "Expiration")}
    static["AccessKeyId"] = "AKIAPROCESSPROCESS01"
    script, counter = _process(tmp_path, static)
    seed.append_config(f"\n[profile ext]\ncredential_process = {script}\n")
    for _ in range(2):
        result = run_awsafe("export", "--format", "json", "ext", env=seed.env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {**static, "Version": 1}
    assert counter.read_text() == "xx"


def test_a_role_on_top_of_credential_process(seed: Seed, tmp_path: Path) -> None:
    # A session the process got from elsewhere: AWS knows it, moto never issued it.
    seed.moto.register_credentials(
        str(TEMPORARY["AccessKeyId"]), str(TEMPORARY["SecretAccessKey"]), str(TEMPORARY["SessionToken"])
    )
    script, _ = _process(tmp_path, TEMPORARY)
    seed.append_config(
        f"\n[profile ext]\ncredential_process = {script}\n"
        f"[profile ext-role]\nrole_arn = {seed.role_arn}\nsource_profile = ext\nexternal_id = x-1\n"
    )
    result = run_awsafe("export", "ext-role", env=seed.env)
    assert result.returncode == 0, result.stderr
    (assume,) = seed.moto.calls("AssumeRole")
    assert assume.access_key_id == "ASIAPROCESSPROCESS01" and assume.session_token == "process-session-token"
    assert assume.params["ExternalId"] == "x-1"


def test_failing_process_is_reported_without_its_output(seed: Seed, tmp_path: Path) -> None:
    script, _ = _process(tmp_path, TEMPORARY, exit_code=4)
    seed.append_config(f"\n[profile ext]\ncredential_process = {script}\n")
    result = run_awsafe("export", "ext", env=seed.env)
    assert result.returncode == 5
    assert "credential_process of profile 'ext'" in result.stderr and "exit code 4" in result.stderr
    assert "process-secret-value" not in result.stderr and "Traceback" not in result.stderr


def test_list_shows_sessions_with_remaining_lifetime(seed: Seed) -> None:
    assert run_awsafe("export", "test", env=seed.env).returncode == 0
    sessions = run_awsafe("list", "--sessions", env=seed.env)
    assert sessions.returncode == 0
    (line,) = sessions.stdout.splitlines()
    profile, label = line.split("\t")
    assert profile == "test" and label.startswith("assume-role ") and label.endswith(" left")
    rows = {row.split()[0]: row for row in run_awsafe("list", env=seed.env).stdout.splitlines()[2:]}
    assert rows["test"].split(None, 2)[1] == "demo"
    assert rows["test"].split(None, 2)[2].startswith("assume-role ") and rows["demo"].endswith("-")
