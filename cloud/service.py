"""The CloudInference servicer: thin, it unpacks, validates, calls the backend, packs."""

from __future__ import annotations

import time

import grpc

from privsplit.cloud.auth import Authenticator, current_tenant
from privsplit.cloud.backends.base import Backend
from privsplit.cloud.interceptors import current_request_id
from privsplit.cloud.metrics import GatewayMetrics
from privsplit.cloud.settings import CloudSettings
from privsplit.shared.errors import InvalidRequest
from privsplit.shared.logging import Timer, get_logger
from privsplit.shared.proto import CloudInferenceServicer, cloud
from privsplit.shared.types import CompletionRequest

log = get_logger(__name__)


class CloudInferenceService(CloudInferenceServicer):
    def __init__(
        self, *, backend: Backend, settings: CloudSettings, metrics: GatewayMetrics | None = None
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.metrics = metrics or GatewayMetrics()

    def _deadline(self, context: grpc.aio.ServicerContext) -> float:
        """The client's deadline (or the default), capped, as an absolute monotonic time."""
        remaining = context.time_remaining()
        if remaining is None:
            remaining = self.settings.default_deadline_seconds
        return time.monotonic() + min(remaining, self.settings.max_deadline_seconds)

    def _record(self, chunk) -> None:
        if chunk.usage is not None:
            tenant = current_tenant.get().name
            self.metrics.tokens_in.labels(tenant=tenant).inc(chunk.usage.prompt_tokens)
            self.metrics.tokens_out.labels(tenant=tenant).inc(chunk.usage.completion_tokens)
            log.info(
                "completion_done",
                request_id=current_request_id.get(),
                backend=self.backend.name,
                tenant=tenant,
                prompt_tokens=chunk.usage.prompt_tokens,
                completion_tokens=chunk.usage.completion_tokens,
            )

    def _validate(self, request: cloud.CompleteRequest) -> CompletionRequest:
        if request.ByteSize() > self.settings.max_request_bytes:
            raise InvalidRequest(f"request is larger than {self.settings.max_request_bytes} bytes")
        if not request.messages:
            raise InvalidRequest("request has no messages")
        if request.params.max_tokens > self.settings.max_tokens_limit:
            raise InvalidRequest(
                f"max_tokens exceeds the limit of {self.settings.max_tokens_limit}"
            )
        p = request.params
        if not (0.0 <= p.temperature <= 2.0) or not (0.0 <= p.top_p <= 1.0):
            raise InvalidRequest("temperature must be in [0, 2] and top_p in [0, 1]")
        if len(p.stop) > 8 or any(len(s) > 64 for s in p.stop):
            raise InvalidRequest("at most 8 stop sequences of at most 64 characters each")
        known = {m["name"] for m in self.backend.models()}
        if request.model and request.model not in known:
            raise InvalidRequest(f"unknown model; served models: {', '.join(sorted(known))}")
        Authenticator.check_model(current_tenant.get(), request.model or self.backend.default_model)
        try:
            return CompletionRequest.from_pb(
                request, default_max_tokens=self.settings.default_max_tokens
            )
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None

    async def Complete(self, request, context):
        req = self._validate(request)
        with Timer() as t:
            async for chunk in self.backend.complete(req, deadline=self._deadline(context)):
                self._record(chunk)
                yield chunk.to_pb()
        log.debug("complete_stream_closed", ms=t.ms)

    async def ListModels(self, request, context):
        return cloud.ListModelsResponse(
            models=[
                cloud.ModelInfo(
                    name=m["name"],
                    backend=self.backend.name,
                    context_length=m.get("context_length", 0),
                    is_default=m.get("is_default", False),
                )
                for m in self.backend.models()
            ]
        )
