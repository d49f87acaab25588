"""The re-identification report the daemon returns: numbers, fixed kinds and levels only."""

from __future__ import annotations

import json

import pytest

from privsplit.client import Risk
from privsplit.edge.daemon.risk import ReidReport
from privsplit.shared.proto import edge


def test_a_budget_record_becomes_kinds_actions_and_bits() -> None:
    report = ReidReport.of(
        {
            "reid_spent_bits": "25.4",
            "reid_budget_bits": "26.0",
            "reid:AGE": "generalized:band",
            "reid:LOCATION": "generalized:country,hidden",
            "PERSON": "pseudonymize",  # not the budget's: ignored
        }
    )
    assert report is not None
    risk = Risk.from_pb(report.to_pb())
    assert (risk.spent_bits, risk.budget_bits) == (25.4, 26.0)
    assert risk.remaining_bits == pytest.approx(0.6)
    assert [(s.kind, s.action, s.level) for s in risk.steps] == [
        ("AGE", "generalized", "band"),
        ("LOCATION", "generalized", "country"),
        ("LOCATION", "hidden", ""),
    ]
    assert report.to_json()["steps"][2] == {"kind": "LOCATION", "action": "hidden"}
    assert report.to_json()["remaining_bits"] == 0.6


def test_no_budget_no_report() -> None:
    assert ReidReport.of({"PERSON": "pseudonymize"}) is None
    assert ReidReport.of({"reid_spent_bits": "nan", "reid_budget_bits": "26"}) is None
    reply = edge.AskResponse(answer="x")
    assert not reply.HasField("reid")


@pytest.mark.parametrize(
    "key, value",
    [
        ("reid:Leeds", "generalized:region"),  # a value where a kind belongs
        ("reid:AGE", "generalized:37"),  # a value where a level belongs
        ("reid:AGE", "shown:band"),  # an action outside the closed set
        ("reid:AGE", "hidden:37 years"),
        ("reid:LOCATION", "generalized:Leeds, West Yorkshire"),
    ],
)
def test_anything_but_a_kind_or_level_name_is_dropped(key: str, value: str) -> None:
    report = ReidReport.of({"reid_spent_bits": "9.0", "reid_budget_bits": "26.0", key: value})
    assert report is not None and report.steps == ()
    wire = report.to_pb().SerializeToString() + json.dumps(report.to_json()).encode()
    for secret in (b"Leeds", b"37"):
        assert secret not in wire
