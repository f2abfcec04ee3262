"""Shared test infrastructure: an in-process moto server with a recorder, and CLI helpers."""
