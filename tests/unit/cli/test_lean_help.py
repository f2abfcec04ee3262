"""`awsafe --help` and `--version` served from cli/helptext.py say exactly what argparse says.

Run as a module (`.venv/bin/python -m tests.unit.cli.test_lean_help`) it rewrites the
pre-rendered text in src/awsafe/cli/helptext.py from argparse's output, after a command or a
global flag changed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from awsafe.cli import helptext
from awsafe.cli.main import build_parser
from awsafe.cli.version import render_version
from tests.support.cli import run_main

HELPTEXT = Path(helptext.__file__)


def test_the_pre_rendered_help_is_argparse_own() -> None:
    rendered = build_parser().format_help()
    if sys.version_info[:2] == helptext.RENDERED_WITH:
        assert rendered == helptext.TOP_HELP, (
            "cli/helptext.py is stale: run `.venv/bin/python -m tests.unit.cli.test_lean_help`"
        )
        assert helptext.render_lean_answer(["--help"]) == rendered
        assert helptext.render_lean_answer(["-h"]) == rendered
    else:  # another Python words its help otherwise: the full CLI answers there
        assert helptext.render_lean_answer(["--help"]) is None


def test_help_through_argparse_at_any_terminal_width() -> None:
    for columns in ("40", "80", "250"):
        result = run_main("--help", env={"COLUMNS": columns})
        assert result.returncode == 0
        assert result.stdout == build_parser().format_help()
        if sys.version_info[:2] == helptext.RENDERED_WITH:
            assert result.stdout == helptext.TOP_HELP


def test_the_lean_version_is_the_cli_version() -> None:
    for argv in (["--version"], ["-v"], ["version"]):
        assert helptext.render_lean_answer(argv) == render_version() + "\n"
        result = run_main(*argv)
        assert (result.returncode, result.stdout) == (0, render_version() + "\n")


def test_anything_else_goes_to_the_full_cli() -> None:
    for argv in ([], ["--help", "add"], ["add", "--help"], ["--debug", "--version"], ["-hv"], ["list"]):
        assert helptext.render_lean_answer(argv) is None


def _rewrite() -> None:
    text = build_parser().format_help()
    assert '"""' not in text and "\\" not in text
    source = HELPTEXT.read_text()
    source = re.sub(r"RENDERED_WITH = \(\d+, \d+\)", f"RENDERED_WITH = {sys.version_info[:2]!r}", source)
    source = re.sub(
        r'TOP_HELP = """\\\n.*?"""\n', lambda _: f'TOP_HELP = """\\\n{text}"""\n', source, flags=re.S
    )
    HELPTEXT.write_text(source)
    print(f"rewrote {HELPTEXT}")


if __name__ == "__main__":
    _rewrite()
