"""Command line: argument parsing, one module per command, output rendering, the error boundary."""
