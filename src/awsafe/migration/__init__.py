"""Bringing keys in: from aws-vault's stores, plaintext credentials files, and between awsafe's backends."""
