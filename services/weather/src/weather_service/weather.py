"""The rules: which city names we accept, how an upstream answer becomes a report, and how the
cache and the circuit breaker sit in front of the upstream."""

import asyncio
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from pydantic import AfterValidator, BaseModel, Field, FiniteFloat, ValidationError
from pydantic_core import PydanticCustomError

from contracts.preferences import Units
from contracts.weather import WeatherReport
from inkwell_runtime.clock import utcnow
from inkwell_runtime.errors import DomainError
from weather_service.breaker import CircuitBreaker
from weather_service.cache import ReportCache

logger = logging.getLogger(__name__)

CITY_MAX_LENGTH = 100
CITY_PUNCTUATION = frozenset(" .'\u2019-")  # U+2019: the typographic apostrophe
CITY_RULE = (
    "a city is 1 to 100 characters: letters of any living script (those of Unicode's Basic "
    "Multilingual Plane) with their accents, spaces, hyphens, apostrophes and dots, starting with "
    "a letter"
)


def _bmp_class(accepts: Callable[[str], bool]) -> str:
    """The Basic Multilingual Plane characters ``accepts`` takes, as the inside of a regex
    character class spelled with ``\\uXXXX`` escapes only: read alike by Python's ``re`` and
    by ECMA-262 (with or without the ``u`` flag), the dialect of JSON Schema's ``pattern``."""
    ranges: list[str] = []
    start: int | None = None
    for code in range(0x10000 + 1):
        taken = code < 0x10000 and not 0xD800 <= code <= 0xDFFF and accepts(chr(code))
        if taken and start is None:
            start = code
        elif not taken and start is not None:
            last = code - 1
            ranges.append(f"\\u{start:04X}" + (f"-\\u{last:04X}" if last > start else ""))
            start = None
    return "".join(ranges)


def _letter(ch: str) -> bool:
    return ch.isalpha()  # Unicode Lu, Ll, Lt, Lm, Lo


def _city_character(ch: str) -> bool:
    return ch.isalpha() or ch in CITY_PUNCTUATION or unicodedata.category(ch).startswith("M")


CITY_PATTERN = f"^[{_bmp_class(_letter)}][{_bmp_class(_city_character)}]*$"
"""The city rule as a regex, in the dialect Python's ``re`` and ECMA-262 share: a letter, then
letters, combining marks (Unicode M*) and the punctuation above, all from the Basic Multilingual
Plane (every living script's letters; letters beyond it, historic scripts and rare ideographs,
are refused: one rule both dialects read alike). The service enforces exactly this pattern, and
the OpenAPI document states it (``pattern``), with ``CITY_MAX_LENGTH`` as ``maxLength``."""

_CITY = re.compile(CITY_PATTERN)


def is_valid_city(city: str) -> bool:
    """Whether ``city`` matches :data:`CITY_PATTERN` whole and has at most 100 characters."""
    return len(city) <= CITY_MAX_LENGTH and _CITY.fullmatch(city) is not None


def _check_city(city: str) -> str:
    if not is_valid_city(city):
        raise PydanticCustomError("city_name", "Invalid city name: " + CITY_RULE)
    return city


CityName = Annotated[str, AfterValidator(_check_city)]
"""A city name as the routes accept it; invalid → 422 with a readable message."""


def normalize_city(city: str) -> str:
    """Runs of whitespace collapsed, trailing space dropped, composed form (NFC)."""
    return unicodedata.normalize("NFC", " ".join(city.split()))


def cache_key(city: str) -> str:
    """``"PARIS"``, ``"paris "`` and ``"Paris"`` share one cache entry."""
    return normalize_city(city).casefold()


class CityNotFound(DomainError):
    """The upstream does not know the city (its 404)."""

    status = 404
    detail = "City not found"


class ProviderError(DomainError):
    """The upstream gave no usable answer (answered as 502)."""

    status = 502
    detail = "Weather provider error"


class UpstreamFailure(ProviderError):
    """A failure that counts against the upstream's breaker: 5xx, 429, no connection, garbage."""


class ProviderTimeout(UpstreamFailure):
    """The upstream did not answer in time (answered as 504)."""

    status = 504
    detail = "Weather provider timed out"


class _Description(BaseModel):
    value: str = Field(min_length=1)


class _CurrentCondition(BaseModel):
    temp_c: FiniteFloat = Field(alias="temp_C")
    wind_kmh: FiniteFloat | None = Field(default=None, alias="windspeedKmph")
    weather_desc: list[_Description] = Field(alias="weatherDesc", min_length=1)


class _J1(BaseModel):
    """The part of wttr.in's ``format=j1`` answer we read (everything else is ignored)."""

    current_condition: list[_CurrentCondition] = Field(min_length=1)


KMH_PER_MPH = 1.609344


