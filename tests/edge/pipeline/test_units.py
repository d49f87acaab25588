"""Pure parts of the pipeline stages (no model): chunking, ranking, parsing, hiding, routing,
streaming restore, prompt templates and batch files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from privsplit.edge.pipeline import PipelineSettings
from privsplit.edge.pipeline.chunks import chunk_text
from privsplit.edge.pipeline.hide import Hidden, apply_hidden, looks_like_name, parse_hidden
from privsplit.edge.pipeline.plan import decide_route, parse_subqueries
from privsplit.edge.pipeline.prompts import load_prompt
from privsplit.edge.pipeline.requests import read_requests
from privsplit.edge.pipeline.summarize import Chunk, rank_chunks, verbatim_lines
from privsplit.edge.privacy.restore import StreamRestorer
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import ConfigError, InvalidRequest, ModelOutputInvalid, PrivacyBlocked


@given(st.text(min_size=1, max_size=3000), st.integers(50, 400), st.integers(0, 40))
@hsettings(max_examples=60, deadline=None)
def test_chunks_cover_the_text_in_order(text: str, size: int, overlap: int) -> None:
    chunks = chunk_text(text, size=size, overlap=overlap)
    assert all(len(c) <= size for c in chunks)
    # every character of non-blank text is in some chunk, and chunks appear in text order
    position = 0
    for c in chunks:
        found = text.find(c, max(0, position - overlap - 1))
        assert found != -1
        position = found + len(c)
    if text.strip():
        assert "".join(chunks).replace(" ", "") != "" and position >= len(text.rstrip()) - size


def test_chunk_size_must_exceed_overlap() -> None:
    with pytest.raises(ValueError):
        chunk_text("abc", size=10, overlap=10)


def test_rank_keeps_the_chunks_about_the_question_in_document_order() -> None:
    filler = "The weather was mild and the visit was routine. " * 5
    chunks = [Chunk(0, i, filler) for i in range(6)]
    chunks[4] = Chunk(0, 4, filler + "CT of the spine with contrast agent Omnipaque.")
    chunks[1] = Chunk(0, 1, filler + "Contrast agent allergy: none.")
    chosen = rank_chunks("Which contrast agent was used for the spine CT?", chunks, 2)
    assert [c.index for c in chosen] == [1, 4]
    assert rank_chunks("anything", chunks[:2], 5) == chunks[:2]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ('{"subqueries": ["What is X?", "What is Y?"]}', ["What is X?", "What is Y?"]),
        ('{"subqueries": ["  same ", "same", ""]}', ["same"]),
        ('{"subqueries": ["a", "b", "c", "d"]}', ["a", "b", "c"]),
        ('{"subqueries": []}', []),  # the context answers it: stay local
        ('{"context_answers": true, "subqueries": ["What is X?"]}', []),
        ('{"context_answers": false, "subqueries": ["What is X?"]}', ["What is X?"]),
        ('{"subqueries": "not a list"}', None),
        ("not json", None),
        ('["a"]', None),
    ],
)
def test_parse_subqueries(raw: str, expected: list[str] | None) -> None:
    assert parse_subqueries(raw, 3) == expected


def test_chunk_notes_keep_only_lines_copied_from_the_chunk() -> None:
    chunk = "**Technique**: Contrast-enhanced computed tomography (Omnipaque 240) of the spine."
    note = "- Contrast agent used: gadolinium\n- Contrast-enhanced computed tomography (Omnipaque 240)\nNone"
    assert verbatim_lines(note, chunk) == "Contrast-enhanced computed tomography (Omnipaque 240)"
    assert verbatim_lines("None.", chunk) == ""
    assert verbatim_lines("The agent was iodine.", chunk) == ""


@pytest.mark.parametrize(
    "value,ok",
    [
        ("Napco National Company", True),
        ("University of North Florida", True),
        ("FRC", True),
        ("My email is", False),
        ("discuss with me FRC's IPAEP", False),
        ("cars", False),
        ("艺传新闻小助手", True),
        ("이영빈", True),
    ],
)
def test_looks_like_name(value: str, ok: bool) -> None:
    assert looks_like_name(value) is ok


def test_parse_hidden_drops_sentences_placeholders_and_unknown_types() -> None:
    raw = json.dumps(
        {
            "private": [
                {"text": "Napco National Company", "type": "ORGANIZATION"},
                {"text": "I worked there for many years and I liked it a lot", "type": "OTHER"},
                {"text": "[PERSON_1]", "type": "PERSON"},
                {"text": "Dammam", "type": "CITY"},
                {"text": "Al", "type": "PERSON"},
                {"text": "4.67%", "type": "PERSON"},
            ]
        }
    )
    assert parse_hidden(raw) == [Hidden("Napco National Company", "ORGANIZATION")]
    with pytest.raises(ModelOutputInvalid):  # unreadable is not "nothing to hide"
        parse_hidden("{broken")


def test_apply_hidden_replaces_whole_words_and_never_inside_placeholders() -> None:
    vault = Vault()
    first = vault.placeholder_for("PERSON", "Sara")
    text = f"Dear {first}, thanks from Napco national   company; napcoish is not it. [ORG_NAPCO_1]"
    out, count = apply_hidden(
        text,
        [Hidden("Napco National Company", "ORGANIZATION"), Hidden("Napco", "ORGANIZATION")],
        vault,
    )
    assert count == 1
    assert "Napco" not in out.replace("[ORG_NAPCO_1]", "") and "napcoish" in out
    assert first in out and "[ORG_NAPCO_1]" in out
    assert vault.restore(out).startswith("Dear Sara, thanks from Napco National Company")


def test_route_policy_block_beats_local_beats_cloud() -> None:
    s = PipelineSettings(
        blocked_entities=["US_SSN"], local_only_entities=["MEDICAL_RECORD", "US_SSN"]
    )
    assert decide_route(["PERSON"], s).route == "cloud"
    assert decide_route(["PERSON", "MEDICAL_RECORD"], s).route == "local"
    decision = decide_route(["MEDICAL_RECORD", "US_SSN"], s)
    assert (decision.route, decision.reason) == ("blocked", "US_SSN")


def test_settings_refuse_unknown_keys_and_bad_overlap() -> None:
    with pytest.raises(ValueError):
        PipelineSettings(chunk_chars=300, chunk_overlap=300)
    with pytest.raises(ValueError):
        PipelineSettings(no_such_key=1)


@given(
    st.lists(
        st.sampled_from(
            [
                "Dear ",
                "[PERSON_1]",
                "[EMAIL_ADDRESS_1]",
                ", ",
                "[",
                "]",
                "[UNKNOWN_9]",
                "x" * 30,
                "\n",
            ]
        ),
        max_size=12,
    ),
    st.lists(st.integers(1, 7), min_size=1, max_size=40),
)
@hsettings(max_examples=80, deadline=None)
def test_streaming_restore_equals_restoring_the_whole_text(
    parts: list[str], cuts: list[int]
) -> None:
    vault = Vault()
    vault.placeholder_for("PERSON", "Maria Gonzalez")
    vault.placeholder_for("EMAIL_ADDRESS", "maria@example.org")
    text = "".join(parts)
    restorer, out, i, k = StreamRestorer(vault), [], 0, 0
    while i < len(text):
        step = cuts[k % len(cuts)]
        out.append(restorer.feed(text[i : i + step]))
        i, k = i + step, k + 1
    out.append(restorer.flush())
    assert "".join(out) == vault.restore(text)


def test_prompt_templates_render_and_fail_clearly() -> None:
    system, user = load_prompt("plan").render(max_subqueries="2", context="(none)", question="Q?")
    assert system.role == "system" and "at most 2" in system.content and user.content.endswith("Q?")
    with pytest.raises(ConfigError, match="needs field"):
        load_prompt("plan").render(question="Q?")
    with pytest.raises(ConfigError, match="not found"):
        load_prompt("plan", "v999")
    # a value is never re-interpreted as a template
    _, user = load_prompt("plan").render(max_subqueries="1", context="$question", question="Q")
    assert "$question" in user.content


@pytest.mark.parametrize(
    "line,message",
    [
        ("not json", "line 2: not valid JSON"),
        ('{"id": "b", "text": ""}', "line 2: 'text' must be a non-empty string"),
        ('{"id": 3, "text": "x"}', "line 2: 'id' must be a non-empty string"),
        ('{"id": "b", "text": "x", "documents": "d"}', "line 2: 'documents' must be a list"),
        ('{"id": "b", "text": "x", "extra": 1}', "line 2: unknown field(s) extra"),
        ('{"id": "a", "text": "x"}', "line 2: duplicate id"),
        ("[1]", "line 2: expected a JSON object"),
    ],
)
def test_bad_batch_lines_name_the_line(tmp_path, line: str, message: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "Hello Maria"}\n' + line + "\n")
    with pytest.raises(
        InvalidRequest, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as info:
        read_requests(path)
    assert "Maria" not in info.value.message


def test_batch_file_reads_documents_and_skips_blank_lines(tmp_path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "a", "text": "q1"}\n\n{"id": "b", "text": "q2", "documents": ["d1", "d2"]}\n'
    )
    requests = read_requests(path)
    assert [(r.id, r.line, r.documents) for r in requests] == [("a", 1, ()), ("b", 3, ("d1", "d2"))]
    with pytest.raises(InvalidRequest, match="not found"):
        read_requests(tmp_path / "missing.jsonl")


def test_sweep_masks_leftover_mentions_of_known_values_and_keeps_placeholders() -> None:
    from privsplit.edge.pipeline.hide import sweep_known
    from privsplit.edge.privacy.guard import EgressGuard

    vault = Vault()
    first = vault.placeholder_for("ORGANIZATION", "Napco")
    text = f"{first} pays well; napco's HR and NAPCO staff agree. Napcoville is elsewhere."
    out, count = sweep_known(text, vault)
    assert count == 2 and first in out and "Napcoville" in out
    assert "napco's" not in out.casefold().replace("napcoville", "")
    EgressGuard(detectors=[]).check([out], vault)  # the guard lets the swept text through
    with pytest.raises(PrivacyBlocked):
        EgressGuard(detectors=[]).check([text], vault)


def test_sweep_masks_other_spellings_the_guard_would_refuse() -> None:
    from privsplit.edge.pipeline.hide import sweep_known
    from privsplit.edge.privacy.guard import EgressGuard

    vault = Vault()
    first = vault.placeholder_for("NAME", "messageContent")
    text = f'{first}.append(x); div.className = "message-content"; the end of it'
    vault.placeholder_for("ORGANIZATION", "End")
    with pytest.raises(PrivacyBlocked):
        EgressGuard(detectors=[]).check([text], vault)
    out, count = sweep_known(text, vault)
    assert count == 2 and '"[NAME]"' in out and "the [ORGANIZATION] of it" in out
    assert (
        "extending" in sweep_known("extending the nd", vault)[0]
    )  # short values stay inside one word
    EgressGuard(detectors=[]).check([out], vault)


def test_hidden_names_match_any_apostrophe() -> None:
    vault = Vault()
    out, count = apply_hidden(
        "D\u2019Amico\u2019s cost of equity", [Hidden("D'Amico", "ORGANIZATION")], vault
    )
    assert count == 1 and out == "[ORGANIZATION_1]\u2019s cost of equity"
