"""`python -m awsafe`: the same entry point as the console script."""

from awsafe.cli.entry import entry

entry()
