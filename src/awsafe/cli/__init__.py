"""Command line: argument parsing, one module per command, output rendering, the error boundary.

Every command module has the same shape (``execute.py`` is the model):

- ``configure(parser)`` declares its flags and ``set_defaults(run=run)``; ``main.py`` calls
  it once per command.
- ``XOptions``, a frozen dataclass of plain typed values (``ExecOptions``, ``ExportOptions``,
  ``AddOptions``, ``ListOptions``, ``RemoveOptions``, ``ClearOptions``, ``ServerOptions``,
  ``LoginOptions``, ``RotateOptions``; ``SsoLoginOptions``/``SsoLogoutOptions``/
  ``SsoPopulateOptions`` on a shared ``SsoOptions``):
  - ``XOptions.from_args(args, tail, env)`` turns the argparse Namespace (and the words after
    ``--``) into those values; it never raises and does no I/O.
  - ``options.validate(env, global_options)`` raises UsageError for every flag combination
    or value the command refuses before it touches the config, the vault or the network (a
    command after ``--`` where none is taken, flags that exclude each other, a nested
    credential subshell). Checks that need the config or the profile (``--duration`` against
    a role, an SSO profile without SSO settings) live where that is known, in ``wiring``.
- ``run(args, tail, global_options, env)``, a few lines: build the options, validate them,
  call the function that does the work (``export_credentials``, ``add_keys``, ``serve``, ...),
  which takes the options and can be called from a test.

A new flag goes into ``configure`` and the options object (and its check into ``validate``);
anything that reads an environment variable or builds an adapter goes into ``awsafe.wiring``.
"""
