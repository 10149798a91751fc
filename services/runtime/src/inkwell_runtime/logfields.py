"""Log-record fields from the active trace: every line logged inside a traced request names
its ``trace_id`` and ``span_id`` (``-`` outside one, or while tracing is off)."""

import logging

from opentelemetry import trace

NO_TRACE = "-"


class TraceContextFilter(logging.Filter):
    """Adds ``trace_id`` (32 hex digits) and ``span_id`` (16) to each record, as Jaeger and
    Grafana show them, so a log line leads to its trace and back."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        else:
            record.trace_id = record.span_id = NO_TRACE
        return True
