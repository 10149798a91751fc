"""A wttr.in-compatible weather API with fixed answers, for the e2e suite and offline runs.

``GET /{city}?format=j1`` answers like wttr.in's JSON format, with what the city's name asks for
(case-insensitive, by prefix, so tests can make unique names such as ``"Errorville Abc"``):

===================  ==============================================================
city                 answer
===================  ==============================================================
London, Paris, Oslo  200, fixed description and temperature (see ``KNOWN``)
``nowhere…``         404 ``Unknown location`` (the weather service: 404 "City not found")
``error…``           500 (the weather service: 502, and a failure for its breaker)
``garbage…``         200 with an HTML body that is not JSON (502)
``slow…``            200 after ``WEATHER_STUB_SLOW_SECONDS`` (default 10; beyond the
                     service's timeout: 504)
``trickle…``         200, the JSON body sent a byte at a time every
                     ``WEATHER_STUB_TRICKLE_SECONDS`` (default 0.5)
anything else        200 ``Clear``, 18 °C
===================  ==============================================================

``GET /_stub/calls`` returns how many times each city (lower-cased) was asked for, so a test can
tell a cached answer from a fresh one; ``GET /healthz`` says the stub is up.

Run it: ``uvicorn --factory inkwell_devstack.stubs.weather:create_app --port 8009``
(``make dev DEV_ARGS=--weather-stub`` does, and points the weather service at it).
"""

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

KNOWN: dict[str, tuple[str, int]] = {
    "london": ("Partly cloudy", 12),
    "paris": ("Sunny", 21),
    "oslo": ("Light snow", -3),
}
DEFAULT_ANSWER = ("Clear", 18)


def j1(city: str, description: str, temp_c: int) -> dict[str, Any]:
    """The parts of wttr.in's ``format=j1`` body a client is likely to read."""
    return {
        "current_condition": [
            {
                "temp_C": str(temp_c),
                "temp_F": str(round(temp_c * 9 / 5 + 32)),
                "FeelsLikeC": str(temp_c),
                "humidity": "70",
                "windspeedKmph": "10",
                "observation_time": "12:00 PM",
                "weatherDesc": [{"value": description}],
            }
        ],
        "nearest_area": [{"areaName": [{"value": city}], "country": [{"value": "Stubland"}]}],
        "request": [{"query": city, "type": "City"}],
        "weather": [],
    }


def create_app() -> FastAPI:
    app = FastAPI(title="Inkwell weather stub (wttr.in-compatible)")
    calls: Counter[str] = Counter()
    slow = float(os.environ.get("WEATHER_STUB_SLOW_SECONDS", "10"))
    trickle = float(os.environ.get("WEATHER_STUB_TRICKLE_SECONDS", "0.5"))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_stub/calls")
    async def stub_calls() -> dict[str, int]:
        return dict(calls)

    @app.get("/{city}")
    async def weather(city: str) -> Response:
        key = city.strip().lower()
        calls[key] += 1
        if key.startswith("nowhere"):
            return PlainTextResponse("Unknown location; please try ~London", status_code=404)
        if key.startswith("error"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        if key.startswith("garbage"):
            return PlainTextResponse("<html><body>not json</body></html>", media_type="text/html")
        description, temp_c = KNOWN.get(key, DEFAULT_ANSWER)
        body = j1(city, description, temp_c)
        if key.startswith("slow"):
            await asyncio.sleep(slow)
        if key.startswith("trickle"):
            payload = json.dumps(body).encode()
            return StreamingResponse(_trickle(payload, trickle), media_type="application/json")
        return JSONResponse(body)

    return app


async def _trickle(payload: bytes, interval: float) -> AsyncIterator[bytes]:
    for i in range(len(payload)):
        yield payload[i : i + 1]
        await asyncio.sleep(interval)
