"""The README's install, run as written with Debian's own Python, which refuses system installs.

Debian's /usr/bin/python3 is "externally managed" (PEP 668): plain `python3 -m pip install .`
is refused. The README's two lines (read from README.md, so the two cannot drift) must work
with it. The test reaches no package index: pip gets `--no-deps` and `PIP_NO_INDEX`, the
dependencies come from this test run's virtualenv (a user-site .pth seen by pipx's
`--system-site-packages` venv), and pip's build isolation takes setuptools and wheel from the
wheel files scripts/test downloads beforehand (`AWSAFE_TEST_BUILD_WHEELS`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from awsafe import __version__

ROOT = Path(__file__).resolve().parents[2]
DEBIAN_PYTHON = Path("/usr/bin/python3")
# Read at import, before the autouse fixture scrubs AWSAFE_* for each test.
BUILD_WHEELS = os.environ.get("AWSAFE_TEST_BUILD_WHEELS", "")


def _externally_managed() -> str | None:
    """Why this machine cannot run the test, or None."""
    if not DEBIAN_PYTHON.exists() or shutil.which("pipx") is None:
        return "no /usr/bin/python3 or pipx (scripts/test installs pipx and python3-pip)"
    probe = subprocess.run(
        [str(DEBIAN_PYTHON), "-c", "import sysconfig, pip; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return "Debian's python3 has no pip (python3-pip)"
    if not (Path(probe.stdout.strip()) / "EXTERNALLY-MANAGED").exists():
        return "/usr/bin/python3 is not externally managed here"
    return None


pytestmark = pytest.mark.skipif(_externally_managed() is not None, reason=str(_externally_managed()))


def _readme_install_lines() -> dict[str, str]:
    section = (ROOT / "README.md").read_text().split("## Install\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for block in re.findall(r"```sh\n(.*?)```", section, re.S) for line in block.splitlines()]
    found = {line.split()[0]: line.strip() for line in lines if line.strip()}
    assert set(found) == {"pipx", "python3"}, found
    return found


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a fresh clone holds for the install: pyproject, README and src (no .venv, no build/)."""
    copy = tmp_path_factory.mktemp("clone")
    shutil.copy(ROOT / "pyproject.toml", copy)
    shutil.copy(ROOT / "README.md", copy)
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return copy


def _shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _debian_env(home: Path) -> dict[str, str]:
    """`python3` is Debian's; pip looks at no index, only at the build tools' wheel files."""
    if not BUILD_WHEELS or not list(Path(BUILD_WHEELS).glob("setuptools-*.whl")):
        pytest.fail(
            "no wheel files of setuptools and wheel in AWSAFE_TEST_BUILD_WHEELS: run the suite with "
            "scripts/test, which downloads them before any test starts",
            pytrace=False,
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PIPX_", "VIRTUAL_ENV"))}
    return {
        **env,
        "HOME": str(home),
        "PATH": f"/usr/bin:/bin:{env.get('PATH', '')}",
        "PIP_CACHE_DIR": str(home / "pip-cache"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": BUILD_WHEELS,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def test_plain_pip_install_is_refused_by_debian_python(checkout: Path, tmp_path: Path) -> None:
    # --dry-run: even where it were not refused, nothing would be installed into the system.
    result = _shell(
        "python3 -m pip install --dry-run --no-index --no-deps .", checkout, _debian_env(tmp_path)
    )
    assert result.returncode != 0
    assert "externally-managed-environment" in result.stdout + result.stderr


def test_the_readme_venv_line_installs_with_debian_python(checkout: Path, tmp_path: Path) -> None:
    line = _readme_install_lines()["python3"]
    work = tmp_path / "clone"
    shutil.copytree(checkout, work)
    result = _shell(line + " --no-deps -q", work, _debian_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "home = /usr/bin" in (work / ".venv" / "pyvenv.cfg").read_text(), line  # Debian's Python
    version = subprocess.run(
        [str(work / ".venv" / "bin" / "awsafe"), "--version"], capture_output=True, text=True
    )
    assert (version.returncode, version.stdout) == (0, f"awsafe {__version__}\n"), version.stderr


def test_the_readme_pipx_line_installs_with_debian_python(checkout: Path, tmp_path: Path) -> None:
    line = _readme_install_lines()["pipx"]
    assert line.startswith("pipx install ")
    env = _debian_env(tmp_path)
    pipx_home, bin_dir = tmp_path / "pipx", tmp_path / "bin"
    env.update(PIPX_HOME=str(pipx_home), PIPX_BIN_DIR=str(bin_dir), PIPX_MAN_DIR=str(tmp_path / "man"))
    # pipx's shared pip, made here so that pipx does not upgrade it from PyPI first.
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(pipx_home / "shared")], check=True)
    # The dependencies: this test run's virtualenv, through the user site of the new HOME.
    version = "python{}.{}".format(*subprocess.run(
        [str(DEBIAN_PYTHON), "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True
    ).stdout.split())  # fmt: skip
    user_site = tmp_path / ".local" / "lib" / version / "site-packages"
    user_site.mkdir(parents=True)
    (user_site / "test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    assert sys.version_info[:2] == tuple(int(n) for n in version[len("python") :].split("."))

    result = _shell(line + " --system-site-packages --pip-args=--no-deps", checkout, env)
    assert result.returncode == 0, result.stdout + result.stderr
    awsafe = bin_dir / "awsafe"
    assert "/usr/bin" in (pipx_home / "venvs" / "awsafe" / "pyvenv.cfg").read_text()
    shown = subprocess.run([str(awsafe), "--version"], capture_output=True, text=True, env=env)
    assert (shown.returncode, shown.stdout) == (0, f"awsafe {__version__}\n"), shown.stderr
    listed = subprocess.run([str(awsafe), "list"], capture_output=True, text=True, env=env)  # the full CLI
    assert listed.returncode == 0 and "Profile" in listed.stdout, listed.stderr
