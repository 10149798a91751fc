"""Per-request balancing across every address of a service's name (an aiohttp client middleware).

A pool keyed by host name sticks to the replicas it first connected to: kept-alive connections
are reused, and the name is resolved only for new ones. Here each request picks the next
address of its service's name, round robin, and goes to that address (the ``Host`` header
still names the service), so each replica has its own kept-alive connections and gets its
share of requests. Names are re-resolved every ``resolve_seconds`` (replicas come and go).

Failing fast: an address that refused a connection, or did not accept one within the session's
``sock_connect`` timeout (``GATEWAY_CONNECT_TIMEOUT_SECONDS``: a stopped container's address
answers nothing at all), is skipped for ``cooldown_seconds``, then tried again; the request goes
to the next address at once (nothing was sent), and the name is resolved again on the next
request (the stopped replica leaves the answer). An address whose response said
``Connection: close`` is going away (a draining replica: ``inkwell_runtime.drain``) and is
skipped the same way, before its listener closes; so is one that cut a request or left it
unanswered (a killed replica), though that request fails (it may have been handled). In
Kubernetes this wants a headless Service (``clusterIP: None``), whose name resolves to every
ready pod.
"""

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse
from aiohttp.abc import AbstractResolver

logger = logging.getLogger(__name__)


@dataclass
class _Name:
    addresses: list[str] = field(default_factory=list)
    resolved_at: float = float("-inf")
    turn: int = 0


class Balancer:
    def __init__(
        self,
        resolver: AbstractResolver | None = None,
        *,
        resolve_seconds: float = 5.0,
        cooldown_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._resolver = resolver or aiohttp.ThreadedResolver()
        self.resolve_seconds = resolve_seconds
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._names: dict[tuple[str, int], _Name] = {}
        self._failed_until: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def addresses(self, host: str, port: int) -> list[str]:
        """Every address of ``host`` (re-resolved when stale); the name itself when it has
        none or is an address already."""
        if _is_address(host):
            return [host]
        entry = self._names.setdefault((host, port), _Name())
        if self._clock() - entry.resolved_at >= self.resolve_seconds:
            async with self._lock:
                if self._clock() - entry.resolved_at >= self.resolve_seconds:
                    await self._resolve(host, port, entry)
        return entry.addresses or [host]

    async def _resolve(self, host: str, port: int, entry: _Name) -> None:
        try:
            found = await self._resolver.resolve(host, port, family=socket.AF_UNSPEC)
        except socket.gaierror as exc:
            if exc.errno in _NO_SUCH_NAME:
                # an answer, not a blip: the name has no address now (every replica stopped);
                # the request goes to the name itself and fails at once (503)
                entry.addresses = []
            logger.warning("could not resolve %s: %s", host, exc)
        except OSError as exc:
            # keep what was known: a DNS blip must not stop traffic to live replicas
            logger.warning("could not resolve %s: %s", host, exc)
        else:
            entry.addresses = sorted({item["host"] for item in found})
        entry.resolved_at = self._clock()

    def order(self, host: str, port: int, addresses: list[str]) -> list[str]:
        """The addresses to try, starting with this request's turn; cooling-down ones last."""
        entry = self._names.get((host, port))
        start = 0
        if entry is not None:
            start = entry.turn % len(addresses)
            entry.turn += 1
        rotated = addresses[start:] + addresses[:start]
        now = self._clock()
        healthy = [a for a in rotated if self._failed_until.get(a, 0.0) <= now]
        return healthy + [a for a in rotated if a not in healthy]

    def failed(self, host: str, port: int, address: str) -> None:
        """Skip ``address`` for the cooldown, and resolve ``host`` again on the next request."""
        self._failed_until[address] = self._clock() + self.cooldown_seconds
        if (entry := self._names.get((host, port))) is not None:
            entry.resolved_at = float("-inf")

    async def middleware(
        self, request: ClientRequest, handler: ClientHandlerType
    ) -> ClientResponse:
        url = request.url
        host, port = url.raw_host, url.port
        if host is None or port is None or url.scheme != "http":
            # https: the certificate names the service, not its addresses
            return await handler(request)
        tried: set[str] = set()
        refused: Exception | None = None
        while True:
            # (again after each failure: the failed address is last, the name resolved anew)
            order = self.order(host, port, await self.addresses(host, port))
            candidates = [a for a in order if a not in tried]
            if not candidates:  # every address the name has now was tried
                assert refused is not None
                raise refused
            address = candidates[0]
            tried.add(address)
            request.url = url.with_host(address) if address != host else url
            try:
                response = await handler(request)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                # refused, unreachable or silent: the request was not sent, so the next may take it
                self.failed(host, port, address)
                if len(candidates) == 1:
                    raise
                refused = exc
                logger.warning(
                    "%s (%s) took no connection (%r); trying the next address", host, address, exc
                )
                continue
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, TimeoutError):
                # sent, but cut or unanswered (a killed replica): not retried (it may have been
                # handled), and the address skipped so that the next requests are not
                self.failed(host, port, address)
                raise
            if address != host and response.headers.get("Connection", "").lower() == "close":
                self.failed(host, port, address)  # draining: no new requests while it finishes
            return response


_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
"""getaddrinfo's "no such name" answers (a temporary failure, EAI_AGAIN, keeps the addresses)."""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
