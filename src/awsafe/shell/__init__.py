"""The shell integration: `awsafe init SHELL`, `awsafe use`, and completion scripts, as each shell's own text."""
