"""Build the objects a command needs from options and the environment: the composition root.

This is the only place that maps environment variables and flags onto the domain; the
domain packages take plain values, and the commands in `cli` reach AWS only through here.
One module per concern:

- ``engine``: the Engine, built once per process, that answers credential requests
- ``options``: the global flags, a credential request, session lengths
- ``vault``: which backend, the file vault's passphrase and KDF cost
- ``provider``: the config file, a request's profile chain, its credential provider
- ``sessions``: the session cache and the fast path records
- ``mfa``: the MFA prompt driver
- ``sso``: IAM Identity Center tokens and sign-in
- ``console``: which credentials `login` hands the console
- ``rotation``: rotate's STS and IAM calls
- ``endpoints``: the ECS endpoint's ``/role-arn/`` roles
- ``state``: ~/.awsafe, its locks and notices

Modules import each other downwards only (the ``wiring`` contract in pyproject.toml); the
package itself imports none of them.
"""
