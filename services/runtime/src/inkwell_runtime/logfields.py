"""Log-record fields from the active trace: every line logged inside a traced request names
its ``trace_id`` and ``span_id`` (``-`` outside one, or while tracing is off: then nothing is
looked up and OpenTelemetry is not imported)."""

import logging

from inkwell_runtime.telemetry import current_span

NO_TRACE = "-"


class TraceContextFilter(logging.Filter):
    """Adds ``trace_id`` (32 hex digits) and ``span_id`` (16) to each record, as Jaeger and
    Grafana show them, so a log line leads to its trace and back."""

    def filter(self, record: logging.LogRecord) -> bool:
        span = current_span()
        context = None if span is None else span.get_span_context()
        if context is not None and context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        else:
            record.trace_id = record.span_id = NO_TRACE
        return True
