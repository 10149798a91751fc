"""Healthcheck: a real driver's ``ping`` (what the preferences service's readiness does too)."""

from typing import Any

from pymongo import MongoClient

URL = "mongodb://127.0.0.1:27017/?directConnection=true"

client: MongoClient[dict[str, Any]] = MongoClient(URL, serverSelectionTimeoutMS=3000)
try:
    client.admin.command("ping")
finally:
    client.close()
