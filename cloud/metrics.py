"""Prometheus metrics of the gateway, on their own registry and their own HTTP port.

Labels are bounded: method names, gRPC codes and configured tenant names. Nothing here
ever sees request or completion text.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class GatewayMetrics:
    def __init__(self, *, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "privsplit_cloud_requests",
            "RPCs finished, by method, tenant and gRPC code.",
            ["method", "tenant", "code"],
            registry=r,
        )
        self.latency = Histogram(
            "privsplit_cloud_request_seconds",
            "RPC duration, end to end.",
            ["method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "privsplit_cloud_time_to_first_chunk_seconds",
            "Time from request to the first streamed chunk.",
            ["method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens_in = Counter(
            "privsplit_cloud_prompt_tokens", "Prompt tokens, by tenant.", ["tenant"], registry=r
        )
        self.tokens_out = Counter(
            "privsplit_cloud_completion_tokens",
            "Completion tokens, by tenant.",
            ["tenant"],
            registry=r,
        )
        self.active_streams = Gauge(
            "privsplit_cloud_active_streams", "Open streaming RPCs.", registry=r
        )
        self.queue_depth = Gauge(
            "privsplit_cloud_backend_queue_depth",
            "Requests waiting for the model backend.",
            registry=r,
        )
        self._server = None

    def watch_queue(self, depth: Callable[[], float]) -> None:
        self.queue_depth.set_function(depth)

    def serve(self, *, host: str, port: int) -> int:
        """Start the /metrics HTTP endpoint in a thread; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        return server.server_port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
