"""The README says what `scripts/test` downloads and installs: every Debian package it may
install, every npm package of tests/js and every PyPI package of the test extra is named in
its Tests section (issue 15: the first five minutes), so the two cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tests_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n## Tests\n", 1)[1].split("\n## ", 1)[0]


def _debian_packages() -> set[str]:
    script = (ROOT / "scripts" / "test").read_text()
    found = set(re.findall(r"missing\+=\(([\w.+-]+)\)", script))
    found |= set(re.findall(r"apt-get install [^\n]*?(python3-venv)", script))
    return found


def _npm_packages() -> set[str]:
    manifest = json.loads((ROOT / "tests" / "js" / "package.json").read_text())
    return {*manifest.get("dependencies", {}), *manifest.get("optionalDependencies", {})}


def _pypi_test_packages() -> set[str]:
    # The `test = [...]` list of [project.optional-dependencies] (tomllib is not in Python 3.10).
    pyproject = (ROOT / "pyproject.toml").read_text()
    extra = re.search(r"^test = \[\n(.*?)^\]", pyproject, re.S | re.M)
    assert extra is not None, "no test extra in pyproject.toml"
    specs = re.findall(r'^\s*"([^"]+)"', extra.group(1), re.M)
    return {re.split(r"[<>=!~ ]", spec, maxsplit=1)[0] for spec in specs}


def test_the_readme_names_every_package_scripts_test_installs() -> None:
    section = _tests_section()
    named = set(re.findall(r"`([^`\s]+)`", section))
    wanted = {
        "Debian": _debian_packages(),
        "npm": _npm_packages(),
        "PyPI": _pypi_test_packages(),
    }
    assert all(wanted.values()), wanted  # the parsing above found something to check
    missing = {source: sorted(names - named) for source, names in wanted.items() if names - named}
    assert not missing, f"README.md's Tests section does not name: {missing}"
