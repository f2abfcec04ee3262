"""`python -m awsafe`: the same entry point as the console script."""

from awsafe.entry import entry

entry()
