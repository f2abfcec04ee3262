"""The import layers in pyproject.toml ([tool.importlinter]) hold, and break when an import runs upward.

Each check runs the real `lint-imports` (or grimp, for module cycles) on a copy of src/awsafe,
once as it is (it must pass) and once with one import planted (it must fail), so the contract
is shown to catch what it promises: imports at module level, inside functions and under
TYPE_CHECKING.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: import-linter brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "awsafe"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# Module cycles, counting imports inside functions and under TYPE_CHECKING (grimp's defaults).
FIND_CYCLES = """
import grimp
graph = grimp.build_graph("awsafe", cache_dir=None)
edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
index, low, stack, on_stack, cycles = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index); stack.append(v); on_stack.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop(); on_stack.discard(w); component.append(w)
            if w == v:
                break
        if len(component) > 1:
            cycles.append(sorted(component))
for module in sorted(edges):
    if module not in index:
        visit(module)
for cycle in cycles:
    print(" ".join(cycle))
"""


def copy_of_src(tmp_path: Path) -> Path:
    """src/awsafe and pyproject.toml copied under ``tmp_path``; the copy's src folder."""
    src = tmp_path / "src"
    shutil.copytree(SRC, src / "awsafe", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return src


def plant(src: Path, module: str, text: str) -> None:
    """Append ``text`` to ``module`` (a path under the copy's awsafe package)."""
    path = src / "awsafe" / module
    path.write_text(path.read_text() + "\n\n" + text + "\n")


def run_in_copy(src: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=src.parent,
        env={**os.environ, "PYTHONPATH": str(src)},  # the copy, not the installed checkout
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    return run_in_copy(src, [str(LINT_IMPORTS), "--no-cache", "--no-logo", "pyproject.toml"])


def module_cycles(src: Path) -> list[str]:
    result = run_in_copy(src, [sys.executable, "-c", FIND_CYCLES])
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_contracts_hold_for_the_source_as_it_is(tmp_path: Path) -> None:
    result = lint_imports(copy_of_src(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        # a low module importing the CLI at module level
        ("model.py", "import awsafe.cli.main", "awsafe.model is not allowed to import awsafe.cli"),
        # inside a function: a lazy import is still an import
        (
            "durations.py",
            "def _upward() -> None:\n    from awsafe.wiring import GlobalOptions  # noqa: F401",
            "awsafe.durations is not allowed to import awsafe.wiring",
        ),
        # under TYPE_CHECKING: a type-only import still ties the layers together
        (
            "vault/base.py",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from awsafe.credentials.cache import SessionCache",
            "awsafe.vault is not allowed to import awsafe.credentials",
        ),
        # the process environment is read at the edge and passed down, never read by the engine
        (
            "credentials/stored.py",
            "def _upward() -> None:\n    from awsafe.environment import Environment  # noqa: F401",
            "awsafe.credentials is not allowed to import awsafe.environment",
        ),
        # the fast path's records reaching up to the CLI's fast path
        (
            "credentials/fastpath.py",
            "def _upward() -> None:\n    import awsafe.cli.fastpath  # noqa: F401",
            "awsafe.credentials is not allowed to import awsafe.cli",
        ),
        # a prompt driver importing the chooser above it
        (
            "prompts/terminal.py",
            "def _upward() -> None:\n    from awsafe.prompts.mfa import choose_mfa_source  # noqa: F401",
            "awsafe.prompts.terminal is not allowed to import awsafe.prompts.mfa",
        ),
        # wiring's shared helpers importing the SSO wiring that uses them
        (
            "wiring/state.py",
            "def _upward() -> None:\n    from awsafe.wiring.sso import sso_tokens  # noqa: F401",
            "awsafe.wiring.state is not allowed to import awsafe.wiring.sso",
        ),
        # a command calling AWS itself instead of through the composition root (wiring)
        (
            "cli/rotate.py",
            "def _direct() -> None:\n    import awsafe.aws.sts  # noqa: F401",
            "awsafe.cli.rotate -> awsafe.aws.sts",
        ),
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, planted: str, broken: str) -> None:
    src = copy_of_src(tmp_path)
    plant(src, module, planted)
    result = lint_imports(src)
    assert result.returncode != 0, result.stdout
    assert broken in result.stdout, result.stdout


def test_every_top_level_module_is_in_a_layer() -> None:
    """A new module must be placed in the layers, or the contract would not look at it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if not c.get("containers") and "layers" in c]
    declared = {name.strip() for layer in layers for name in layer.split("|")}
    present = {
        f"awsafe.{path.stem if path.is_file() else path.name}"
        for path in SRC.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py") or (path / "__init__.py").is_file()
    }
    assert present - declared == set()
    assert declared - present == set()


def test_no_import_cycle_among_modules(tmp_path: Path) -> None:
    assert module_cycles(copy_of_src(tmp_path)) == []


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    """The cycle check is real: wiring.state importing wiring.vault (which imports it) is one."""
    src = copy_of_src(tmp_path)
    plant(src, "wiring/state.py", "def _back() -> None:\n    from awsafe.wiring.vault import open_vault")
    (cycle,) = module_cycles(src)
    assert {"awsafe.wiring.vault", "awsafe.wiring.state"} <= set(cycle.split())
