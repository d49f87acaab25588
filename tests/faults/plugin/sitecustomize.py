"""Fault injector for a daemon under test, loaded through PYTHONPATH (never in production).

A detector or the egress guard raising on demand cannot be produced from outside, so this
adds one faulty detector at the front of the privacy engine and one to the egress guard as
they are built. Each raises ``RuntimeError`` while its switch file exists in
``$PRIVSPLIT_FAULT_DIR`` (``detector``, ``guard``) and finds nothing otherwise. Everything
else (the engine's and the guard's own failure handling, the pipeline, the gate, the daemon)
is the real code under test.
"""

from __future__ import annotations

import os
from pathlib import Path

_DIR = os.environ.get("PRIVSPLIT_FAULT_DIR")


class _Faulty:
    is_available = True

    def __init__(self, switch: str) -> None:
        self.name = f"fault-{switch}"
        self._switch = Path(_DIR or "/nonexistent") / switch

    def detect(self, text: str) -> list:
        if self._switch.exists():
            raise RuntimeError(f"injected {self.name} fault")
        return []

    def detect_batch(self, texts) -> list:
        return [self.detect(t) for t in texts]


if _DIR:
    import privsplit.edge.privacy.factory as _factory

    _build_engine, _build_guard = _factory.build_engine, _factory.build_egress_guard

    def build_engine(*args, **kwargs):
        engine = _build_engine(*args, **kwargs)
        engine.detectors.insert(0, _Faulty("detector"))
        return engine

    def build_egress_guard(*args, **kwargs):
        guard = _build_guard(*args, **kwargs)
        guard.detectors.append(_Faulty("guard"))
        return guard

    _factory.build_engine = build_engine
    _factory.build_egress_guard = build_egress_guard
