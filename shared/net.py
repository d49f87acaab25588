"""Address helpers shared by the gateway, the edge client and the daemon."""

from __future__ import annotations

import ipaddress


def host_of(address: str) -> str:
    """The host part of ``host:port`` (brackets of an IPv6 literal removed)."""
    host = address.rsplit(":", 1)[0] if ":" in address else address
    return host.strip("[]")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and any loopback IP literal (``[::1]`` accepted)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
