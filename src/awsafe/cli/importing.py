"""`awsafe import SOURCE`: bringing keys in from elsewhere; one module per source configures its
own subcommand (aws-vault's stores in cli/import_awsvault.py, a plaintext credentials file in
cli/import_plaintext.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from awsafe.cli import import_awsvault, import_plaintext


def configure(
    parser: argparse.ArgumentParser, global_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    sources = parser.add_subparsers(dest="import_source", metavar="SOURCE", parser_class=type(parser))
    sources.required = True

    def source(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = sources.add_parser(name, help=help_text, description=help_text)
        global_flags(sub)
        return sub

    import_awsvault.configure(source("aws-vault", "Move the long-term keys aws-vault keeps into the vault"))
    import_plaintext.configure(
        source("credentials-file", "Move the keys of a plaintext credentials file into the vault")
    )
