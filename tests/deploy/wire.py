"""What crossed the link, read from a raw packet capture (no tcpdump, no new dependency).

Run as a script inside a network namespace (``ip netns exec NS python wire.py IFACE OUT``) it
opens an AF_PACKET socket on IFACE and appends every frame to OUT as
``<direction:1><length:4><frame>`` (direction ``>`` sent, ``<`` received) until SIGTERM; it
prints ``ready`` once the socket is bound. Imported, it parses such a file: Ethernet, IPv4 and
TCP headers, the TCP byte streams reassembled in sequence order (retransmissions dropped), and
the TLS records of a stream, with the version a ServerHello selects.
"""

from __future__ import annotations

import signal
import socket
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
TLS_HANDSHAKE, TLS_CCS, TLS_ALERT, TLS_APPDATA = 0x16, 0x14, 0x15, 0x17
SUPPORTED_VERSIONS = 0x002B
TLS13 = 0x0304


@dataclass(frozen=True)
class Segment:
    src: tuple[str, int]
    dst: tuple[str, int]
    seq: int
    flags: int
    payload: bytes


@dataclass
class Stream:
    """One direction of one TCP connection: its bytes in order."""

    src: tuple[str, int]
    dst: tuple[str, int]
    data: bytes = b""
    gaps: int = 0  # holes the capture missed (should stay 0)
    syn: bool = False
    segments: list[Segment] = field(default_factory=list)


def capture(iface: str, out: Path) -> None:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((iface, 0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    with out.open("ab", buffering=0) as f:
        while True:
            frame, addr = sock.recvfrom(1 << 18)  # a GSO frame can exceed 64 KiB with headers
            direction = b">" if addr[2] == PACKET_OUTGOING else b"<"
            f.write(direction + struct.pack("!I", len(frame)) + frame)


def frames(path: Path) -> list[tuple[str, bytes]]:
    raw, out, i = path.read_bytes(), [], 0
    while i + 5 <= len(raw):
        (length,) = struct.unpack("!I", raw[i + 1 : i + 5])
        out.append((raw[i : i + 1].decode(), raw[i + 5 : i + 5 + length]))
        i += 5 + length
    return out


def segments(path: Path) -> list[Segment]:
    """The TCP/IPv4 segments of the capture (other frames, such as ARP, are skipped)."""
    found = []
    for _, frame in frames(path):
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ip = frame[14:]
        ihl, total = (ip[0] & 0x0F) * 4, struct.unpack("!H", ip[2:4])[0]
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        offset, flags = (tcp[12] >> 4) * 4, tcp[13]
        found.append(Segment((src, sport), (dst, dport), seq, flags, bytes(tcp[offset:])))
    return found


def streams(path: Path) -> list[Stream]:
    """Each direction of each connection, reassembled by sequence number."""
    by_key: dict[tuple, Stream] = {}
    for seg in segments(path):
        stream = by_key.setdefault((seg.src, seg.dst), Stream(seg.src, seg.dst))
        stream.segments.append(seg)
        stream.syn |= bool(seg.flags & 0x02)
    for stream in by_key.values():
        syn = [s for s in stream.segments if s.flags & 0x02]
        base = (syn[0].seq + 1) if syn else min(s.seq for s in stream.segments)
        data = bytearray()
        carrying = [s for s in stream.segments if s.payload]  # a FIN/ACK takes no bytes
        for seg in sorted(carrying, key=lambda s: (s.seq - base) % 2**32):
            start = (seg.seq - base) % 2**32
            end = start + len(seg.payload)
            if end <= len(data):
                continue  # retransmitted, already have it
            if start > len(data):
                stream.gaps += 1
                break
            data += seg.payload[len(data) - start :]
        stream.data = bytes(data)
    return list(by_key.values())


def tls_records(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """(record type, body) for each whole TLS record, and the count of trailing bytes that do
    not make a whole record (a record cut by the end of the capture)."""
    records, i = [], 0
    while i + 5 <= len(data):
        rtype, _version, length = struct.unpack("!BHH", data[i : i + 5])
        if i + 5 + length > len(data):
            break
        records.append((rtype, data[i + 5 : i + 5 + length]))
        i += 5 + length
    return records, len(data) - i


def server_hello_version(record: bytes) -> int | None:
    """The TLS version a ServerHello handshake record selects (supported_versions, else its
    legacy version field); None if the record is not a ServerHello."""
    if not record or record[0] != 0x02:
        return None
    body = record[4:]
    legacy = struct.unpack("!H", body[:2])[0]
    i = 2 + 32
    i += 1 + body[i]  # session id
    i += 2 + 1  # cipher suite, compression
    if i + 2 > len(body):
        return legacy
    (ext_len,) = struct.unpack("!H", body[i : i + 2])
    i += 2
    end = i + ext_len
    while i + 4 <= end:
        etype, elen = struct.unpack("!HH", body[i : i + 4])
        if etype == SUPPORTED_VERSIONS and elen == 2:
            return struct.unpack("!H", body[i + 4 : i + 6])[0]
        i += 4 + elen
    return legacy


if __name__ == "__main__":
    capture(sys.argv[1], Path(sys.argv[2]))
