"""Build and run the cloud gateway: grpc.aio server, mTLS, health, reflection, metrics,
graceful stop.

On SIGTERM/SIGINT: health turns NOT_SERVING, the listener stops taking new RPCs, streams in
flight get ``grace_seconds`` to finish, then the backend is closed.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from privsplit.cloud.auth import Authenticator, FailureLimiter, Revocations
from privsplit.cloud.backends import Backend, backend_class
from privsplit.cloud.interceptors import GatewayInterceptor
from privsplit.cloud.limits import TenantLimits
from privsplit.cloud.metrics import GatewayMetrics
from privsplit.cloud.service import CloudInferenceService
from privsplit.cloud.settings import CloudSettings
from privsplit.shared.errors import ConfigError
from privsplit.shared.interceptors import ErrorMappingInterceptor
from privsplit.shared.logging import get_logger
from privsplit.shared.net import is_loopback
from privsplit.shared.proto import CLOUD_SERVICE_NAME, add_CloudInferenceServicer_to_server
from privsplit.shared.tls import server_credentials

log = get_logger(__name__)

__all__ = ["RunningServer", "build_backend", "is_loopback", "serve", "start_server"]


def build_backend(settings: CloudSettings) -> Backend:
    """The backend named in settings, built from its own settings fields."""
    return backend_class(settings.backend).from_settings(settings)


# gRPC core refuses bodies above this outright (RESOURCE_EXHAUSTED, never parsed); between
# max_request_bytes and this, the service answers INVALID_ARGUMENT naming the limit.
def _hard_cap(settings: CloudSettings) -> int:
    return 2 * settings.max_request_bytes + 64 * 1024


def _connection_bounds(settings: CloudSettings) -> list[tuple[str, int]]:
    """No socket holds the gateway forever: unfinished handshakes, idle connections and
    connections whose calls never complete are closed (see the settings' descriptions)."""

    def ms(seconds: float) -> int:
        return max(1, int(seconds * 1000))

    return [
        ("grpc.server_handshake_timeout_ms", ms(settings.handshake_timeout_seconds)),
        ("grpc.max_connection_idle_ms", ms(settings.connection_idle_seconds)),
        ("grpc.max_connection_age_ms", ms(settings.connection_max_age_seconds)),
        ("grpc.max_connection_age_grace_ms", ms(settings.max_deadline_seconds)),
        ("grpc.max_concurrent_streams", settings.max_streams_per_connection),
    ]


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    backend: Backend
    metrics: GatewayMetrics
    metrics_port: int | None = None

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        await self.backend.close()
        self.metrics.close()


async def start_server(settings: CloudSettings, *, backend: Backend | None = None) -> RunningServer:
    if settings.insecure and not is_loopback(settings.host):
        raise ConfigError("insecure (plain-text) listening is only allowed on a loopback host")
    creds = None
    if not settings.insecure:
        assert (
            settings.tls_cert and settings.tls_key and settings.tls_client_ca
        )  # settings validated
        creds = server_credentials(
            cert=settings.tls_cert, key=settings.tls_key, client_ca=settings.tls_client_ca
        )
    elif settings.tenants:
        log.warning(
            "tokens_over_plaintext", detail="bearer tokens are sent unencrypted (loopback only)"
        )
    revocations = Revocations(
        settings.revoked_client_fingerprints,
        crl_path=settings.tls_client_crl,
        ca_path=settings.tls_client_ca,
    )
    backend = backend or build_backend(settings)
    await backend.start()
    metrics = GatewayMetrics()
    metrics.watch_queue(lambda: backend.queue_depth)
    gateway = GatewayInterceptor(
        authenticator=Authenticator(
            tenants=settings.tenants,
            limiter=FailureLimiter(
                max_failures=settings.auth_max_failures,
                window_seconds=settings.auth_failure_window_seconds,
            ),
            revocations=revocations,
        ),
        limits=TenantLimits(),
        metrics=metrics,
    )
    server = grpc.aio.server(
        interceptors=[ErrorMappingInterceptor(), gateway],
        options=[
            ("grpc.max_receive_message_length", _hard_cap(settings)),
            ("grpc.so_reuseport", 0),
            # edges ping open calls every few seconds (their keepalive, >= 1 s) to notice a
            # dead link; accept that rate instead of closing the connection for "too many pings"
            ("grpc.http2.min_ping_interval_without_data_ms", 1000),
            *_connection_bounds(settings),
        ],
    )
    add_CloudInferenceServicer_to_server(
        CloudInferenceService(backend=backend, settings=settings, metrics=metrics), server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            CLOUD_SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    address = f"{settings.host}:{settings.port}"
    port = (
        server.add_insecure_port(address)
        if creds is None
        else server.add_secure_port(address, creds)
    )
    if port == 0:
        await backend.close()
        raise ConfigError(f"cannot listen on {address}")
    await server.start()
    metrics_port = None
    if settings.metrics_port is not None:
        metrics_port = metrics.serve(host=settings.metrics_host, port=settings.metrics_port)
        log.info("metrics_listening", host=settings.metrics_host, port=metrics_port)
    await health_servicer.set(CLOUD_SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    log.info(
        "cloud_listening",
        host=settings.host,
        port=port,
        backend=backend.name,
        tls=creds is not None,
        tenants=len(settings.tenants),
    )
    return RunningServer(
        server=server,
        port=port,
        health=health_servicer,
        backend=backend,
        metrics=metrics,
        metrics_port=metrics_port,
    )


async def serve(settings: CloudSettings, *, ready: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully."""
    running = await start_server(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    await stop.wait()
    log.info("cloud_shutting_down", grace_seconds=settings.grace_seconds)
    await running.stop(settings.grace_seconds)
    log.info("cloud_stopped")
