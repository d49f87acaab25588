"""Stand-ins end to end: the real cloud process (SmolLM2) on loopback, the real privacy engine,
audit log and answer cache.

What leaves is the made-up name (the audit record says so, and how many), never the value
nor the name placeholder; the cloud's answer, streamed token by token, comes back with the
real value; the cache keeps the placeholder form. A user whose real name is a pool name does
not get it as a stand-in. ``stand_ins: false`` sends the typed placeholders as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privsplit.edge.audit import verify_log
from privsplit.edge.privacy.standins import PEOPLE
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.settings import EdgeSettings
from tests.e2e.test_audited_egress import records
from tests.edge.cache.conftest import decrypt_all

pytestmark = pytest.mark.slow

ASK = "Write one short sentence greeting {name} by name."
FIRST = " ".join(PEOPLE[0])


def settings_for(cloud_server, tmp_path: Path, **pipeline) -> EdgeSettings:
    return EdgeSettings.load(
        cloud_address=cloud_server.address,
        cloud_insecure=True,
        max_tokens=24,
        pipeline={"mode": "redact", **pipeline},
        daemon={"audit_dir": tmp_path / "audit"},
        cache={
            "enabled": True,
            "directory": tmp_path / "cache",
            "key_file": tmp_path / "keys" / "cache.key",
        },
    )


async def ask(settings: EdgeSettings, text: str):
    pipeline = build_pipeline(settings)
    try:
        return await pipeline.ask(text, vault=Vault())
    finally:
        await pipeline.cloud.close()


async def test_the_cloud_sees_a_made_up_name_and_the_user_gets_the_real_one(
    cloud_server, tmp_path: Path
) -> None:
    settings = settings_for(cloud_server, tmp_path)
    result = await ask(settings, ASK.format(name="Maria Gonzalez"))
    assert result.outbound == [ASK.format(name=FIRST)]  # what left: the stand-in, nothing else
    (record,) = records(tmp_path / "audit")
    assert record["outbound"] == result.outbound and record["decisions"]["stand_ins"] == "1"
    assert verify_log(tmp_path / "audit").ok
    # SmolLM2 greets the name it was given; streamed token by token, it is put back whole
    assert "Maria Gonzalez" in result.answer
    for word in PEOPLE[0]:
        assert word not in result.answer
    (plain,) = decrypt_all(settings.cache)  # the cache: placeholder form, no stand-in, no value
    assert b"[PERSON_1]" in plain and b"Maria" not in plain and PEOPLE[0][1].encode() not in plain


async def test_a_user_named_like_a_stand_in_gets_another_one(cloud_server, tmp_path: Path) -> None:
    result = await ask(settings_for(cloud_server, tmp_path), ASK.format(name=FIRST))
    (sent,) = result.outbound
    # hidden (as whatever type the detectors call it) and sent as another made-up name
    assert PEOPLE[0][0] not in sent and PEOPLE[0][1] not in sent and "[" not in sent
    assert sent != ASK.format(name=FIRST)
    (record,) = records(tmp_path / "audit")
    assert record["decisions"]["stand_ins"] == "1"


async def test_stand_ins_off_sends_the_typed_placeholder(cloud_server, tmp_path: Path) -> None:
    result = await ask(
        settings_for(cloud_server, tmp_path, stand_ins=False), ASK.format(name="Maria Gonzalez")
    )
    assert result.outbound == [ASK.format(name="[PERSON_1]")]
    (record,) = records(tmp_path / "audit")
    assert "stand_ins" not in record["decisions"]
