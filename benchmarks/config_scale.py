"""Resolving one profile of a 200,000-profile config must cost at most ~3x a five-profile one.

Generates in a temporary directory a five-profile config and a 200,000-profile
config (half SSO profiles, half credential_process profiles, a few
[sso-session] sections, and the seed's demo/test profiles in the middle, and
again in a copy with them at the end), then times whole processes, median of
--runs each:

    python -c pass                      the floor: interpreter start-up
    resolve the chain of `test`         on each config (imports awsafe.config, reads, resolves)

and prints the ratio big/small, the time to list every profile name
(``list(cfg.profiles)``) and to parse every section of the big file. Prints
figures; asserts nothing about them (house style: timing goals live here, not
in tests).

    .venv/bin/python benchmarks/config_scale.py [--runs 9] [--profiles 200000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.*` when run as a file

from benchmarks.configs import config_text  # noqa: E402
from benchmarks.measuring import interleaved_medians_ms  # noqa: E402
from benchmarks.reporting import print_scale_report  # noqa: E402

SEED_ROLE = "arn:aws:iam::123456789012:role/seed-role"

RESOLVE = """\
import sys
from pathlib import Path
from awsafe.config.load import load_config
from awsafe.config.resolve import resolve_chain
chain = resolve_chain(load_config(Path(sys.argv[1])), "test", {})
if [p.name for p in chain] != ["test", "demo"] or chain[0].role_arn is None:
    raise SystemExit(f"wrong chain: {chain}")
"""

LIST = """\
import sys, time
from pathlib import Path
from awsafe.config.load import load_config
started = time.perf_counter()
names = list(load_config(Path(sys.argv[1])).profiles)
print(len(names), time.perf_counter() - started)
"""

PARSE_ALL = """\
import sys, time
from pathlib import Path
from awsafe.config.load import load_config
started = time.perf_counter()
config = load_config(Path(sys.argv[1]))
count = sum(1 for _ in config.profiles.values()) + sum(1 for _ in config.sso_sessions.values())
print(count, time.perf_counter() - started)
"""


def in_process(python: str, code: str, path: Path) -> tuple[int, float]:
    """(count, seconds) as printed by one of the LIST / PARSE_ALL scripts."""
    out = subprocess.run([python, "-c", code, str(path)], check=True, capture_output=True, text=True)
    count, seconds = out.stdout.split()
    return int(count), float(seconds)


def write_configs(tmp: str, profiles: int) -> tuple[Path, Path, Path]:
    """The five-profile config, and the large one with the seed in the middle and at the end."""
    small, middle, end = Path(tmp, "small"), Path(tmp, "middle"), Path(tmp, "end")
    # [default], one SSO and one credential_process profile, demo and test: five profiles.
    small.write_text(config_text(SEED_ROLE, 2, seed_at=1))
    middle.write_text(config_text(SEED_ROLE, profiles, seed_at=profiles // 2))
    end.write_text(config_text(SEED_ROLE, profiles, seed_at=profiles))
    return small, middle, end


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per timing (median)")
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--python", default=sys.executable, help="interpreter to time")
    args = parser.parse_args()
    python = args.python

    with tempfile.TemporaryDirectory() as tmp:
        small, middle, end = write_configs(tmp, args.profiles)
        size = middle.stat().st_size / 1e6
        timed = interleaved_medians_ms(
            {
                "floor": [python, "-c", "pass"],
                "small": [python, "-c", RESOLVE, str(small)],
                "middle": [python, "-c", RESOLVE, str(middle)],
                "end": [python, "-c", RESOLVE, str(end)],
            },
            args.runs,
        )
        listed = interleaved_medians_ms({"list": [python, "-c", LIST, str(middle)]}, max(3, args.runs // 3))
        timed["list"] = listed["list"]
        counted = {"list": in_process(python, LIST, middle), "parse": in_process(python, PARSE_ALL, middle)}

    n = f"{args.profiles:,}"
    ratio = max(timed["middle"], timed["end"]) / timed["small"]
    print_scale_report(
        render_rows(n, timed, counted),
        f"{n} profiles = {size:.1f} MB of config; whole-process medians of {args.runs} runs",
        f"goal: one profile of {n} costs <= 3x one of 5 -> {ratio:.2f}x",
    )
    return 0


def render_rows(
    n: str, timed: dict[str, float], counted: dict[str, tuple[int, float]]
) -> list[tuple[str, float | None, str]]:
    floor, base = timed["floor"], timed["small"]
    (names, list_seconds), (sections, parse_seconds) = counted["list"], counted["parse"]
    return [
        ("python -c pass (the floor)", floor, ""),
        ("resolve chain of test, 5 profiles", base, f"{base / floor:.1f}x the floor"),
        (f"resolve chain of test, {n}, seed in the middle", timed["middle"],
         f"{timed['middle'] / base:.2f}x the 5-profile run"),
        (f"resolve chain of test, {n}, seed at the end", timed["end"],
         f"{timed['end'] / base:.2f}x the 5-profile run"),
        (f"list(cfg.profiles), {n}", timed["list"],
         f"{names:,} names; {list_seconds * 1000:.0f} ms after start-up"),
        (f"read every section, {n}", None,
         f"{sections:,} sections; {parse_seconds * 1000:.0f} ms after start-up"),
    ]  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
