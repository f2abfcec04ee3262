"""Command line: argument parsing, one module per command, output rendering, the error boundary.

Every command module has the same shape (``execute.py`` is the model):

- ``configure(parser)`` declares its flags and ``set_defaults(run=run)``; ``main.py`` calls
  it once per command.
- ``XOptions``, a frozen dataclass of plain typed values (``ExecOptions``, ``ServerOptions``,
  ...; the three ``sso`` actions share ``SsoOptions``):
  - ``XOptions.from_args(args, tail, env)`` turns the argparse Namespace (and the words after
    ``--``) into those values. It refuses nothing; its only I/O is the stat of the config
    file that names the fast path record (``CredentialRequest.fast_path_key``).
  - ``options.validate(env, global_options)`` raises UsageError for every flag combination
    or value the command refuses before it touches the config, the vault or the network (a
    command after ``--`` where none is taken, flags that exclude each other, a nested
    credential subshell). Checks that need the config, the profile or the vault
    (``--duration`` against a role, an SSO profile without SSO settings) stay where that
    is known: in ``wiring`` or in the command's work function.
- ``run(args, tail, global_options, env)``, a few lines: build the options, validate them,
  call the function that does the work (``export_credentials``, ``add_keys``, ``serve``, ...),
  which takes the options and can be called from a test.

A new flag goes into ``configure`` and the options object (and its check into ``validate``);
anything that reads an environment variable or builds an adapter goes into ``awsafe.wiring``.
"""
