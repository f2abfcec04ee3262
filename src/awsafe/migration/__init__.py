"""Bringing keys in: from aws-vault's stores, from plaintext credentials files, and between awsafe's backends."""
