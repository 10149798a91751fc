"""Shared by every suite in the repository: fixtures from inkwell_runtime's test plugin."""

from inkwell_runtime.testing.plugin import anyio_backend, signer

__all__ = ["anyio_backend", "signer"]
