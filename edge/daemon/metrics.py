"""Prometheus metrics of the daemon (its own registry; counts and timings only, never text)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class DaemonMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "privsplit_edge_requests",
            "Requests handled, by API, method and outcome.",
            ["api", "method", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "privsplit_edge_request_seconds",
            "Request latency, by API and method.",
            ["api", "method"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.outbound = Counter(
            "privsplit_edge_outbound_strings",
            "Sanitized strings sent to the cloud.",
            registry=self.registry,
        )
        self.routes = Counter(
            "privsplit_edge_routes",
            "Answered requests by route.",
            ["route"],
            registry=self.registry,
        )
        self.cache_hits = Counter(
            "privsplit_edge_cache_hits",
            "Requests answered from the private answer cache (nothing was sent).",
            registry=self.registry,
        )
        self.cache_misses = Counter(
            "privsplit_edge_cache_misses",
            "Requests the answer cache could not answer (sent to the cloud).",
            registry=self.registry,
        )
        self.cascade_local = Counter(
            "privsplit_edge_cascade_local_answers",
            "Requests the confidence cascade answered on the device (nothing was sent).",
            registry=self.registry,
        )
        self.cascade_escalations = Counter(
            "privsplit_edge_cascade_escalations",
            "Requests the confidence cascade drafted on the device, then sent to the cloud "
            "(the draft was not confident enough).",
            registry=self.registry,
        )
        self.reid_steps = Counter(
            "privsplit_edge_reid_steps",
            "Quasi-identifiers the re-identification budget generalized or hid, by step and kind.",
            ["step", "kind"],
            registry=self.registry,
        )
        self.conversations = Gauge(
            "privsplit_edge_conversations", "Open conversations.", registry=self.registry
        )
        self.approvals_pending = Gauge(
            "privsplit_edge_approvals_pending",
            "Requests waiting for approval.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
