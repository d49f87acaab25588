"""Slow-loris and idle connections at the real gateway (grpc.aio, mTLS, SmolLM2 in process),
on loopback, bounded in count and time.

A socket that never starts TLS, a TLS handshake sent a byte at a time, a finished handshake
that never speaks HTTP/2, a connection with no call, and a call whose request bytes trickle
in (or never come) must each be closed by the server within a bounded time
(``handshake_timeout_seconds``, ``connection_idle_seconds``, ``connection_max_age_seconds`` +
``max_deadline_seconds``), while another tenant is served meanwhile.
"""

from __future__ import annotations

import asyncio
import ssl
import time

import grpc
import h2.config
import h2.connection
import h2.events
import pytest

from privsplit.shared.proto import CLOUD_SERVICE_NAME, CloudInferenceStub, cloud
from privsplit.shared.tls import Pki, init_pki
from tests.cloud.conftest import TOKEN, bearer, mtls_channel, running
from tests.faults.test_hostile_tenants import _served, settings

pytestmark = pytest.mark.slow

IDLE_SOCKETS = 500
BOUNDS = dict(
    handshake_timeout_seconds=2,
    connection_idle_seconds=2,
    connection_max_age_seconds=3,
    max_deadline_seconds=3,
    default_deadline_seconds=3,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return init_pki(
        tmp_path_factory.mktemp("pki"), server_names=["localhost", "127.0.0.1"], clients=["edge"]
    )


def tls_context(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    ctx.load_cert_chain(str(pki.clients["edge"].cert), str(pki.clients["edge"].key))
    ctx.set_alpn_protocols(["h2"])
    return ctx


async def closed_after(reader: asyncio.StreamReader, started: float, limit: float) -> float:
    """Seconds from ``started`` until the server closes the connection (EOF or reset);
    everything it sends meanwhile is read and dropped. Fails past ``limit``."""

    async def drain() -> None:
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, ssl.SSLError):
            pass

    await asyncio.wait_for(drain(), limit)
    return time.monotonic() - started


async def test_idle_and_half_open_sockets_are_closed_and_others_served(pki, test_model_path):
    async with running(settings(pki, test_model_path, **BOUNDS)) as gw:
        started = time.monotonic()
        plain = [await asyncio.open_connection("127.0.0.1", gw.port) for _ in range(IDLE_SOCKETS)]
        # a TLS ClientHello trickled in a byte every 0.3 s (never finishes within the bound)
        trickle = [await asyncio.open_connection("127.0.0.1", gw.port) for _ in range(5)]

        async def dribble(writer: asyncio.StreamWriter) -> None:
            hello = bytes.fromhex("16030100c8010000c40303") + bytes(64)
            for b in hello:
                if writer.is_closing():
                    return
                try:
                    writer.write(bytes([b]))
                    await writer.drain()
                except ConnectionError:
                    return
                await asyncio.sleep(0.3)

        dribblers = [asyncio.create_task(dribble(w)) for _, w in trickle]
        # TLS finished (a valid client certificate) but not one HTTP/2 byte
        tls_silent = [
            await asyncio.open_connection(
                "127.0.0.1", gw.port, ssl=tls_context(pki), server_hostname="localhost"
            )
            for _ in range(20)
        ]
        # another tenant, meanwhile: served, and quickly
        t0 = time.monotonic()
        await _served(gw.port, pki)
        served_in = time.monotonic() - t0
        waits = await asyncio.gather(
            *(closed_after(r, started, 10) for r, _ in plain + trickle + tls_silent)
        )
        for task in dribblers:
            task.cancel()
        for _, w in plain + trickle + tls_silent:
            w.close()
        await _served(gw.port, pki)  # and still served after
    print(f"served in {served_in:.2f} s; all {len(waits)} closed by {max(waits):.2f} s")
    assert served_in < 30
    # handshake timeout 2 s (+ scheduling slack on a loaded machine)
    assert max(waits[: IDLE_SOCKETS + 5]) < 8
    assert max(waits[IDLE_SOCKETS + 5 :]) < 8


async def test_idle_grpc_connection_is_closed_and_reconnects(pki, test_model_path):
    async with running(settings(pki, test_model_path, **BOUNDS)) as gw:
        async with mtls_channel(gw.port, pki, "edge") as channel:
            stub = CloudInferenceStub(channel)
            await stub.ListModels(cloud.ListModelsRequest(), metadata=bearer(), timeout=10)
            assert channel.get_state() == grpc.ChannelConnectivity.READY
            deadline = time.monotonic() + 8
            while channel.get_state() == grpc.ChannelConnectivity.READY:
                assert time.monotonic() < deadline, "idle connection not closed"
                await asyncio.sleep(0.2)
            # the client reconnects on its next call
            await stub.ListModels(cloud.ListModelsRequest(), metadata=bearer(), timeout=10)


async def h2_stream(pki: Pki, port: int, body_prefix: bytes):
    """A raw HTTP/2 client: opens a Complete call with a valid token and sends
    ``body_prefix`` of its request (a gRPC frame header announcing more)."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=tls_context(pki), server_hostname="localhost"
    )
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(
        1,
        [
            (":method", "POST"),
            (":scheme", "https"),
            (":path", f"/{CLOUD_SERVICE_NAME}/Complete"),
            (":authority", "localhost"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("authorization", f"Bearer {TOKEN}"),
        ],
    )
    conn.send_data(1, body_prefix)
    writer.write(conn.data_to_send())
    await writer.drain()
    return conn, reader, writer


async def test_stalled_and_trickling_requests_are_ended(pki, test_model_path):
    async with running(settings(pki, test_model_path, **BOUNDS)) as gw:
        started = time.monotonic()
        announce = (0).to_bytes(1, "big") + (1000).to_bytes(4, "big")  # 1,000 bytes to come
        stalled = [await h2_stream(pki, gw.port, announce) for _ in range(10)]
        trickling = [await h2_stream(pki, gw.port, announce + b"\x0a") for _ in range(5)]

        async def trickle(conn, writer) -> None:
            for _ in range(200):  # a byte every 0.2 s: 40 s for the whole request
                await asyncio.sleep(0.2)
                if writer.is_closing():
                    return
                try:
                    conn.send_data(1, b"x")
                    writer.write(conn.data_to_send())
                    await writer.drain()
                except Exception:  # closed under us: what the test waits for
                    return

        tasks = [asyncio.create_task(trickle(c, w)) for c, _, w in trickling]
        t0 = time.monotonic()
        await _served(gw.port, pki)
        served_in = time.monotonic() - t0
        waits = await asyncio.gather(
            *(closed_after(r, started, 15) for _, r, _ in stalled + trickling)
        )
        for task in tasks:
            task.cancel()
        await _served(gw.port, pki)
    print(f"served in {served_in:.2f} s; streams ended by {max(waits):.2f} s")
    assert served_in < 30
    # max age 3 s + grace (max_deadline_seconds) 3 s, plus slack
    assert max(waits) < 12
