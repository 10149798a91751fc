"""A service app for test_drain.py, served by ``python -m inkwell_runtime.serve`` in a subprocess.

``GET /slow`` writes ``$DRAIN_TEST_DIR/started``, then answers only once ``$DRAIN_TEST_DIR/hold``
is gone: the test decides when the in-flight request may finish.
"""

import asyncio
import os
from pathlib import Path

from fastapi import APIRouter, FastAPI

from inkwell_runtime.app import build_service_app
from inkwell_runtime.jwt import StaticKeySource, TokenVerifier
from inkwell_runtime.settings import ServiceSettings

router = APIRouter()


@router.get("/slow")
async def slow() -> dict[str, str]:
    folder = Path(os.environ["DRAIN_TEST_DIR"])
    (folder / "started").touch()
    while (folder / "hold").exists():  # noqa: ASYNC110 (another process decides: a file)
        await asyncio.sleep(0.02)
    return {"status": "finished"}


def create_app() -> FastAPI:
    settings = ServiceSettings()
    # no auth to fetch keys from: a verifier that trusts none
    verifier = TokenVerifier(
        StaticKeySource({"keys": []}), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    return build_service_app(
        settings, name="drain", description="", routers=[router], token_verifier=verifier
    )
