"""The gRPC EdgeAgent servicer: unpack the request, call the agent, pack the reply."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc

from privsplit.edge.daemon.agent import AskOptions, EdgeAgent
from privsplit.edge.daemon.risk import ReidReport
from privsplit.edge.pipeline import AskResult, PipelineEvent
from privsplit.edge.pipeline.sampling import from_proto_fields
from privsplit.shared.errors import ERROR_METADATA_KEY
from privsplit.shared.interceptors import request_id
from privsplit.shared.proto import EdgeAgentServicer, edge
from privsplit.shared.types import GenerationParams

ROUTES = {
    "cloud": edge.ROUTE_CLOUD,
    "local": edge.ROUTE_LOCAL,
    "blocked": edge.ROUTE_BLOCKED,
    "cache": edge.ROUTE_CACHE,
    "raw": edge.ROUTE_CLOUD,
    "cascade-escalated": edge.ROUTE_CASCADE_ESCALATED,  # the cascade's draft was not kept: sent
}


def ask_response(result: AskResult, rid: str) -> edge.AskResponse:
    reply = edge.AskResponse(
        answer=result.answer,
        route=ROUTES.get(result.route, edge.ROUTE_UNSPECIFIED),
        outbound=result.outbound,
        request_id=rid,
    )
    reply.cloud_usage.CopyFrom(result.cloud_usage.to_pb())
    if (risk := ReidReport.of(result.reid)) is not None:
        reply.reid.CopyFrom(risk.to_pb())
    return reply


def _progress(e: PipelineEvent) -> edge.StreamAskResponse | None:
    p = e.progress
    if p is None:
        return None
    message = edge.AskProgress(
        stage=p.stage, done=p.done, total=p.total, elapsed_seconds=p.elapsed_seconds
    )
    if p.eta_seconds is not None:
        message.eta_seconds = p.eta_seconds
    return edge.StreamAskResponse(progress=message)


def _options(
    request: edge.AskRequest, context: grpc.aio.ServicerContext, base: GenerationParams
) -> AskOptions:
    params = None
    if request.HasField("params"):  # applied over the daemon's, or InvalidRequest
        p = request.params
        params = from_proto_fields(
            base,
            max_tokens=p.max_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            seed=p.seed,
            stop=list(p.stop),
        )
    return AskOptions(
        documents=list(request.documents),
        conversation_id=request.conversation_id,
        require_approval=request.require_approval,
        request_id=request_id(context),
        params=params,
    )


# The gRPC boundary: each event kind the wire carries, as its StreamAskResponse. A kind the
# wire has no field for yet is not sent (the SDK would not know it).
_TO_WIRE: dict[str, Callable[[PipelineEvent, str], edge.StreamAskResponse | None]] = {
    "stage": lambda e, _: edge.StreamAskResponse(stage=e.stage),
    "progress": lambda e, _: _progress(e),  # only to a client that asked (see StreamAsk)
    "approval_required": lambda e, _: edge.StreamAskResponse(
        approval_required=edge.ApprovalRequired(request_id=e.request_id, outbound=e.outbound)
    ),
    "outbound": lambda e, _: edge.StreamAskResponse(outbound=edge.AskOutbound(outbound=e.outbound)),
    "delta": lambda e, _: edge.StreamAskResponse(answer_delta=e.text) if e.text else None,
    "done": lambda e, rid: edge.StreamAskResponse(done=ask_response(e.result, rid)),
}


def _stream_message(event: PipelineEvent, rid: str) -> edge.StreamAskResponse | None:
    to_wire = _TO_WIRE.get(event.kind)
    return None if to_wire is None else to_wire(event, rid)


class EdgeAgentService(EdgeAgentServicer):
    def __init__(self, *, agent: EdgeAgent) -> None:
        self.agent = agent

    async def Ask(
        self, request: edge.AskRequest, context: grpc.aio.ServicerContext
    ) -> edge.AskResponse:
        options = _options(request, context, self.agent.pipeline.params)
        async with self.agent.observe("grpc", "Ask"):
            result = await self.agent.ask(request.text, options)
        return ask_response(result, options.request_id)

    async def StreamAsk(
        self, request: edge.StreamAskRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[edge.StreamAskResponse]:
        options = _options(request.request, context, self.agent.pipeline.params)
        async with self.agent.observe("grpc", "StreamAsk"):
            async for event in self.agent.stream(request.request.text, options):
                if event.kind == "progress" and not request.progress:
                    continue  # a client that predates progress events never gets one
                message = _stream_message(event, options.request_id)
                if message is not None:
                    yield message

    async def Approve(
        self, request: edge.ApproveRequest, context: grpc.aio.ServicerContext
    ) -> edge.ApproveResponse:
        async with self.agent.observe("grpc", "Approve"):
            self.agent.approve(request.request_id, request.approved)
        return edge.ApproveResponse()

    async def Redact(
        self, request: edge.RedactRequest, context: grpc.aio.ServicerContext
    ) -> edge.RedactResponse:
        async with self.agent.observe("grpc", "Redact"):
            redaction = await self.agent.redact(request.text, request.conversation_id)
        return edge.RedactResponse(
            redacted_text=redaction.text,
            spans=[
                edge.Span(
                    start=s.start,
                    end=s.end,
                    entity_type=s.entity_type,
                    score=s.score,
                    detector=s.detector,
                )
                for s in redaction.spans
            ],
        )

    async def Plan(
        self, request: edge.PlanRequest, context: grpc.aio.ServicerContext
    ) -> edge.PlanResponse:
        async with self.agent.observe("grpc", "Plan"):
            plan = await self.agent.plan(
                request.text,
                documents=list(request.documents),
                conversation_id=request.conversation_id,
            )
        reply = edge.PlanResponse(
            route=ROUTES.get(plan.route, edge.ROUTE_UNSPECIFIED), outbound=plan.sent
        )
        if (risk := ReidReport.of(plan.decisions)) is not None:
            reply.reid.CopyFrom(risk.to_pb())
        return reply

    async def CreateConversation(
        self, request: edge.CreateConversationRequest, context: grpc.aio.ServicerContext
    ) -> edge.CreateConversationResponse:
        async with self.agent.observe("grpc", "CreateConversation"):
            cid = self.agent.create_conversation(request.ttl_seconds)
        return edge.CreateConversationResponse(conversation_id=cid)

    async def DeleteConversation(
        self, request: edge.DeleteConversationRequest, context: grpc.aio.ServicerContext
    ) -> edge.DeleteConversationResponse:
        async with self.agent.observe("grpc", "DeleteConversation"):
            self.agent.delete_conversation(request.conversation_id)
        return edge.DeleteConversationResponse()


class ApiKeyInterceptor(grpc.aio.ServerInterceptor):
    """Requires ``authorization: Bearer <key>`` (used on the TCP listener; the Unix socket is
    protected by its 0600 mode)."""

    def __init__(self, *, api_key: str) -> None:
        self._expected = f"Bearer {api_key}".encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        given = next((v for k, v in details.invocation_metadata or () if k == "authorization"), "")
        given_b = given.encode() if isinstance(given, str) else given
        if hmac.compare_digest(given_b, self._expected):
            return await continuation(details)
        handler = await continuation(details)

        async def deny(request: object, context: grpc.aio.ServicerContext) -> None:
            context.set_trailing_metadata(((ERROR_METADATA_KEY, "Unauthenticated"),))
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong API key")

        if handler is not None and handler.unary_stream:

            async def deny_stream(request: object, context: grpc.aio.ServicerContext):
                await deny(request, context)
                yield  # pragma: no cover

            return grpc.unary_stream_rpc_method_handler(deny_stream)
        return grpc.unary_unary_rpc_method_handler(deny)
