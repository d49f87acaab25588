"""Egress recorder for a process under test, loaded through PYTHONPATH (never in production).

A Python audit hook appends every outgoing connection and name lookup the process makes from
Python (``socket.connect``, ``socket.getaddrinfo``, ``socket.gethostbyname``,
``socket.sendto``; and ``socket.bind``) as a JSON line to ``$PRIVSPLIT_EGRESS_LOG``. Connections that native code
opens itself (gRPC core, llama.cpp) bypass these hooks; the tests trace those with strace.
"""

from __future__ import annotations

import json
import os
import sys

_OUT = os.environ.get("PRIVSPLIT_EGRESS_LOG")
_EVENTS = {
    "socket.connect": lambda args: args[1],
    "socket.sendto": lambda args: args[1],
    "socket.getaddrinfo": lambda args: [args[0], args[1]],
    "socket.gethostbyname": lambda args: args[0],
    "socket.gethostbyaddr": lambda args: args[0],
    "socket.bind": lambda args: args[1],  # not egress: shows the hook is live in the process
}


def _target(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (tuple, list)):
        return [_target(v) for v in value]
    return value if isinstance(value, (str, int, type(None))) else repr(value)


def _hook(event: str, args: tuple) -> None:
    pick = _EVENTS.get(event)
    if pick is None:
        return
    line = json.dumps({"event": event, "target": _target(pick(args)), "pid": os.getpid()})
    fd = os.open(_OUT, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode() + b"\n")
    finally:
        os.close(fd)


if _OUT:
    sys.addaudithook(_hook)
