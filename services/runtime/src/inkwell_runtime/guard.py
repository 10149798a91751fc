"""The request guard: hostile input is refused before any handler (or database) sees it.

One pure-ASGI middleware every service mounts (``build_service_app``), so no route needs a
per-field patch. No body is read past the service's cap (``MAX_BODY_BYTES``: 413; a 200 MB body
costs the service one cap of memory, not 200 MB). It refuses with 422:

- JSON bodies (no ``Content-Type``, ``application/json`` or ``application/*+json``: what FastAPI
  parses as JSON) are refused with 422 when a string (value or key) holds a control character
  other than tab/newline/carriage return (NUL first of all) or a lone surrogate, when a number
  is not finite (``NaN``, ``Infinity``, ``1e999``) or an integer outside 64 bits, or when arrays
  and objects nest deeper than ``max_json_depth`` (a 5,000-deep array was a ``RecursionError``).
- Form bodies and the query string: the same string rule on names and values; the path too.

JSON and form bodies are read whole here (never past the cap: 413 at once on a declared length
over it, else as soon as the count passes it). Other bodies (uploads) stream to the route,
counted on the way: past the cap, reading them raises a 413.

Its 422 has FastAPI's validation-error shape (``detail`` is a list with ``loc``/``msg``/``type``),
which every operation with parameters or a body already documents; :func:`document_guard` adds
the 413 and the rules to the OpenAPI document. A body that is not JSON at all is left to FastAPI
(its own 422). Refusals carry ``Connection: close`` when body bytes may remain unread.
"""

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DISALLOWED_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""C0 controls except tab, newline and carriage return; DEL; UTF-16 surrogates (never valid
alone in text, and UTF-8 cannot encode them for the database)."""
INT64_MAX = 2**63 - 1
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class GuardLimits:
    """What the guard enforces for one service (from its settings)."""

    max_body_bytes: int
    max_json_depth: int = 32


class Rejected(Exception):
    """A part of the request breaks a rule: answered 422 with ``loc`` and ``msg``."""

    def __init__(self, loc: tuple[str | int, ...], msg: str, kind: str = "value_error") -> None:
        super().__init__(msg)
        self.loc, self.msg, self.kind = loc, msg, kind


def _check_text(text: str, loc: tuple[str | int, ...]) -> None:
    if match := DISALLOWED_CHARACTERS.search(text):
        code = ord(match.group())
        what = "a NUL byte" if code == 0 else f"the disallowed character U+{code:04X}"
        raise Rejected(
            loc,
            f"Text contains {what} (control characters and lone surrogates are refused)",
            "string_invalid_character",
        )


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Rejected(
            ("body",), f"Number {text[:40]} is out of range (not finite)", "finite_number"
        )
    return value


def _parse_int(text: str) -> int:
    value = int(text)  # more than 4,300 digits: ValueError, refused below
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise Rejected(
            ("body",), f"Integer {text[:40]}... is outside the 64-bit range", "int_too_large"
        )
    return value


def _non_finite(text: str) -> float:
    raise Rejected(
        ("body",), f"{text} is not a JSON number (non-finite numbers are refused)", "finite_number"
    )


def check_json(body: bytes, max_depth: int) -> None:
    """Raise :class:`Rejected` for JSON breaking a rule; JSON that does not parse is left be."""
    try:
        document = json.loads(
            body, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_non_finite
        )
    except RecursionError:
        raise Rejected(
            ("body",), f"JSON nested deeper than {max_depth} levels", "json_too_deep"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # FastAPI answers its own 422 (json_invalid)
    except ValueError:  # an integer with more digits than Python converts
        raise Rejected(("body",), "Integer too large", "int_too_large") from None
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(document, ("body",))]
    while pending:
        value, loc = pending.pop()
        if isinstance(value, str):
            _check_text(value, loc)
        elif isinstance(value, (dict, list)):
            if len(loc) > max_depth:  # loc holds "body" then one step per level
                raise Rejected(
                    loc[:1], f"JSON nested deeper than {max_depth} levels", "json_too_deep"
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key, (*loc, key))
                    pending.append((item, (*loc, key)))
            else:
                pending.extend((item, (*loc, index)) for index, item in enumerate(value))


def check_pairs(pairs: list[tuple[str, str]], where: str) -> None:
    for name, value in pairs:
        _check_text(name, (where, name))
        _check_text(value, (where, name))


def _is_json(content_type: str | None) -> bool:
    """FastAPI's own rule for parsing a body as JSON."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _validation_error(error: Rejected) -> tuple[int, dict[str, Any]]:
    detail = [{"type": error.kind, "loc": list(error.loc), "msg": error.msg, "input": None}]
    return 422, {"detail": detail}


