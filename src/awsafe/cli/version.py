"""`awsafe version`: print what `awsafe --version` prints (aws-vault has both spellings)."""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.cli.helptext import render_version
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.wiring.options import GlobalOptions

__all__ = ["VersionOptions", "configure", "render_version", "run"]


@dataclasses.dataclass(frozen=True)
class VersionOptions:
    """What `version` was asked: nothing, so only stray words after ``--`` to refuse."""

    tail: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> VersionOptions:
        return cls(tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("version takes no command")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    version_options = VersionOptions.from_args(args, tail, env)
    version_options.validate(env, options)
    env.stdout.write(render_version() + "\n")
    env.stdout.flush()
    return ExitCode.OK
