"""Reading one file field out of a ``multipart/form-data`` body, with the size limit enforced
while the body streams in.

Why not FastAPI's ``UploadFile``: Starlette parses the whole body *before* the handler runs,
spooling files to a temporary file (in memory up to 1 MiB, then on disk) with no size limit;
``request.form(max_part_size=...)`` bounds only the non-file fields. A 10 GiB upload would be
read in full before the handler could refuse it.

Here the body is fed chunk by chunk from ``request.stream()`` to python-multipart's streaming
parser, counting as it goes:

* a declared ``Content-Length`` over the limit is refused before a byte is read;
* the body as a whole may exceed the file limit only by :data:`MULTIPART_OVERHEAD_BYTES`
  (boundaries, part headers, small extra fields), counted as it arrives, so a body sent
  without ``Content-Length`` (chunked) or with a false one is stopped too;
* only the chosen field's bytes are kept, and reading stops at ``limit + 1`` of them.

So at most ``limit`` bytes of an upload are ever held, and an oversized one is refused
without reading the rest.
"""

from collections.abc import AsyncIterator

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from inkwell_runtime.errors import DomainError

MULTIPART_OVERHEAD_BYTES = 64 * 1024
"""What a body may carry beyond the file itself."""


TOO_LARGE = "Image too large"
INVALID_MULTIPART = "Invalid multipart body"


class UploadError(DomainError):
    pass


class UploadTooLarge(UploadError):
    """Over the limit: declared, counted over the whole body, or counted in the file part."""

    status = 413
    detail = TOO_LARGE


class NotMultipart(UploadError):
    """The body is not ``multipart/form-data`` at all."""


class MalformedMultipart(UploadError):
    """``multipart/form-data`` that cannot be parsed (no boundary, bad framing, truncated)."""

    status = 400
    detail = INVALID_MULTIPART


class FieldMissing(UploadError):
    """A well-formed form without the expected field."""


def check_declared_length(content_length: str | None, limit: int) -> None:
    """Refuse early, before reading, when the client says the body is too large."""
    if content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError:
        return  # the server in front validates the framing; the count below still holds
    if declared > limit + MULTIPART_OVERHEAD_BYTES:
        raise UploadTooLarge


class _FieldCollector:
    """python-multipart callbacks that keep the first part named ``field``, and only it."""

    def __init__(self, field: str, limit: int) -> None:
        self.field = field.encode()
        self.limit = limit
        self.data: bytearray | None = None
        self.ended = False
        self._in_field = False
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""

    def on_part_begin(self) -> None:
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._in_field = self.data is None and options.get(b"name") == self.field
        if self._in_field:
            self.data = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_field:
            return
        assert self.data is not None
        self.data += data[start:end]
        if len(self.data) > self.limit:
            raise UploadTooLarge

    def on_part_end(self) -> None:
        self._in_field = False

    def on_end(self) -> None:
        self.ended = True


async def read_file_field(
    content_type: str | None, body: AsyncIterator[bytes], *, field: str, limit: int
) -> bytes:
    """The bytes of form field ``field`` (at most ``limit`` of them) from a streamed body."""
    media_type, params = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise NotMultipart
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedMultipart
    collector = _FieldCollector(field, limit)
    callbacks = {
        "on_part_begin": collector.on_part_begin,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
        "on_end": collector.on_end,
    }
    body_limit = limit + MULTIPART_OVERHEAD_BYTES
    received = 0
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        async for chunk in body:
            received += len(chunk)
            if received > body_limit:
                raise UploadTooLarge
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise MalformedMultipart from exc
    if not collector.ended:
        raise MalformedMultipart  # the closing boundary never came: a truncated body
    if collector.data is None:
        raise FieldMissing
    return bytes(collector.data)
