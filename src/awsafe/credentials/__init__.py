"""Credential providers, one per kind of source, and the builder that wires them per profile."""
