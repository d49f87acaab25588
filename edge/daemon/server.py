"""Build and run the daemon: gRPC on the Unix socket (0600) and optional loopback TCP, the
OpenAI-compatible HTTP API and the conversation sweeper; graceful stop on
SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import uvicorn
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from privsplit.edge.daemon.agent import EdgeAgent
from privsplit.edge.daemon.apikey import resolve_api_key
from privsplit.edge.daemon.approvals import ApprovalBroker
from privsplit.edge.daemon.conversations import ConversationManager
from privsplit.edge.daemon.http import build_app
from privsplit.edge.daemon.metrics import DaemonMetrics
from privsplit.edge.daemon.service import ApiKeyInterceptor, EdgeAgentService
from privsplit.edge.daemon.vaults import build_vault_store
from privsplit.edge.pipeline import Pipeline
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import ConfigError
from privsplit.shared.interceptors import ErrorMappingInterceptor
from privsplit.shared.logging import get_logger
from privsplit.shared.proto import EDGE_SERVICE_NAME, add_EdgeAgentServicer_to_server

log = get_logger(__name__)


class _Uvicorn(uvicorn.Server):
    """Uvicorn without its own signal handling: the daemon owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


def build_agent(settings: EdgeSettings, *, pipeline: Pipeline | None = None) -> EdgeAgent:
    from privsplit.edge.provider import build_pipeline

    d = settings.daemon
    if pipeline is None:  # audited (daemon.audit_dir); one edge model, loaded on first use
        pipeline = build_pipeline(settings)
    if pipeline.gate is None or not pipeline.gate.audited:
        raise ConfigError("the daemon sends only through a pipeline with an audit hook")
    conversations = ConversationManager(
        store=build_vault_store(d.state_dir, d.vault_key_file),
        index_path=d.state_dir / "conversations.json",
        default_ttl_seconds=d.conversation_ttl_seconds,
        max_conversations=d.max_conversations,
    ).open()
    return EdgeAgent(
        pipeline=pipeline,
        conversations=conversations,
        approvals=ApprovalBroker(timeout_seconds=d.approval_timeout_seconds),
        settings=d,
        metrics=DaemonMetrics(),
    )


_SOCKET_ELSEWHERE = (
    "or serve elsewhere: --socket PATH / PRIVSPLIT_EDGE_DAEMON__SOCKET_PATH, or set "
    "XDG_RUNTIME_DIR to a private directory (apps find the socket the same way)"
)


def prepare_socket(path: Path) -> None:
    """Make the socket's directory (0700) or refuse one that another user could tamper with
    (e.g. ``/tmp/privsplit-$UID`` created first by someone else); remove a stale socket."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.getuid():
        raise ConfigError(
            f"the socket directory {directory} is owned by uid {info.st_uid}, not by this user "
            f"(uid {os.getuid()}): another user may be waiting to impersonate the daemon. "
            f"Remove it (as that user or root: rm -r {directory}) and start again, "
            + _SOCKET_ELSEWHERE
        )
    if info.st_mode & 0o022:
        raise ConfigError(
            f"the socket directory {directory} is writable by group or others (mode "
            f"{info.st_mode & 0o777:o}), so they could replace the socket; "
            f"run chmod 700 {directory}, " + _SOCKET_ELSEWHERE
        )
    if path.exists() or path.is_socket():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # stale socket of a daemon that is gone
        else:
            raise ConfigError(f"another daemon is listening on {path}")
        finally:
            probe.close()


async def _grpc_server(
    agent: EdgeAgent, interceptors: list
) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    server = grpc.aio.server(
        interceptors=[*interceptors, ErrorMappingInterceptor()],
        options=[("grpc.max_receive_message_length", 64 << 20)],
    )
    add_EdgeAgentServicer_to_server(EdgeAgentService(agent=agent), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            EDGE_SERVICE_NAME,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    return server, health_servicer


def _bind_http(host: str, port: int) -> socket.socket | None:
    """Bind the HTTP listener here, so a port in use is our clear error, not uvicorn's exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1" if host == "localhost" else host.strip("[]"), port))
        sock.listen(128)
    except OSError:
        sock.close()
        return None
    return sock


