"""The contract drift check: a service's live OpenAPI must equal its committed document."""

import json

from fastapi import FastAPI

from contracts.openapi import document_path, load_document


def assert_matches_committed(app: FastAPI, service: str) -> None:
    live = json.loads(json.dumps(app.openapi()))
    committed = load_document(service)
    assert live == committed, (
        f"{service}'s OpenAPI drifted from {document_path(service)}; "
        "if the change is intended, run `make contracts` and commit the result"
    )
