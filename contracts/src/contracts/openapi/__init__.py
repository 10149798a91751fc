"""The committed OpenAPI documents, one per service: ``<service>.json`` beside this file.

Regenerate them with ``make contracts`` (``python -m contracts.export``).
"""

import json
from pathlib import Path
from typing import Any

from contracts.registry import current

DIRECTORY = Path(__file__).parent

SERVICES: dict[str, str] = {service.name: service.openapi_factory for service in current()}
"""Service name → a function returning its app built with test settings (for export)."""


def document_path(service: str) -> Path:
    return DIRECTORY / f"{service}.json"


def load_document(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(document_path(service).read_text())
    return document


def available() -> list[str]:
    return sorted(p.stem for p in DIRECTORY.glob("*.json"))
