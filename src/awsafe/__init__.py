"""awsafe: a credential vault for AWS (long-lived keys encrypted, short-lived credentials on demand)."""

__version__ = "0.1.0"
