"""Loopback HTTP for the browser sign-ins (`sso login`, `login`): a small server and one-time redirects."""
