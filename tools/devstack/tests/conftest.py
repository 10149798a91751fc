"""The runner's tests that need a running stack share the e2e suite's (``E2E_STACK=local``)."""

from inkwell_e2e.fixtures import system

__all__ = ["system"]
