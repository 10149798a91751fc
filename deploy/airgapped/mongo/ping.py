"""Healthcheck: a real driver's ``ping`` (what the preferences service's readiness does too)."""

from pymongo import MongoClient

client = MongoClient("mongodb://127.0.0.1:27017/?directConnection=true", serverSelectionTimeoutMS=3000)
try:
    client.admin.command("ping")
finally:
    client.close()
