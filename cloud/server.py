"""Build and run the cloud gateway: grpc.aio server, health, reflection, graceful stop."""

from __future__ import annotations

import asyncio
import ipaddress
import signal
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from privsplit.cloud.backends import Backend, create_backend
from privsplit.cloud.service import CloudInferenceService
from privsplit.cloud.settings import CloudSettings
from privsplit.shared.errors import ConfigError
from privsplit.shared.interceptors import ErrorMappingInterceptor
from privsplit.shared.logging import get_logger
from privsplit.shared.models import ModelStore
from privsplit.shared.proto import CLOUD_SERVICE_NAME, add_CloudInferenceServicer_to_server

log = get_logger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_backend(settings: CloudSettings) -> Backend:
    """The backend named in settings, with its model resolved and verified."""
    if settings.backend == "llamacpp":
        model = settings.model
        if Path(model).suffix == ".gguf" and Path(model).is_file():
            path, name = Path(model), Path(model).stem
        else:
            path, name = ModelStore(root=settings.models_dir).path(model), model
        return create_backend("llamacpp", model_path=path, model_name=name, n_ctx=settings.n_ctx,
                              n_threads=settings.n_threads, instances=settings.instances,
                              max_queue=settings.max_queue)
    return create_backend(settings.backend)


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    backend: Backend

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        await self.backend.close()


async def start_server(settings: CloudSettings, *, backend: Backend | None = None) -> RunningServer:
    if settings.insecure and not is_loopback(settings.host):
        raise ConfigError("insecure (plain-text) listening is only allowed on a loopback host")
    if not settings.insecure:
        raise ConfigError("TLS is not configured; pass --insecure to listen in plain text on loopback")
    backend = backend or build_backend(settings)
    await backend.start()
    server = grpc.aio.server(
        interceptors=[ErrorMappingInterceptor()],
        options=[("grpc.max_receive_message_length", settings.max_request_bytes + 1024)],
    )
    add_CloudInferenceServicer_to_server(CloudInferenceService(backend=backend, settings=settings), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (CLOUD_SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
         reflection.SERVICE_NAME), server)
    port = server.add_insecure_port(f"{settings.host}:{settings.port}")
    await server.start()
    await health_servicer.set(CLOUD_SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    log.info("cloud_listening", host=settings.host, port=port, backend=backend.name)
    return RunningServer(server=server, port=port, health=health_servicer, backend=backend)


async def serve(settings: CloudSettings, *, ready: "asyncio.Event | None" = None) -> None:
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
