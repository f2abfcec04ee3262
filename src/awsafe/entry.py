"""The process entry point: the cache-hit fast path first, the full CLI when it declines."""

from __future__ import annotations

import os
import sys


def entry() -> None:
    from awsafe.hotpath import try_hit

    code = try_hit(sys.argv[1:], os.environ)
    if code is None:
        from awsafe.cli.main import main

        code = main()
    raise SystemExit(code)
