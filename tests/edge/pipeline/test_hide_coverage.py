"""The model hider reads all of a request or refuses it, and an unreadable model answer never
passes as "nothing to hide" (issue 12, finding 5).

Coverage runs the real SmolLM2 model. Only the malformed-output tests use a scripted model,
as the source of the malformed answers: the part under test there is the parser and the
retry / fail-closed logic, not the model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from privsplit.edge.audit.log import read_records
from privsplit.edge.egress import OutboundBatch
from privsplit.edge.pipeline import PipelineSettings
from privsplit.edge.pipeline.chunks import chunk_text
from privsplit.edge.pipeline.hide import Hidden, Hider, answer_token_bound, parse_hidden
from privsplit.edge.privacy.vault import Vault
from privsplit.edge.provider import build_pipeline
from privsplit.edge.runtime import LocalModel
from privsplit.edge.settings import EdgeSettings
from privsplit.shared.errors import IncompleteCoverage, ModelOutputInvalid
from privsplit.shared.types import GenerationParams, Message

from .conftest import FAST

SECRET_LINE = "Please send the signed contract to Zorblax Quimbleton before Monday.\n"


def paragraph(i: int) -> str:
    return (
        f"Paragraph {i}. The quarterly report covers the weather, the river levels and the "
        "state of the roads; most readings stayed in the usual range this season.\n"
    )


def long_request(chars: int, at: float = 0.95) -> str:
    """About ``chars`` characters of numbered paragraphs, the private line after ``at`` of it."""
    body, i = "", 0
    while len(body) < chars:
        body += paragraph(i)
        i += 1
    cut = body.index("\n", int(len(body) * at)) + 1
    return (body[:cut] + SECRET_LINE + body[cut:])[:chars]


class Refuse(Exception):
    pass


class Recording(LocalModel):
    """The real model, passed through; remembers what each hide call read."""

    name = "recording"
    is_available = True

    def __init__(self, inner: LocalModel) -> None:
        self.inner = inner
        self.prompts: list[str] = []

    @property
    def is_loaded(self) -> bool:
        return self.inner.is_loaded

    def load(self) -> None:
        self.inner.load()

    def close(self) -> None:
        pass

    @property
    def context_length(self) -> int:
        return self.inner.context_length

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        json_schema: dict[str, Any] | None = None,
        logprobs: list[float] | None = None,
    ) -> Iterator[str]:
        self.prompts.append(messages[-1].content)
        return self.inner.stream(messages, params, json_schema=json_schema, logprobs=logprobs)


class Scripted(LocalModel):
    """Answers from a script (the source of malformed output); records each call's budget."""

    name = "scripted"
    is_available = True

    def __init__(self, answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.budgets: list[int] = []

    @property
    def is_loaded(self) -> bool:
        return True

    def load(self) -> None:
        pass

    def close(self) -> None:
        pass

    @property
    def context_length(self) -> int:
        return 2048

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def stream(self, messages, params, *, json_schema=None, logprobs=None) -> Iterator[str]:
        self.budgets.append(params.max_tokens)
        yield self.answers[min(len(self.budgets), len(self.answers)) - 1]


# ---- coverage ---------------------------------------------------------------------------


def test_chunks_for_the_hider_cover_every_character() -> None:
    text = long_request(100_000)
    chunks = chunk_text(text, size=2500, overlap=60)
    pos = 0
    for chunk in chunks:  # each chunk starts at or before where the previous one ended
        at = text.find(chunk, max(0, pos - 60))
        assert 0 <= at <= pos
        pos = at + len(chunk)
    assert pos == len(text)


@pytest.mark.parametrize("max_chunks", [6, 40])
def test_a_request_longer_than_the_hider_may_read_is_refused_before_any_call(
    max_chunks: int,
) -> None:
    model = Scripted(['{"private": []}'])  # never asked: the refusal comes first
    settings = PipelineSettings(**FAST, hide_max_chunks=max_chunks)
    with pytest.raises(IncompleteCoverage, match="hide_max_chunks"):
        Hider(model=model, settings=settings).find(long_request(100_000))
    assert model.budgets == []  # nothing was read in part


@pytest.mark.slow
async def test_a_100k_request_is_refused_by_default_and_nothing_is_sent(smol) -> None:
    text = long_request(100_000)
    assert len(text) == 100_000 and text.index("Zorblax") > 90_000
    model = Recording(smol)
    settings = EdgeSettings.load(
        cloud_address="127.0.0.1:9", cloud_insecure=True, pipeline={"mode": "split"}
    )
    pipeline = build_pipeline(settings, local=model)
    seen: list[OutboundBatch] = []

    async def hook(batch: OutboundBatch) -> None:
        seen.append(batch)
        raise Refuse

    with pytest.raises(IncompleteCoverage, match="too long for the model hider"):
        await pipeline.ask(text, vault=Vault(), extra_hooks=[hook])
    await pipeline.cloud.close()
    assert seen == [] and model.prompts == []  # refused before the model or any hook


@pytest.mark.slow
def test_the_hider_reads_every_chunk_of_a_request_it_accepts(smol) -> None:
    text = long_request(5_000)
    assert text.index("Zorblax") > 4_500
    model = Recording(smol)
    settings = EdgeSettings.load(
        cloud_address="127.0.0.1:9",
        cloud_insecure=True,
        pipeline={**FAST, "mode": "split", "hide_chunk_chars": 1000, "hide_max_tokens": 160},
    )
    pipeline = build_pipeline(settings, local=model, offline=True)
    plan = pipeline.plan_request(text, Vault())
    read = "".join(model.prompts)
    numbers = {int(n) for n in re.findall(r"Paragraph (\d+)\.", text)}
    assert numbers == {int(n) for n in re.findall(r"Paragraph (\d+)\.", read)}  # every one
    assert "Please send the signed" in read  # the line near the end was read by the model
    assert len(set(model.prompts)) >= 5  # one call per chunk: the text was not cut short
    assert plan.outbound and "Zorblax" not in "".join(plan.outbound)


# ---- malformed model output -------------------------------------------------------------

GARBAGE = [
    "I am sorry, I cannot list anything.",  # not JSON
    '{"private": [{"text": "Zorblax Quimb',  # cut off by the token budget
    '{"private": "Zorblax Quimbleton"}',  # the wrong shape
    '["Zorblax Quimbleton"]',
    '{"private": ["Zorblax Quimbleton"]}',  # items that are not objects
]
GOOD = '{"private": [{"text": "Zorblax Quimbleton", "type": "PERSON"}]}'
REQUEST = "Please send the signed contract to Zorblax Quimbleton before Monday."


@pytest.mark.parametrize("raw", GARBAGE)
def test_unreadable_answers_are_errors_not_an_empty_list(raw: str) -> None:
    with pytest.raises(ModelOutputInvalid):
        parse_hidden(raw)
    assert parse_hidden('{"private": []}') == []  # an empty answer is still a real answer


def test_a_line_break_inside_a_string_is_still_a_readable_answer() -> None:
    # seen from SmolLM2 under the llama.cpp grammar: complete JSON, a raw newline in a string
    raw = '{"private":[{"text":"Zorblax Quimbleton\n","type":"PERSON"}]} '
    assert parse_hidden(raw) == [Hidden("Zorblax Quimbleton", "PERSON")]


@pytest.mark.parametrize("raw", GARBAGE)
def test_closed_mode_retries_once_then_refuses(raw: str) -> None:
    model = Scripted([raw])
    settings = PipelineSettings(**FAST)
    assert settings.model_output_failure == "closed"  # the default
    with pytest.raises(ModelOutputInvalid, match="model_output_failure=closed"):
        Hider(model=model, settings=settings).find(REQUEST)
    # asked twice, the retry with room for the longest answer the schema allows
    assert model.budgets == [64, answer_token_bound(settings.hide_max_items)]
    assert model.budgets[1] >= 4 * 60


def test_a_good_retry_is_used() -> None:
    model = Scripted([GARBAGE[1], GOOD])
    items = Hider(model=model, settings=PipelineSettings(**FAST)).find(REQUEST)
    assert [i.value for i in items] == ["Zorblax Quimbleton"] and len(model.budgets) == 2


def test_best_effort_mode_passes_and_counts_what_it_could_not_read() -> None:
    model = Scripted([GARBAGE[0]])
    hider = Hider(
        model=model, settings=PipelineSettings(**FAST, model_output_failure="best_effort")
    )
    assert hider.find(REQUEST) == [] and hider.unparsed == 1 and len(model.budgets) == 2


def _split_settings(mode: str) -> EdgeSettings:
    return EdgeSettings.load(
        cloud_address="127.0.0.1:9",
        cloud_insecure=True,
        pipeline={**FAST, "mode": "split", "hide_terms": False, "model_output_failure": mode},
    )


async def test_closed_mode_sends_nothing_when_the_model_answer_is_garbage() -> None:
    pipeline = build_pipeline(_split_settings("closed"), local=Scripted([GARBAGE[1]]))
    seen: list[OutboundBatch] = []

    async def hook(batch: OutboundBatch) -> None:
        seen.append(batch)
        raise Refuse

    with pytest.raises(ModelOutputInvalid):
        await pipeline.ask(REQUEST, vault=Vault(), extra_hooks=[hook])
    await pipeline.cloud.close()
    assert seen == []  # refused before the egress hooks: nothing was on its way out


async def test_best_effort_mode_is_recorded_with_the_outbound_batch() -> None:
    pipeline = build_pipeline(_split_settings("best_effort"), local=Scripted([GARBAGE[0]]))
    seen: list[OutboundBatch] = []

    async def hook(batch: OutboundBatch) -> None:
        seen.append(batch)
        raise Refuse  # nothing is sent (port 9 would fail anyway)

    with pytest.raises(Refuse):
        await pipeline.ask(REQUEST, vault=Vault(), extra_hooks=[hook])
    await pipeline.cloud.close()
    (batch,) = seen
    assert batch.decisions["model_output"] == "best_effort"
    assert batch.decisions["model_output_unparsed"] == "1"


def test_the_plan_records_the_mode_that_applied() -> None:
    pipeline = build_pipeline(
        _split_settings("closed"), local=Scripted(['{"private": []}']), offline=True
    )
    plan = pipeline.plan_request(REQUEST, Vault())
    assert plan.decisions["model_output"] == "closed"
    assert "model_output_unparsed" not in plan.decisions


@pytest.mark.slow
async def test_the_audit_record_says_best_effort_applied(cloud_server, tmp_path) -> None:
    """A real send (gateway with SmolLM2 on loopback): the audit record written before it
    says which failure mode applied and how many answers it let pass."""
    settings = EdgeSettings.load(
        cloud_address=cloud_server.address,
        cloud_insecure=True,
        max_tokens=8,
        daemon={"audit_dir": str(tmp_path / "audit")},
        pipeline={
            **FAST,
            "mode": "split",
            "hide_terms": False,
            "model_output_failure": "best_effort",
        },
    )
    pipeline = build_pipeline(settings, local=Scripted([GARBAGE[0]]))
    try:
        result = await pipeline.ask(REQUEST, vault=Vault())
    finally:
        await pipeline.cloud.close()
    assert result.route == "cloud" and result.model_output == "best_effort"
    (record,) = read_records(tmp_path / "audit" / "egress.log")
    assert record["decisions"]["model_output"] == "best_effort"
    assert record["decisions"]["model_output_unparsed"] == "1"


# ---- the term pass's allow-lists ---------------------------------------------------------
# The scripted answer is the model's list (what the 0.5B model wrote for the demo's record
# question); the part under test is what the hider does with it.
PUBLIC_REQUEST = (
    "Allegra Voss had a CT scan of her spine; she asks what side effects Ozempic has "
    "and how to say 'thank you' in Swahili."
)
PUBLIC_ANSWER = json.dumps(
    {
        "private": [
            {"text": "CT scan", "type": "ORGANIZATION"},
            {"text": "Ozempic", "type": "ORGANIZATION"},
            {"text": "Swahili", "type": "LOCATION"},
            {"text": "Allegra", "type": "PERSON"},
            {"text": "Allegra Voss", "type": "PERSON"},
        ]
    }
)


def test_the_model_hider_keeps_what_the_allow_lists_keep_but_never_a_person() -> None:
    items = Hider(model=Scripted([PUBLIC_ANSWER]), settings=PipelineSettings(**FAST)).find(
        PUBLIC_REQUEST
    )
    # "Allegra" is a drug brand too: as a person it is hidden all the same
    assert sorted(i.value for i in items) == ["Allegra", "Allegra Voss"]


def test_an_allow_list_turned_off_lets_the_model_hide_its_words_again() -> None:
    settings = PipelineSettings(**FAST, terms={"allow": ["languages"]})
    items = Hider(model=Scripted([PUBLIC_ANSWER]), settings=settings).find(PUBLIC_REQUEST)
    assert sorted(i.value for i in items) == ["Allegra", "Allegra Voss", "CT scan", "Ozempic"]


# ---- code -------------------------------------------------------------------------------

CODE_REQUEST = """My colleague Visibility Okonkwo from the Quillfeather team wrote the class below
last week, and since then the whole build of our billing application fails. Why?
using System.Collections.Generic; using System.Linq; using Quillfeather.Billing;
public class InvoicePage { public void Load() { var items = new List<string>();
items.Where(i => i != null).ToList(); mainGrid.Visibility = Visibility.Hidden; } }"""


def test_the_languages_own_names_in_code_are_not_taken_from_the_model() -> None:
    """The model (scripted: the source of its list) lists standard namespaces and a library's
    names written in code; the term pass keeps those (code_context), so the hider does too.
    The author's namespace, a name also written in prose, and a person stay hidden."""
    listed = [
        ("System.Collections.Generic", "ORGANIZATION"),
        ("System.Linq", "ORGANIZATION"),
        ("Quillfeather.Billing", "ORGANIZATION"),  # the author's own namespace
        ("Visibility", "ORGANIZATION"),  # also written in prose, as a name
        ("InvoicePage", "ORGANIZATION"),  # declared by the author
        ("Okonkwo", "PERSON"),
    ]
    answer = json.dumps({"private": [{"text": t, "type": k} for t, k in listed]})
    items = Hider(model=Scripted([answer]), settings=PipelineSettings(**FAST)).find(CODE_REQUEST)
    assert sorted(i.value for i in items) == [
        "InvoicePage",
        "Okonkwo",
        "Quillfeather.Billing",
        "Visibility",
    ]
