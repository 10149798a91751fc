"""moto in *server* mode, for clients moto's in-process ``mock_aws()`` cannot serve (aioboto3:
moto#8513): S3 for media, Cognito for auth, the dev stack's Cognito pool."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer


@contextmanager
def moto_server() -> Iterator[str]:
    """A ``ThreadedMotoServer`` on a free port of 127.0.0.1 (its endpoint), stopped on exit."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
