"""The benchmarks' shared parts: measuring, worlds and reporting; the scripts beside them are mains.

measuring  timing whole processes, interleaved rounds, medians, CPU from /proc
configs    the generated ~/.aws/config texts (the seed's profiles, N generated ones)
worlds     temporary HOMEs and vaults, moto, the AWS CLI's world, warming a cache
endpoint   `awsafe server` as its own process, and one request by hand
checks     what each timed run must have printed
loadgen    the load generators of server_load.py (wrk, asyncio keep-alive clients)
flood      the idle/slow connection flood of server_flood.py (its own process)
reporting  the printed tables, ratios and verdicts

Run the scripts as files (`.venv/bin/python benchmarks/server_load.py`); each puts the
repository root on sys.path so that `benchmarks.*` and `tests.support` import. Nothing here
is part of the test suite, and nothing here asserts a timing goal.
"""
