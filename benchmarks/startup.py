"""`awsafe --version` and `awsafe --help` against the interpreter floor: goal <= 3x.

Both are answered before the CLI is imported (cli/entry.py, cli/helptext.py); `awsafe add
--help`, which goes through argparse and every command module, is shown for comparison.
Whole processes, interleaved rounds, medians; a temporary HOME and no AWS_*/AWSAFE_*
variable. Prints figures; asserts nothing about them.

    .venv/bin/python benchmarks/startup.py [--runs 31]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.*` when run as a file

from benchmarks.measuring import Timed, round_robin, say  # noqa: E402
from benchmarks.reporting import render_machine, render_table, verdict  # noqa: E402

PYTHON = sys.executable
AWSAFE = str(Path(PYTHON).parent / "awsafe")
GOAL = 3.0  # <= 3x the floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31, help="timed rounds (default 31)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="awsafe-bench-startup-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8"}
        items = [
            Timed("floor: python -c pass", [PYTHON, "-c", "pass"], env),
            Timed("awsafe --version", [AWSAFE, "--version"], env),
            Timed("awsafe --help", [AWSAFE, "--help"], env),
            Timed("awsafe add --help (full CLI, for comparison)", [AWSAFE, "add", "--help"], env),
        ]
        say(f"{args.runs} interleaved rounds of {len(items)} commands")
        round_robin(items, args.runs)
    floor = items[0].median_ms
    rows = [(items[0].name, floor, 1.0, "", "")]
    for item in items[1:3]:
        ratio = item.median_ms / floor
        rows.append((item.name, item.median_ms, ratio, f"<= {GOAL:g}x floor", verdict(ratio <= GOAL)))
    rows.append((items[3].name, items[3].median_ms, items[3].median_ms / floor, "reported", ""))
    print(f"\nstartup: --version and --help ({render_machine()}; medians of {args.runs} runs)")
    print("\n".join(render_table(rows)))
    print("ratios")
    for item in items[1:]:
        print(f"  {item.name:<46} / floor {item.median_ms / floor:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
