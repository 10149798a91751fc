"""Inkwell's gateway: the one public entry (port 8000) that routes to the services.

It routes (``routing``), proxies with streamed bodies (``proxy``), protects the edge (body cap,
login rate limit, CORS), reports downstream failures as clear 503/504s, aggregates readiness
(``readiness``) and serves one merged OpenAPI document (``docs``). Auth stays with the services.
"""