class RequestGuard:
    """The middleware; see the module docstring for what it refuses."""

    def __init__(self, app: ASGIApp, limits: GuardLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name: value for name, value in scope["headers"] if name in _HEADERS}
        cap = self.limits.max_body_bytes
        try:
            _check_text(scope["path"], ("path",))
            query = scope.get("query_string", b"").decode("latin-1")
            if query:
                check_pairs(parse_qsl(query, keep_blank_values=True), "query")
            declared = headers.get(b"content-length")
            if declared in (None, b"0") and b"transfer-encoding" not in headers:
                await self.app(scope, receive, send)
                return
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            form = content_type.split(";", 1)[0].strip().lower() == FORM_TYPE
            if not (form or _is_json(content_type)):
                # Not inspected (an upload): streamed to the route, counted on the way.
                await self.app(scope, _counted(receive, cap), send)
                return
            if declared is not None and declared.isdigit() and int(declared) > cap:
                await _answer(send, 413, _too_large(cap), close=True)
                return
            body = await _read_body(receive, cap)
            if body is None:
                await _answer(send, 413, _too_large(cap), close=True)
                return
            if form:
                check_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True), "body")
            elif body:
                check_json(body, self.limits.max_json_depth)
        except Rejected as error:
            status, content = _validation_error(error)
            await _answer(send, status, content)
            return
        except _Disconnected:
            return
        await self.app(scope, _replay(body, receive), send)


_HEADERS = frozenset({b"content-length", b"content-type", b"transfer-encoding"})


class _Disconnected(Exception):
    pass


def _too_large(cap: int) -> dict[str, Any]:
    return {"detail": f"Request body too large: the limit is {cap} bytes"}


async def _read_body(receive: Receive, cap: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``cap`` bytes (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _counted(receive: Receive, cap: int) -> Receive:
    """``receive`` that raises 413 (an ``HTTPException`` the app answers) once past ``cap``."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > cap:
            raise HTTPException(413, _too_large(cap)["detail"], headers={"Connection": "close"})
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the app: the body read here once, then the server's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, status: int, content: dict[str, Any], close: bool = False) -> None:
    payload = json.dumps(content, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if close:  # the unread rest of the body would otherwise be read and thrown away
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


GUARD_RULES = (
    "Refused with 422 before the operation runs: text (JSON strings and keys, form fields, "
    "query parameters, the path) holding a control character other than tab, newline or "
    "carriage return, or a lone surrogate; a non-finite number (`NaN`, `Infinity`, `1e999`); "
    "an integer outside 64 bits; JSON nested deeper than {depth} levels."
)


def document_guard(document: dict[str, Any], limits: GuardLimits) -> dict[str, Any]:
    """State the guard's rules in an OpenAPI document: 413 on every operation with a body,
    the rules on every 422."""
    rules = GUARD_RULES.format(depth=limits.max_json_depth)
    too_large = {
        "description": f"Request body over {limits.max_body_bytes} bytes",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("413", too_large)
                schemas.setdefault("ErrorBody", _error_body_schema())
            if "422" in responses and rules not in responses["422"].get("description", ""):
                responses["422"]["description"] += f". {rules}"
    return document


def _error_body_schema() -> dict[str, Any]:
    from contracts.errors import ErrorBody

    return ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")


def install_request_guard(app: Any, limits: GuardLimits) -> None:
    """Mount the guard on a FastAPI app and document it in the app's OpenAPI."""
    app.add_middleware(RequestGuard, limits=limits)
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_guard(build(), limits)
        return app.openapi_schema

    app.openapi = openapi
