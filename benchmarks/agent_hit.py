"""Cache hits through the agent: `awsafe export --format json test` answered by `awsafe agent`.

Issue 12's speed goals, in one run, interleaved round-robin and printed as ratios:

    floor          python -c pass (the venv's interpreter)
    file+agent     awsafe export --format json test, file vault, served by a running agent
                   (no passphrase in the client's environment: only the agent can answer)
    keychain+agent the same with AWSAFE_BACKEND=secret-service (scripts/bench's throwaway
                   gnome-keyring; skipped outside it)
    aws sts        aws sts get-caller-identity --profile test: the AWS CLI resolving the same
                   role from plaintext keys and its own warm ~/.aws/cli/cache, and calling STS
                   (moto on 127.0.0.1) with it

    goals: file+agent <= 2x floor, keychain+agent <= 2x floor, aws sts / file+agent >= 10

moto keeps running (the AWS CLI needs it); every timed awsafe run must print the access key
the warm-up cached, and moto must see no AssumeRole during the timed runs.

    scripts/bench-agent [--runs 31] [--keep]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.*` when run as a file

from benchmarks.agentworld import AgentProcess, without_passphrase  # noqa: E402
from benchmarks.checks import same_key  # noqa: E402
from benchmarks.configs import config_text  # noqa: E402
from benchmarks.measuring import BenchError, Timed, must_succeed, round_robin, say  # noqa: E402
from benchmarks.reporting import Row, render_machine, render_table, verdict  # noqa: E402
from benchmarks.worlds import (  # noqa: E402
    AWS,
    AWSAFE,
    EXPORT,
    PYTHON,
    THROWAWAY_KEYRING,
    Moto,
    add_demo,
    aws_cli_home,
    awsafe_home,
    base_environment,
    file_vault_home,
    run_with_moto,
    venv_ready,
    warm_aws_cli,
    warm_awsafe,
)

AWS_STS_COMMAND = [str(AWS), "sts", "get-caller-identity", "--profile", "test"]
GOAL_FLOOR = 2.0
GOAL_CLI = 10.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=31, help="timed rounds, median of these (>= 9)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.runs < 9:
        parser.error("--runs must be at least 9")
    return args


def main() -> int:
    args = parse_args()
    if not venv_ready(AWSAFE, AWS):
        return 2
    if not THROWAWAY_KEYRING:
        say("not inside scripts/bench's throwaway keyring: the keychain+agent part is SKIPPED")
    return run_with_moto("awsafe-bench-agent-", args.keep, lambda root, moto: bench(args, root, moto))


def bench(args: argparse.Namespace, root: Path, moto: Moto) -> int:
    key_id, secret, role_arn = moto.create_world()
    base = base_environment(moto.url)
    config = root / "config"
    config.write_text(config_text(role_arn, 2))
    items = [Timed("floor", [PYTHON, "-c", "pass"], base)]
    agents: list[AgentProcess] = []
    try:
        file_env = file_vault_home(root, "home-file", base, config)
        add_demo(file_env, key_id, secret)
        items.append(agent_hit("file+agent", root, file_env, moto, agents))
        if THROWAWAY_KEYRING:
            keychain_env = awsafe_home(root, "home-kc", base, config, AWSAFE_BACKEND="secret-service")
            add_demo(keychain_env, key_id, secret)
            items.append(agent_hit("keychain+agent", root, keychain_env, moto, agents))
        cli_env = aws_cli_home(root, base, config.read_text(), key_id, secret)
        say("AWS CLI: warm ~/.aws/cli/cache")
        warm_aws_cli(cli_env, moto)
        must_succeed(AWS_STS_COMMAND, cli_env)
        calls = moto.assume_role_calls()
        items.append(Timed("aws sts", AWS_STS_COMMAND, cli_env))
        say(f"timing {len(items)} things round-robin, {args.runs} rounds (+1 untimed warm-up round)")
        round_robin(items, args.runs)
        if moto.assume_role_calls() != calls:
            raise BenchError("STS AssumeRole was called during the timed runs: a cache was missed")
        report(items, args.runs)
    finally:
        for agent in agents:
            agent.stop()
    return 0


def agent_hit(label: str, root: Path, env: dict[str, str], moto: Moto, agents: list[AgentProcess]) -> Timed:
    """Warm the role in `env`'s vault, start an agent on it, and time export through it."""
    say(f"{label}: warm the cache, start an agent")
    key = warm_awsafe(label, env, moto, expect_calls=1)
    agent = AgentProcess.start(root, label.split("+")[0], env)
    agents.append(agent)
    client_env = without_passphrase(agent.client_env)
    key_through_agent = same_key(key)
    key_through_agent(EXPORT, must_succeed(EXPORT, client_env))
    return Timed(label, EXPORT, client_env, key_through_agent)


def report(items: list[Timed], runs: int) -> None:
    """The table (median ms, ratio to the floor, goal, verdict) and one line for the AWS CLI."""
    by = {item.name: item for item in items}
    floor, agent_ms = by["floor"].median_ms, by["file+agent"].median_ms
    speedup = by["aws sts"].median_ms / agent_ms
    rows: list[Row] = [("floor", floor, 1.0, "", "")]
    for name in ("file+agent", "keychain+agent"):
        if name in by:
            ratio = by[name].median_ms / floor
            rows.append(
                (name, by[name].median_ms, ratio, f"<= {GOAL_FLOOR:g}x floor", verdict(ratio <= GOAL_FLOOR))
            )
    rows.append(
        (
            "aws sts",
            by["aws sts"].median_ms,
            by["aws sts"].median_ms / floor,
            f">= {GOAL_CLI:g}x file+agent ({speedup:.1f}x)",
            verdict(speedup >= GOAL_CLI),
        )
    )
    print(f"\nawsafe export through the agent, {runs} interleaved rounds; {render_machine()}")
    for line in render_table(rows):
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
