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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = """\
[profile demo]
region = ap-northeast-2

[profile test]
external_id=35e413a2-b7d2-45a3-9126-6fdf4563863d
role_arn=arn:aws:iam::123456789012:role/seed-role
role_session_name=test
source_profile=demo
region=ap-northeast-2

"""

SSO_SESSIONS = 5

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


def generated_profiles(count: int) -> list[str]:
    """Half SSO profiles (through an [sso-session]), half credential_process profiles."""
    sections = []
    for i in range(count):
        if i % 2 == 0:
            sections.append(
                f"[profile sso-{i:06d}]\nsso_session = corp{i % SSO_SESSIONS}\n"
                f"sso_account_id = {100_000_000_000 + i}\nsso_role_name = Role{i % 7}\n"
                "region = eu-west-1\n\n"
            )
        else:
            sections.append(
                f"[profile proc-{i:06d}]\ncredential_process = /usr/local/bin/get-creds "
                f"--account {100_000_000_000 + i} --role Role{i % 7}\nregion = us-west-2\n\n"
            )
    return sections


def config_text(profiles: list[str], seed_at: int) -> str:
    head = "[default]\nregion = us-east-1\noutput = json\n\n" + "".join(
        f"[sso-session corp{s}]\nsso_start_url = https://corp{s}.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n"
        for s in range(SSO_SESSIONS)
    )
    return head + "".join(profiles[:seed_at]) + SEED + "".join(profiles[seed_at:])


def medians_ms(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command; runs are interleaved so that a busy
    machine slows every command alike and the ratios stay fair."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(values) * 1000 for label, values in times.items()}


def in_process(python: str, code: str, path: Path) -> tuple[int, float]:
    """(count, seconds) as printed by one of the LIST / PARSE_ALL scripts."""
    out = subprocess.run([python, "-c", code, str(path)], check=True, capture_output=True, text=True)
    count, seconds = out.stdout.split()
    return int(count), float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per timing (median)")
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--python", default=sys.executable, help="interpreter to time")
    args = parser.parse_args()
    python = args.python

    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp, "small")
        middle = Path(tmp, "middle")
        end = Path(tmp, "end")
        # [default], one SSO and one credential_process profile, demo and test: five profiles.
        small.write_text(config_text(generated_profiles(2), 1))
        profiles = generated_profiles(args.profiles)
        middle.write_text(config_text(profiles, len(profiles) // 2))
        end.write_text(config_text(profiles, len(profiles)))
        size = middle.stat().st_size / 1e6

        timed = medians_ms(
            {
                "floor": [python, "-c", "pass"],
                "small": [python, "-c", RESOLVE, str(small)],
                "middle": [python, "-c", RESOLVE, str(middle)],
                "end": [python, "-c", RESOLVE, str(end)],
            },
            args.runs,
        )
        listed = medians_ms({"list": [python, "-c", LIST, str(middle)]}, max(3, args.runs // 3))
        names, list_seconds = in_process(python, LIST, middle)
        sections, parse_seconds = in_process(python, PARSE_ALL, middle)

    n = f"{args.profiles:,}"
    floor, base = timed["floor"], timed["small"]
    rows = [
        ("python -c pass (the floor)", floor, ""),
        ("resolve chain of test, 5 profiles", base, f"{base / floor:.1f}x the floor"),
        (f"resolve chain of test, {n}, seed in the middle", timed["middle"],
         f"{timed['middle'] / base:.2f}x the 5-profile run"),
        (f"resolve chain of test, {n}, seed at the end", timed["end"],
         f"{timed['end'] / base:.2f}x the 5-profile run"),
        (f"list(cfg.profiles), {n}", listed["list"],
         f"{names:,} names; {list_seconds * 1000:.0f} ms after start-up"),
        (f"read every section, {n}", None,
         f"{sections:,} sections; {parse_seconds * 1000:.0f} ms after start-up"),
    ]  # fmt: skip
    print(f"{n} profiles = {size:.1f} MB of config; whole-process medians of {args.runs} runs")
    for label, ms, note in rows:
        figure = f"{ms:8.1f} ms" if ms is not None else " " * 11
        print(f"  {label:<52} {figure}   {note}")
    ratio = max(timed["middle"], timed["end"]) / base
    print(f"goal: one profile of {n} costs <= 3x one of 5 -> {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
