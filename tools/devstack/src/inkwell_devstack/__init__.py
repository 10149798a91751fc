"""Inkwell's local stack runner (`make dev`)."""
