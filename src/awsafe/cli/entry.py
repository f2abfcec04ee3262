"""The process entry point: the fast path first (``cli.fastpath``), the full CLI when it declines."""

from __future__ import annotations

import sys


def entry() -> None:
    from awsafe.process_guard import guard_process_start

    # Before anything else: no core dumps, and the passphrase out of what children inherit.
    environ = guard_process_start()
    if sys.argv[1:2] == ["__complete"]:  # a completion script asking for names (cli.complete_names)
        from awsafe.cli.complete_names import run_complete

        raise SystemExit(run_complete(sys.argv[2:], environ))
    from awsafe.cli.fastpath import try_fast_path

    code = try_fast_path(sys.argv[1:], environ)
    if code is None:
        from awsafe.cli.main import main

        code = main()
    raise SystemExit(code)
