"""Where the daemon listens by default; shared by the daemon and the SDK (no heavy imports)."""

from __future__ import annotations

import os
from pathlib import Path

SOCKET_ENV = "PRIVSPLIT_EDGE_DAEMON__SOCKET_PATH"
MAX_SOCKET_PATH = 107  # sun_path is 108 bytes on Linux, including the NUL


def runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR/privsplit, else a per-user directory under /tmp."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return Path(base) / "privsplit"
    return Path("/tmp") / f"privsplit-{os.getuid()}"


def default_socket_path() -> Path:
    """The daemon's Unix socket: the environment override, else the runtime dir."""
    override = os.environ.get(SOCKET_ENV)
    return Path(override) if override else runtime_dir() / "edge.sock"
