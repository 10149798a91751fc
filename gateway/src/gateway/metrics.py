"""The gateway's own Prometheus figures, read from the proxy at scrape time."""

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

from gateway.proxy import UPSTREAM_ERROR_KINDS, Proxy


def proxy_metrics(proxy: Proxy) -> Iterable[Metric]:
    errors = CounterMetricFamily(
        "gateway_upstream_errors",
        "Forwards that failed, by service and kind (unreachable, timeout, failed, truncated).",
        labels=["service", "kind"],
    )
    # every series from 0, so a first error is a rise Prometheus' rate() sees
    for service in proxy.services:
        for kind in UPSTREAM_ERROR_KINDS:
            errors.add_metric([service, kind], proxy.upstream_errors[service, kind])
    limited = CounterMetricFamily(
        "gateway_rate_limited", "Login attempts refused by the rate limit (429)."
    )
    limited.add_metric([], proxy.rate_limited)
    return [errors, limited]
