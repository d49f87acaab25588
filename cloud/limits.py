"""Per-tenant limits: a token bucket for the request rate and a counter for open streams.

Both refuse instead of queueing (RESOURCE_EXHAUSTED); waiting is the backend's bounded
queue's job. Everything runs on the event loop thread, so no locks are needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from privsplit.cloud.settings import TenantConfig
from privsplit.shared.errors import ResourceExhausted


class TokenBucket:
    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def try_take(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class TenantLimits:
    """Rate and concurrency state of every tenant, created on first use."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._streams: dict[str, int] = {}

    def active(self, tenant: str) -> int:
        return self._streams.get(tenant, 0)

    def admit(self, tenant: TenantConfig) -> None:
        bucket = self._buckets.get(tenant.name)
        if bucket is None:
            bucket = self._buckets[tenant.name] = TokenBucket(
                rate=tenant.rate_per_second, burst=tenant.burst
            )
        if not bucket.try_take():
            raise ResourceExhausted(
                f"rate limit of {tenant.rate_per_second:g} requests/s "
                f"(burst {tenant.burst}) exceeded for tenant '{tenant.name}'"
            )

    @contextmanager
    def stream(self, tenant: TenantConfig) -> Iterator[None]:
        """Hold one of the tenant's stream slots for the duration of the block."""
        n = self._streams.get(tenant.name, 0)
        if n >= tenant.max_streams:
            raise ResourceExhausted(
                f"tenant '{tenant.name}' already has {tenant.max_streams} open streams"
            )
        self._streams[tenant.name] = n + 1
        try:
            yield
        finally:
            self._streams[tenant.name] -= 1
