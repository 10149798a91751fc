"""Shared runtime for Inkwell services.

Every service builds on the same small pieces: settings (``settings``), JSON logs that carry
the request id (``logging``), JSON errors (``errors``), health endpoints (``health``), RS256
token signing and verification (``jwt`` and ``auth``) and the app factory that wires them
together (``app``). Database helpers live in ``db`` (install the ``db`` extra).
"""