@dataclass(frozen=True)
class Observation:
    """What the provider said, in metric units (converted per report: the cache holds one)."""

    description: str
    temperature_c: float
    fetched_at: datetime
    wind_kmh: float | None = None

    def to_json(self) -> dict[str, object]:
        """For a cache shared between replicas (:mod:`weather_service.cache`)."""
        return {**asdict(self), "fetched_at": self.fetched_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Observation":
        return cls(
            description=str(data["description"]),
            temperature_c=float(data["temperature_c"]),
            fetched_at=datetime.fromisoformat(data["fetched_at"]),
            wind_kmh=None if data.get("wind_kmh") is None else float(data["wind_kmh"]),
        )

    def report(self, city: str, *, cached: bool, units: Units = Units.metric) -> WeatherReport:
        imperial = units is Units.imperial
        wind = self.wind_kmh
        if imperial:
            temperature = round(self.temperature_c * 9 / 5 + 32, 1)
            wind = None if wind is None else round(wind / KMH_PER_MPH, 1)
        return WeatherReport(
            city=city,
            description=self.description,
            temperature_c=self.temperature_c,
            units=units,
            temperature=temperature if imperial else self.temperature_c,
            temperature_unit="°F" if imperial else "°C",
            wind_speed=wind,
            wind_speed_unit="mph" if imperial else "km/h",
            fetched_at=self.fetched_at,
            cached=cached,
        )


def parse_j1(content: bytes) -> Observation:
    """``current_condition[0]``'s description and temperature; unreadable → UpstreamFailure."""
    try:
        current = _J1.model_validate_json(content).current_condition[0]
    except ValidationError as exc:
        raise UpstreamFailure(
            detail="Weather provider answered an unreadable payload",
            reason=f"unreadable weather payload: {exc.error_count()} error(s)",
        ) from exc
    return Observation(
        description=current.weather_desc[0].value.strip(),
        temperature_c=current.temp_c,
        fetched_at=utcnow(),
        wind_kmh=current.wind_kmh,
    )


class _KeyedLocks:
    """One lock per key, dropped once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class WeatherService:
    """Reports for a city: from the cache, else from the upstream through the breaker.

    Concurrent misses for the same city wait for one upstream call (single flight) instead of
    each calling the upstream. Cache hits are served even while the breaker is open.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        cache: ReportCache[Observation],
        breaker: CircuitBreaker,
        *,
        deadline_seconds: float = 5.0,
    ) -> None:
        self.client = client
        self.cache = cache
        self.breaker = breaker
        self.deadline_seconds = deadline_seconds
        self.in_flight = _KeyedLocks()
        self.cache_hits = 0
        self.cache_misses = 0
        self.last_error: str | None = None
        """The cause of the latest failed upstream call (its public detail), for ``/readyz``."""

    async def report(self, city: str, units: Units = Units.metric) -> WeatherReport:
        city = normalize_city(city)
        key = cache_key(city)
        if (hit := await self.cache.get(key)) is not None:
            self.cache_hits += 1
            return hit.report(city, cached=True, units=units)
        async with self.in_flight.hold(key):
            if (hit := await self.cache.get(key)) is not None:
                self.cache_hits += 1
                return hit.report(city, cached=True, units=units)
            self.cache_misses += 1
            observation = await self._fetch(city)
            await self.cache.set(key, observation)
            return observation.report(city, cached=False, units=units)

    async def _fetch(self, city: str) -> Observation:
        # Inside the guard, a 404 is a normal exit: the upstream answered, it just does not know
        # the city. Only UpstreamFailure counts against the upstream; another 4xx (our request's
        # fault, not the upstream's health) is no verdict.
        try:
            with self.breaker.guard(UpstreamFailure):
                observation = await self._call_upstream(city)
        except ProviderError as exc:
            self.last_error = exc.detail
            raise
        if observation is None:
            raise CityNotFound(reason=f"the provider does not know {city!r}")
        return observation

    async def _call_upstream(self, city: str) -> Observation | None:
        try:
            # httpx's timeouts are per phase: a provider trickling bytes would never trip them.
            async with asyncio.timeout(self.deadline_seconds):
                response = await self.client.get(
                    f"/{quote(city, safe='')}", params={"format": "j1"}
                )
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise ProviderTimeout(
                detail=f"Weather provider timed out after {self.deadline_seconds:g} s",
                reason=f"weather provider timed out: {exc!r}",
            ) from exc
        except httpx.HTTPError as exc:
            raise UpstreamFailure(
                detail="Weather provider unreachable",
                reason=f"weather provider unreachable: {exc!r}",
            ) from exc
        status = response.status_code
        if status == httpx.codes.OK:
            return parse_j1(response.content)
        if status == httpx.codes.NOT_FOUND:
            return None
        if status >= httpx.codes.INTERNAL_SERVER_ERROR or status == httpx.codes.TOO_MANY_REQUESTS:
            raise UpstreamFailure(
                detail=f"Weather provider failed (it answered {status})",
                reason=f"weather provider answered {status}",
            )
        raise ProviderError(
            detail=f"Weather provider refused the request (it answered {status})",
            reason=f"weather provider refused the request: {status}",
        )
