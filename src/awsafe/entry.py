"""The process entry point: the cache-hit fast path first, the full CLI when it declines."""

from __future__ import annotations

import sys


def entry() -> None:
    from awsafe.process_guard import guard_process_start

    # Before anything else: no core dumps, and the passphrase out of what children inherit.
    environ = guard_process_start()
    from awsafe.hotpath import try_hit

    code = try_hit(sys.argv[1:], environ)
    if code is None:
        from awsafe.cli.main import main

        code = main()
    raise SystemExit(code)
