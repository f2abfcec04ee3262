"""`python -m awsafe`: the same entry point as the console script."""

from awsafe.cli.main import main

raise SystemExit(main())
