"""Under `umask 000`, every path awsafe creates is private (directories 0700, files 0600), and an
existing ~/.aws/config keeps the mode its owner gave it."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import visits_path
from tests.support.env import run_awsafe, start_awsafe
from tests.support.moto_server import MotoServer
from tests.support.worlds import EXTERNAL_ID, SsoWorld

pytestmark = pytest.mark.skipif(os.name != "posix", reason="modes are POSIX's")


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)  # awsafe, started from here, inherits it
    try:
        yield
    finally:
        os.umask(previous)


def loose_paths(root: Path, exclude: set[Path] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Every path under ``root`` (not in ``exclude``) that is not exactly 0700 (dirs) or 0600 (files)."""
    loose = []
    for path in sorted(root.rglob("*")):
        if path in exclude or path.is_symlink():
            continue
        want = 0o700 if path.is_dir() else 0o600
        if stat.S_IMODE(path.lstat().st_mode) != want:
            loose.append(f"{path.relative_to(root)} {oct(stat.S_IMODE(path.lstat().st_mode))}")
    return loose


def serve_once(env: dict[str, str]) -> tuple[list[str], Path]:
    """Start `awsafe server test`, note its token file's and directory's modes, stop it."""
    server = start_awsafe("server", "test", env=env)
    try:
        assert server.stdout is not None
        variables = dict(server.stdout.readline().strip().split("=", 1) for _ in range(2))
        token = Path(variables["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"])
        modes = [oct(stat.S_IMODE(token.parent.stat().st_mode)), oct(stat.S_IMODE(token.stat().st_mode))]
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=20)
    assert server.returncode == 0, stderr
    return modes, token


def test_under_umask_000_every_path_awsafe_creates_is_private(
    moto: MotoServer, isolated_env: Path, tmp_path: Path
) -> None:
    home = isolated_env
    assert list(home.iterdir()) == []  # nothing there but what awsafe makes
    key_id, secret = moto.create_user_with_key("demo")
    role_arn = moto.create_role("seed-role", moto.user_arn("demo"), external_id=EXTERNAL_ID)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**moto.endpoint_env(), "TMPDIR": str(tmpdir)}
    with umask(0o000):
        added = run_awsafe(
            "add", "demo", "--env", env={**env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
        )
        assert added.returncode == 0, added.stderr
        config = home / ".aws" / "config"
        with config.open("a") as handle:  # appending keeps the mode awsafe gave it
            handle.write(
                f"region = ap-northeast-2\n\n[profile test]\nrole_arn = {role_arn}\n"
                f"external_id = {EXTERNAL_ID}\nsource_profile = demo\n"
            )
        for args in (
            ["export", "--format", "json", "test"],
            ["export", "--format", "json", "test"],  # the fast path
            ["exec", "test", "--", "true"],
            ["exec", "--ecs-server", "test", "--", "true"],
            ["export", "--no-session", "demo"],
            ["list", "--sessions"],
        ):
            result = run_awsafe(*args, env=env)
            assert result.returncode == 0, (args, result.stderr)
        modes, token = serve_once(env)
    assert modes == ["0o700", "0o600"]
    assert token.parent.parent == tmpdir and not token.parent.exists()
    assert (home / ".aws").is_dir() and config.is_file()
    assert (home / ".awsafe" / "memo").is_dir() and (home / ".awsafe" / "locks").is_dir()
    assert loose_paths(home) == []


def test_under_umask_000_the_sso_cli_cache_and_its_parents_are_private(sso: SsoWorld) -> None:
    before = set(sso.home.rglob("*"))
    config_mode = stat.S_IMODE(sso.config.stat().st_mode)
    with umask(0o000):
        result = run_awsafe(
            "export", "--format", "json", "sso-dev", env={**sso.env, "AWSAFE_SSO_CLI_CACHE": "write"}
        )
        assert result.returncode == 0, result.stderr
        populated = run_awsafe("sso", "populate", "--sso-session", "corp", "--write", env=sso.env)
        assert populated.returncode == 0, populated.stderr
    cache = sso.home / ".aws" / "sso" / "cache"
    assert [p.suffix for p in cache.iterdir()] == [".json"]
    assert (
        loose_paths(sso.home, exclude=before | {sso.browser_log, visits_path(sso.browser_log)}) == []
    )  # the double's logs
    assert stat.S_IMODE(sso.config.stat().st_mode) == config_mode  # appended to, mode untouched


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_add_keeps_the_mode_of_an_existing_config(moto: MotoServer, isolated_env: Path, mode: int) -> None:
    config = isolated_env / ".aws" / "config"
    config.parent.mkdir()
    config.write_text("[profile other]\nregion = eu-west-1\n")
    config.chmod(mode)
    key_id, secret = moto.create_user_with_key("demo")
    with umask(0o000):
        added = run_awsafe(
            "add", "demo", "--env", env={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
        )
    assert added.returncode == 0, added.stderr
    assert "[profile demo]" in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == mode