@dataclass
class RunningDaemon:
    agent: EdgeAgent
    servers: list[grpc.aio.Server]
    healths: list[health.aio.HealthServicer]
    http: _Uvicorn | None
    http_task: asyncio.Task | None
    tasks: list[asyncio.Task] = field(default_factory=list)
    socket_path: Path | None = None
    grpc_port: int = 0
    http_port: int = 0

    async def stop(self, grace: float) -> None:
        for h in self.healths:
            await h.enter_graceful_shutdown()
        if self.http is not None:
            self.http.should_exit = True
        await asyncio.gather(*(s.stop(grace) for s in self.servers))
        if self.http_task is not None:
            await self.http_task
        for t in self.tasks:
            t.cancel()
        await self.agent.pipeline.aclose()
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)


async def start_daemon(settings: EdgeSettings, *, agent: EdgeAgent | None = None) -> RunningDaemon:
    d = settings.daemon
    os.umask(0o077)  # the socket, state and audit files are created private to this user
    api_key = resolve_api_key(d)  # every TCP listener requires it; a bad key file stops here
    agent = agent or build_agent(settings)
    prepare_socket(d.socket_path)
    unix_server, unix_health = await _grpc_server(agent, [])
    unix_server.add_insecure_port(f"unix:{d.socket_path}")
    servers, healths, grpc_port = [unix_server], [unix_health], 0
    if d.grpc_tcp:
        tcp_server, tcp_health = await _grpc_server(agent, [ApiKeyInterceptor(api_key=api_key)])
        try:
            grpc_port = tcp_server.add_insecure_port(d.grpc_tcp)
        except RuntimeError:
            grpc_port = 0
        if not grpc_port:
            raise ConfigError(f"gRPC cannot listen on {d.grpc_tcp} (in use?)")
        servers.append(tcp_server)
        healths.append(tcp_health)
    for s in servers:
        await s.start()
    os.chmod(d.socket_path, 0o660 if d.socket_group_access else 0o600)
    http, http_task, http_port = None, None, 0
    if d.http_port is not None:
        app = build_app(
            agent=agent,
            api_key=api_key,
            allowed_hosts=d.allowed_hosts,
            allowed_origins=d.allowed_origins,
        )
        http = _Uvicorn(
            uvicorn.Config(
                app,
                host=d.http_host,
                port=d.http_port,
                log_level="warning",
                access_log=False,
                lifespan="off",
            )
        )
        listener = _bind_http(d.http_host, d.http_port)
        if listener is None:
            await asyncio.gather(*(s.stop(0) for s in servers))
            raise ConfigError(
                f"the HTTP API cannot listen on {d.http_host}:{d.http_port} (in use?)"
            )
        http_port = listener.getsockname()[1]
        http_task = asyncio.create_task(http.serve(sockets=[listener]))
        while not http.started and not http_task.done():
            await asyncio.sleep(0.02)
    # load the detectors (spaCy, Presidio) before reporting ready: the first request should not
    # pay for it; listeners are bound first so a port in use fails fast
    await asyncio.to_thread(agent.pipeline.redactor.redact, "Warm-up for Jane Doe.", Vault())
    for h in healths:
        await h.set(EDGE_SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        await h.set("", health_pb2.HealthCheckResponse.SERVING)
    running = RunningDaemon(
        agent=agent,
        servers=servers,
        healths=healths,
        http=http,
        http_task=http_task,
        socket_path=d.socket_path,
        grpc_port=grpc_port,
        http_port=http_port,
    )
    running.tasks.append(
        asyncio.create_task(
            agent.conversations.run_sweeper(min(30.0, d.conversation_ttl_seconds / 2))
        )
    )
    log.info(
        "edge_listening",
        socket=str(d.socket_path),
        grpc_port=grpc_port,
        port=http_port,
        cloud=agent.pipeline.cloud.address,
        audit_dir=str(d.audit_dir),
    )
    return running


async def serve(settings: EdgeSettings) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully."""
    running = await start_daemon(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("edge_shutting_down", grace_seconds=settings.daemon.grace_seconds)
    await running.stop(settings.daemon.grace_seconds)
