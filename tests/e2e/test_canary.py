"""Canary: known secrets never reach a plaintext file, a log, an error message or child argv."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.env import run_awsafe
from tests.support.worlds import Seed, seed_config


def _files_containing(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits += [f"{path} contains secret #{i}" for i, n in enumerate(needles) if n in data]
    return hits


def test_secrets_stay_out_of_files_logs_and_errors(seed: Seed, tmp_path: Path) -> None:
    long_term = seed.secret_access_key
    outputs: list[str] = []

    exported = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert exported.returncode == 0
    temporary = json.loads(exported.stdout)
    secrets = [
        long_term,
        temporary["SecretAccessKey"],
        temporary["SessionToken"],
        os.environ["AWSAFE_FILE_PASSPHRASE"],
    ]
    outputs.append(exported.stderr)

    argv_probe = tmp_path / "argv.json"
    script = f"import json, sys; open({str(argv_probe)!r}, 'w').write(json.dumps(sys.argv))"
    for args in (
        ["exec", "test", "--", "python3", "-c", script],
        ["--debug", "exec", "test", "--", "true"],
        ["--debug", "export", "--format", "env", "demo"],
        ["list"],
        ["exec", "demo", "--no-session", "--", "true"],
        ["list", "--sessions"],
        ["clear", "test"],
    ):
        result = run_awsafe(*args, env=seed.env)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stderr)
    assert not any(s in argv_probe.read_text() for s in secrets)

    # failures, with and without --debug: denied role, throttled STS, wrong passphrase
    seed.write_config(seed_config(seed.role_arn, external_id="11111111-1111-1111-1111-111111111111"))
    seed.moto.enable_auth()
    for debug in ([], ["--debug"]):
        denied = run_awsafe(*debug, "exec", "test", "--", "true", env=seed.env)
        assert denied.returncode == 7
        outputs += [denied.stdout, denied.stderr]
        assert run_awsafe("clear", env=seed.env).returncode == 0
        seed.moto.fail_next("GetSessionToken", code="Throttling", times=10)
        throttled = run_awsafe(*debug, "export", "demo", env=seed.env)
        assert throttled.returncode == 7
        outputs += [throttled.stdout, throttled.stderr]
        locked = run_awsafe(*debug, "export", "demo", env={**seed.env, "AWSAFE_FILE_PASSPHRASE": "wrong"})
        assert locked.returncode == 4
        outputs += [locked.stdout, locked.stderr]

    for text in outputs:
        for secret in secrets:
            assert secret not in text
    needles = [s.encode() for s in secrets]
    assert _files_containing(tmp_path, needles) == []
