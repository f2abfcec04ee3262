"""`scripts/bench`'s runner: every speed benchmark in one run, or the one named.

    run.py                          cache_hit, agent_hit, agent_load, then startup, completion, defaults
    run.py NAME [arguments...]      only that one (cache_hit, agent_hit, agent_load, startup,
                                    completion)
    run.py --runs 51 ...            cache_hit with these arguments (as scripts/bench was)

Each runs as its own process; the exit status is the first non-zero one (a failed command,
never a missed goal).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("cache_hit", "agent_hit", "agent_load", "startup", "completion")


def main(argv: list[str]) -> int:
    if argv and argv[0] in SCRIPTS:
        plan = [(argv[0], argv[1:])]
    elif argv:
        plan = [("cache_hit", argv)]
    else:
        plan = [(name, []) for name in SCRIPTS]
    worst = 0
    for name, args in plan:
        code = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *args], check=False).returncode
        worst = worst or code
    return worst


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
