"""The gateway's own Prometheus figures, read from the proxy at scrape time."""

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

from gateway.proxy import Proxy


def proxy_metrics(proxy: Proxy) -> Iterable[Metric]:
    errors = CounterMetricFamily(
        "gateway_upstream_errors",
        "Forwards that failed, by service and kind (unreachable, timeout, failed, truncated).",
        labels=["service", "kind"],
    )
    for (service, kind), count in sorted(proxy.upstream_errors.items()):
        errors.add_metric([service, kind], count)
    limited = CounterMetricFamily(
        "gateway_rate_limited", "Login attempts refused by the rate limit (429)."
    )
    limited.add_metric([], proxy.rate_limited)
    return [errors, limited]
