"""The process entry point: the fast path first (``cli.fastpath``), the full CLI when it declines."""

from __future__ import annotations

import sys

# The only argv cli.helptext can answer: checked here first, so that every other call (the cache
# hit above all) does not import the pre-rendered help text.
_LEAN_WORDS = frozenset({"--version", "-v", "version", "--help", "-h"})


def _answer_version_or_help(argv: list[str]) -> int | None:
    """`--version` and the top-level `--help` from pre-rendered text (cli/helptext.py), without
    importing argparse or any command; None when argv asks for anything else."""
    if len(argv) != 1 or argv[0] not in _LEAN_WORDS:
        return None
    from awsafe.cli.helptext import render_lean_answer

    text = render_lean_answer(argv)
    if text is None:
        return None
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `awsafe --help | head -1`: the reader has all it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 0


def entry() -> None:
    from awsafe.process_guard import guard_process_start

    # Before anything else: no core dumps, and the passphrase out of what children inherit.
    environ = guard_process_start()
    if sys.argv[1:2] == ["__complete"]:  # a completion script asking for names (cli.complete_names)
        from awsafe.cli.complete_names import run_complete

        raise SystemExit(run_complete(sys.argv[2:], environ))
    lean = _answer_version_or_help(sys.argv[1:])
    if lean is not None:
        raise SystemExit(lean)
    from awsafe.cli.fastpath import try_fast_path

    code = try_fast_path(sys.argv[1:], environ)
    if code is None:
        from awsafe.cli.main import main

        code = main()
    raise SystemExit(code)
