"""The shell integration: `awsafe init SHELL`, `awsafe use` and completion, as each shell's own text."""
