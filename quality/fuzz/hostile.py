"""The hostile-input corpus: what schemathesis cannot generate, against every operation.

schemathesis draws JSON from the schema, so it never sends ``NaN``, ``Infinity``, a NUL byte
inside an otherwise valid body, 5,000 nested arrays, a lone surrogate, bytes that are not UTF-8
or a body under the wrong content type; each of these once made a 500. Here every operation of
an OpenAPI document gets each kind that applies to it, built on a body that is otherwise valid
(so the hostile part is what reaches the service's code), and every answer must be a 4xx.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

DEEP = b"[" * 5000 + b"]" * 5000
HUGE_INT = "1" + "0" * 400
NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e999")
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
PLAIN = "text/plain"


@dataclass
class Hostile:
    """One request: ``kind`` says what is hostile in it."""

    kind: str
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} [{self.kind}]"


class Document:
    """An OpenAPI document, with ``$ref`` resolution and minimal valid values."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [s for s in schema[key] if self.resolve(s).get("type") != "null"]
                return self.resolve(options[0]) if options else {"type": "null"}
        return schema

    def example(self, schema: dict[str, Any], name: str = "") -> Any:
        """A value the schema accepts (plausibly: formats and lengths are honoured)."""
        schema = self.resolve(schema)
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object":
            properties = schema.get("properties", {})
            return {key: self.example(value, key) for key, value in properties.items()}
        if kind == "array":
            return [self.example(schema.get("items", {}))] * schema.get("minItems", 0)
        if kind == "integer":
            return max(schema.get("minimum", 1), 1)
        if kind == "number":
            return 1.5
        if kind == "boolean":
            return True
        return self._text(schema, name)

    @staticmethod
    def _text(schema: dict[str, Any], name: str) -> str:
        form = schema.get("format", "")
        if form == "email" or "email" in name:
            return f"hostile{uuid.uuid4().hex[:8]}@example.com"
        if form == "uuid":
            return str(uuid.uuid4())
        if form == "date-time":
            return "2026-01-01T00:00:00Z"
        if "city" in name:
            return "Lisbon"
        size = max(schema.get("minLength", 0), 8)
        return ("hostile" + uuid.uuid4().hex)[: min(size, schema.get("maxLength", size))]

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.document.get("paths", {}).items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    yield method.upper(), path, operation


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


MARKER = "<hostile>"


def _raw_json(value: Any, raw: bytes) -> bytes:
    """``value`` as JSON bytes, its string ``MARKER`` replaced by the bytes ``raw``."""
    return json.dumps(value).encode().replace(json.dumps(MARKER).encode(), raw)


def corpus(raw_document: dict[str, Any]) -> Iterator[Hostile]:
    """Every hostile request for every operation of the document."""
    document = Document(raw_document)
    for method, template, operation in document.operations():
        parameters = [document.resolve(p) for p in operation.get("parameters", [])]
        path_values = {
            p["name"]: str(document.example(p.get("schema", {}), p["name"]))
            for p in parameters
            if p["in"] == "path"
        }
        path = template.format(**path_values)
        queries = [p["name"] for p in parameters if p["in"] == "query"]
        for name in path_values:
            bad = template.format(**{**path_values, name: "a%00b"})
            yield Hostile("NUL in path", method, bad)
        if queries:
            yield Hostile("NUL in query", method, path, query=dict.fromkeys(queries, "a\x00b"))
        content = operation.get("requestBody", {}).get("content", {})
        if JSON_TYPE in content:
            base = document.example(content[JSON_TYPE].get("schema", {}))
            yield from _json_bodies(method, path, base)
        if FORM_TYPE in content:
            base = document.example(content[FORM_TYPE].get("schema", {}))
            for name in base:
                body = urlencode({**base, name: f"{base[name]}\x00"}).encode()
                kind = f"NUL in form field {name}"
                yield Hostile(kind, method, path, content=body, content_type=FORM_TYPE)
            kind = "form as text/plain"
            yield Hostile(kind, method, path, content=urlencode(base).encode(), content_type=PLAIN)
        if "multipart/form-data" in content:
            yield Hostile("upload as text/plain", method, path, content=b"\x00", content_type=PLAIN)
            empty = "multipart/form-data; boundary=x"
            yield Hostile("empty upload", method, path, content=b"", content_type=empty)


def _json_bodies(method: str, path: str, base: Any) -> Iterator[Hostile]:
    def make(kind: str, body: bytes, content_type: str = JSON_TYPE) -> Hostile:
        return Hostile(kind, method, path, content=body, content_type=content_type)

    for where in _strings(base):
        name = ".".join(map(str, where))
        marked = _replace(base, where, MARKER)
        yield make(f"NUL in {name}", json.dumps(_replace(base, where, "a\x00b")).encode())
        yield make(f"lone surrogate in {name}", _raw_json(marked, b'"\\ud800"'))
        yield make(f"invalid UTF-8 in {name}", _raw_json(marked, b'"\xff\xfe"'))
    if isinstance(base, dict):
        for raw in (*NON_FINITE, HUGE_INT):
            for name in base or {"n": None}:
                yield make(f"{raw[:12]} in {name}", _raw_json({**base, name: MARKER}, raw.encode()))
        yield make("deep nesting in a field", _raw_json({**base, "n": MARKER}, DEEP))
    yield make("deep nesting", DEEP)
    yield make("JSON as text/plain", json.dumps(base).encode(), PLAIN)
    yield make("empty JSON body", b"")


def send_corpus(
    client: httpx.Client, document: dict[str, Any], headers: dict[str, str]
) -> list[str]:
    """Send the corpus; what did not get a 4xx (label and status), for the test to show."""
    wrong = []
    sent = 0
    for hostile in corpus(document):
        request_headers = dict(headers)
        if hostile.content_type is not None:
            request_headers["content-type"] = hostile.content_type
        response = client.request(
            hostile.method,
            hostile.path,
            params=hostile.query or None,
            content=hostile.content,
            headers=request_headers,
        )
        sent += 1
        if not 400 <= response.status_code < 500:
            wrong.append(f"{hostile.label}: {response.status_code} {response.text[:200]}")
    assert sent, "the document has no operation"
    return wrong
