"""Is the daemon's Unix socket really the daemon's? Checked by the SDK before it sends anything.

Another local user must not be able to stand in for the daemon (e.g. by creating
``/tmp/privsplit-$UID`` first and listening there). Before the first request the SDK checks:

* the socket's directory is a directory owned by this user (or a trusted daemon user) and not
  writable by group or others; each directory above it is owned by root, this user or a trusted
  daemon user, and is not writable by group or others unless it is sticky (like ``/tmp``);
* the socket is a socket owned by this user (or a trusted daemon user);
* the process listening on it runs as this user or a trusted daemon user (``SO_PEERCRED`` on a
  probe connection that sends nothing).

A system-wide daemon runs as its own user: the app names it with ``trusted_daemon_uid=`` or
``PRIVSPLIT_TRUSTED_DAEMON_UID`` (a uid or a user name). A failed check is ``UntrustedSocket``,
whose message says what is wrong and how to recover; no socket yet (the daemon is not running)
is ``Unavailable``, which the SDK retries like any transport failure.
"""

from __future__ import annotations

import os
import pwd
import socket
import stat
import struct
from pathlib import Path

from privsplit.shared.errors import ConfigError, Unavailable, UntrustedSocket

TRUSTED_UID_ENV = "PRIVSPLIT_TRUSTED_DAEMON_UID"
PROBE_TIMEOUT = 2.0
_RECOVER = (
    "if you did not create it, remove it (or point the app elsewhere: socket_path=, "
    "PRIVSPLIT_EDGE_DAEMON__SOCKET_PATH or XDG_RUNTIME_DIR) and restart the daemon; "
    f"a system-wide daemon's user is trusted with trusted_daemon_uid= or {TRUSTED_UID_ENV}"
)


def resolve_uid(value: int | str) -> int:
    """A uid from a number or a user name."""
    if isinstance(value, int):
        return value
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        return pwd.getpwnam(text).pw_uid
    except KeyError:
        raise ConfigError(f"trusted daemon user '{text}' does not exist on this system") from None


def allowed_uids(trusted: int | str | None = None) -> frozenset[int]:
    """This process's uid plus the configured daemon user (argument, else the environment)."""
    uids = {os.getuid()}
    configured = trusted if trusted is not None else os.environ.get(TRUSTED_UID_ENV) or None
    if configured is not None:
        uids.add(resolve_uid(configured))
    return frozenset(uids)


def _who(uid: int) -> str:
    try:
        return f"uid {uid} ({pwd.getpwuid(uid).pw_name})"
    except KeyError:
        return f"uid {uid}"


def check_directory(directory: Path, allowed: frozenset[int]) -> None:
    """The socket's directory and every directory above it, as described in the module doc."""
    real = Path(os.path.realpath(directory))
    try:
        info = os.stat(real)
    except FileNotFoundError:
        raise Unavailable(f"the privsplit daemon is not running ({real} does not exist)") from None
    if not stat.S_ISDIR(info.st_mode):
        raise UntrustedSocket(f"{real} is not a directory; {_RECOVER}")
    if info.st_uid not in allowed:
        raise UntrustedSocket(
            f"the socket directory {real} is owned by {_who(info.st_uid)}, not by you or a "
            f"trusted daemon user: another user may be impersonating the daemon; {_RECOVER}"
        )
    if info.st_mode & 0o022:
        raise UntrustedSocket(
            f"the socket directory {real} is writable by group or others (mode "
            f"{stat.S_IMODE(info.st_mode):o}): anyone there could replace the socket; "
            f"run chmod 700 {real} (or remove it and restart the daemon)"
        )
    for parent in real.parents:
        up = os.stat(parent)
        if up.st_uid not in allowed and up.st_uid != 0:
            raise UntrustedSocket(
                f"{parent}, above the socket, is owned by {_who(up.st_uid)}: that user could "
                f"replace the socket directory; {_RECOVER}"
            )
        if up.st_mode & 0o022 and not up.st_mode & stat.S_ISVTX:
            raise UntrustedSocket(
                f"{parent}, above the socket, is writable by group or others and not sticky: "
                f"anyone there could replace the socket directory; {_RECOVER}"
            )


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a connected Unix socket (Linux); None where
    the platform has no SO_PEERCRED."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return uid


def check_socket(path: Path, *, trusted: int | str | None = None) -> None:
    """Raise ``UntrustedSocket`` unless ``path`` is served by this user or a trusted daemon
    user; ``Unavailable`` when nothing listens there yet."""
    path = Path(path)
    allowed = allowed_uids(trusted)
    check_directory(path.parent, allowed)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Unavailable(f"the privsplit daemon is not running (no socket at {path})") from None
    if not stat.S_ISSOCK(info.st_mode):
        raise UntrustedSocket(f"{path} is not a socket; {_RECOVER}")
    if info.st_uid not in allowed:
        raise UntrustedSocket(
            f"the socket {path} is owned by {_who(info.st_uid)}, not by you or a trusted "
            f"daemon user; {_RECOVER}"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(PROBE_TIMEOUT)
    try:
        probe.connect(str(path))
        uid = peer_uid(probe)
    except (ConnectionRefusedError, FileNotFoundError):
        raise Unavailable(
            f"the privsplit daemon is not running (nothing listens on {path})"
        ) from None
    except OSError as exc:
        raise Unavailable(f"cannot connect to {path}: {exc.strerror or exc}") from None
    finally:
        probe.close()
    if uid is not None and uid not in allowed:
        raise UntrustedSocket(
            f"the process listening on {path} runs as {_who(uid)}, not as you or a trusted "
            f"daemon user: it is not your privsplit daemon; nothing was sent. {_RECOVER}"
        )


class SocketTrust:
    """Checks the client's socket once, before its first request (``ensure``); later
    reconnects go to the same checked directory, which only trusted users can change."""

    def __init__(self, path: Path | None, *, trusted: int | str | None = None) -> None:
        self.path = path
        self.trusted = None if trusted is None else resolve_uid(trusted)
        self.verified = path is None  # TCP: the API key protects it, not the file system

    def ensure(self) -> None:
        if not self.verified:
            check_socket(self.path, trusted=self.trusted)  # type: ignore[arg-type]
            self.verified = True
