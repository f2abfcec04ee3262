"""The awsafe agent: one Engine, the vault unlocked once, serving its user's clients on a Unix
socket (service), for a bounded time (lifetime); what a request gets is decided in handlers."""
