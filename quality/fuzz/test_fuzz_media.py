"""Fuzz media: every operation, with a valid token, against S3 (moto's server)."""

import logging
import uuid

from moto.server import ThreadedMotoServer
from schemathesis import Case

from inkwell_runtime.jwt import SigningKey
from inkwell_testing.tokens import TestSigner
from media_service.core.config import MediaSettings
from media_service.main import create_app

from .conftest import assert_hostile_corpus_refused, call_and_check, free_port, load_schema

logging.getLogger("werkzeug").setLevel(logging.WARNING)
MOTO = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
MOTO.start()
HOST, PORT = MOTO.get_host_and_port()

SIGNER = TestSigner(SigningKey.generate())
HEADERS = SIGNER.bearer(user_id=uuid.uuid4())
APP = create_app(
    MediaSettings(
        environment="test",
        s3_bucket="inkwell-fuzz-media",
        aws_endpoint_url_s3=f"http://{HOST}:{PORT}",
        max_upload_bytes=256 * 1024,
    ),
    token_verifier=SIGNER.verifier(),
)
schema = load_schema(APP)


@schema.parametrize()
def test_media_api(case: Case) -> None:
    call_and_check(case, HEADERS)


def test_media_refuses_the_hostile_corpus() -> None:
    """NUL, NaN, Infinity, deep nesting, huge numbers, lone surrogates, invalid UTF-8, wrong
    content types, on every operation: a 4xx each (``hostile.py``)."""
    assert_hostile_corpus_refused(APP, HEADERS)
