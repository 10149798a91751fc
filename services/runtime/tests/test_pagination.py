"""Cursors: what ``encode_cursor`` issues ``decode_cursor`` reads back; nothing else passes."""

import base64
import struct
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inkwell_runtime.pagination import BadCursor, decode_cursor, encode_cursor

MOMENTS = [
    datetime(2026, 11, 30, 17, 0, 0, 123456, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(1900, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_cursor_reads_back_as_the_position_it_encodes(moment: datetime) -> None:
    ident = uuid.uuid4()

    token = encode_cursor((moment, ident))

    assert decode_cursor(token) == (moment, ident)
    assert token.isascii() and "=" not in token and len(token) <= 64


def test_a_position_in_another_timezone_is_the_same_instant() -> None:
    ident = uuid.uuid4()
    paris = datetime(2026, 6, 1, 14, tzinfo=timezone(timedelta(hours=2)))

    assert decode_cursor(encode_cursor((paris, ident)))[0] == datetime(2026, 6, 1, 12, tzinfo=UTC)


def _packed(version: int, micros: int) -> str:
    raw = struct.pack(">Bq16s", version, micros, uuid.uuid4().bytes)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


GARBAGE = {
    "empty": "",
    "not base64": "not a cursor!",
    "standard base64 alphabet": encode_cursor((MOMENTS[0], uuid.UUID(int=2**128 - 1))).replace(
        "_", "/"
    ),
    "padded": encode_cursor((MOMENTS[0], uuid.uuid4())) + "==",
    "too short": "AQ",
    "too long": encode_cursor((MOMENTS[0], uuid.uuid4())) + "AAAA",
    "an unknown version": _packed(2, 0),
    "a timestamp out of range": _packed(1, 2**63 - 1),
}


@pytest.mark.parametrize("token", GARBAGE.values(), ids=GARBAGE.keys())
def test_anything_else_is_a_bad_cursor(token: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(token)
