"""Completing a profile name on a 200,000-profile config: what the shell runs on each Tab.

Issue 15's goal: profile names complete in under 100 ms on a 200,000-profile config. Every
completion script asks `awsafe __complete profiles PREFIX` (names only, import-light, no vault),
so that process is what is timed, interleaved round-robin with the interpreter floor:

    floor            python -c pass (the venv's interpreter)
    5 profiles       awsafe __complete profiles te, on the five-profile config
    prefix te        the same on the 200,000-profile config (answer: test)
    prefix sso-1999  50 names of 200,000
    every name       awsafe __complete profiles: all 200,003 names (what Tab after
                     `awsafe exec ` asks; the shell then has to show them)
    bash             bash sourcing `awsafe completion bash` and completing `awsafe exec te`
                     through its completion function: the prefix-te run plus the shell's part

Every run's output is checked (the right names, and only names). Goal: prefix te <= 100 ms.

    .venv/bin/python benchmarks/completion.py [--runs 21] [--profiles 200000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.*` when run as a file

from benchmarks.configs import config_text  # noqa: E402
from benchmarks.measuring import (  # noqa: E402
    BenchError,
    Check,
    Completed,
    Timed,
    round_robin,
    say,
    say_failed,
)
from benchmarks.reporting import Row, render_machine, render_table, verdict  # noqa: E402
from benchmarks.worlds import AWSAFE, PYTHON, base_environment, venv_ready  # noqa: E402

SEED_ROLE = "arn:aws:iam::123456789012:role/seed-role"
GOAL_MS = 100.0
BASH_DRIVER = """
source "$1"
COMP_WORDS=(awsafe exec te); COMP_CWORD=2; COMP_LINE="awsafe exec te"; COMP_POINT=${#COMP_LINE}
_shtab_awsafe awsafe te exec
printf '%s\\n' "${COMPREPLY[@]}"
"""


def names_are(expected: list[str] | int) -> Check:
    """A check: the run printed exactly these names (or this many)."""

    def check(cmd: list[str], result: Completed) -> None:
        names = result.stdout.splitlines()
        ok = names == expected if isinstance(expected, list) else len(names) == expected
        if result.returncode != 0 or not ok or result.stderr:
            raise BenchError(f"`{' '.join(cmd[-3:])}` printed {names[:5]}... (exit {result.returncode})")

    return check


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="timed rounds, median of these (>= 5)")
    parser.add_argument("--profiles", type=int, default=200_000, help="size of the large config")
    args = parser.parse_args()
    if not venv_ready(AWSAFE):
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        small, big, script = Path(tmp, "small"), Path(tmp, "big"), Path(tmp, "awsafe.bash")
        small.write_text(config_text(SEED_ROLE, 2, seed_at=1))
        big.write_text(config_text(SEED_ROLE, args.profiles))
        script.write_text(
            subprocess.run(
                [str(AWSAFE), "completion", "bash"], check=True, capture_output=True, text=True
            ).stdout
        )
        env = {**base_environment("http://127.0.0.1:9"), "HOME": tmp}
        small_env, big_env = {**env, "AWS_CONFIG_FILE": str(small)}, {**env, "AWS_CONFIG_FILE": str(big)}
        bash_env = {**big_env, "PATH": f"{AWSAFE.parent}:{env.get('PATH', '/usr/bin:/bin')}"}
        complete = [str(AWSAFE), "__complete", "profiles"]
        bash = ["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bash", str(script)]
        sso = [f"sso-1999{i:02d}" for i in range(0, 100, 2)] if args.profiles == 200_000 else None
        items = [
            Timed("floor: python -c pass", [PYTHON, "-c", "pass"], env),
            Timed("5 profiles: __complete profiles te", [*complete, "te"], small_env, names_are(["test"])),
            Timed("200,000: __complete profiles te", [*complete, "te"], big_env, names_are(["test"])),
            Timed("200,000: __complete profiles sso-1999", [*complete, "sso-1999"], big_env,
                  names_are(sso) if sso else None),
            Timed("200,000: __complete profiles (every name)", complete, big_env,
                  names_are(args.profiles + 3)),
            Timed("200,000: bash completes `awsafe exec te`", bash, bash_env, names_are(["test"])),
        ]  # fmt: skip
        size = big.stat().st_size / 1e6
        say(f"{args.profiles:,} profiles, {size:.1f} MB; {args.runs} rounds")
        try:
            round_robin(items, max(5, args.runs))
        except BenchError as error:
            say_failed(error)
            return 1
    floor = items[0].median_ms
    rows: list[Row] = [(items[0].name, floor, 1.0, "", "")]
    for item in items[1:]:
        goal, ms = item is items[2], item.median_ms
        met = verdict(ms <= GOAL_MS) if goal else ""
        rows.append((item.name, ms, ms / floor, f"<= {GOAL_MS:.0f} ms" if goal else "", met))
    print(f"\nprofile name completion; {render_machine()}; whole-process medians of {args.runs} runs")
    print("\n".join(render_table(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
