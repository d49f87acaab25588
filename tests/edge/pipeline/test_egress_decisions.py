"""What the egress hooks (the audit log) see: the exact outbound text, the route and the
policy decision for every entity type, and the request stops when a hook refuses."""

from __future__ import annotations

import pytest

from privsplit.edge.egress import OutboundBatch
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings


class Refuse(Exception):
    pass


async def test_hooks_get_route_and_policy_decisions_before_anything_is_sent() -> None:
    settings = EdgeSettings.load(
        cloud_address="127.0.0.1:9", cloud_insecure=True, pipeline={"mode": "redact"}
    )
    pipeline = build_pipeline(settings)
    seen: list[OutboundBatch] = []

    async def audit(batch: OutboundBatch) -> None:
        seen.append(batch)
        raise Refuse  # nothing may be sent after a refusing hook (port 9 would fail anyway)

    with pytest.raises(Refuse):
        await pipeline.ask(
            "Email Maria Gonzalez at maria.gonzalez@example.org today.",
            vault=Vault(),
            extra_hooks=[audit],
        )
    await pipeline.cloud.close()
    (batch,) = seen
    assert batch.decisions["route"] == "cloud"
    assert batch.decisions["PERSON"] == "pseudonymize"
    assert batch.decisions["EMAIL_ADDRESS"] == "pseudonymize"
    assert "Maria Gonzalez" not in "".join(batch.outbound)
