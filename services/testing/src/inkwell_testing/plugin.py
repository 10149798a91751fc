"""Fixtures every suite shares (re-exported by the repository's root ``conftest.py``).

It holds only what every suite shares: the anyio backend (asyncio, session-scoped so
session-scoped async fixtures share one event loop) and a test token signer.
"""

import pytest

from inkwell_runtime.jwt import SigningKey
from inkwell_testing.tokens import TestSigner


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def signer() -> TestSigner:
    """Signs real RS256 tokens with a test key (its JWKS is ``signer.key.jwks()``)."""
    return TestSigner(SigningKey.generate())
