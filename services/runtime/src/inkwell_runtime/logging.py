"""Structured logs: one JSON object per line, each carrying the request id."""

import logging
import logging.config
from typing import Any


def configure_logging(service: str, level: str = "INFO", *, json: bool = True) -> None:
    """Configure the root, uvicorn and access loggers for one service process.

    The request id comes from asgi-correlation-id's context variable, so every line logged
    while a request is handled (by any library) carries its ``X-Request-ID``.
    """
    fmt = (
        "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s %(trace_id)s %(span_id)s"
    )
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": fmt,
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
            },
            "static_fields": {"service": service},
        }
        if json
        else {
            "format": f"%(asctime)s %(levelname)s [{service}] [%(correlation_id)s] "
            "[%(trace_id)s] "
            "%(name)s: %(message)s"
        }
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {
                "request_id": {
                    "()": "asgi_correlation_id.CorrelationIdFilter",
                    "uuid_length": 32,
                    "default_value": "-",
                },
                "trace": {"()": "inkwell_runtime.logfields.TraceContextFilter"},
            },
            "formatters": {"default": formatter},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "default",
                    "filters": ["request_id", "trace"],
                }
            },
            "root": {"handlers": ["stderr"], "level": level.upper()},
            "loggers": {
                "uvicorn": {"handlers": [], "propagate": True},
                "uvicorn.error": {"handlers": [], "propagate": True},
                # inkwell.access (inkwell_runtime.observe) logs each request with its fields
                "uvicorn.access": {"handlers": [], "propagate": True, "level": "WARNING"},
            },
        }
    )
