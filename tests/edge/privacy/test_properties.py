"""Property tests: restore(redact(x)) == x, and streaming restore == restore, for any chunking."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privsplit.edge.privacy.restore import StreamRestorer
from privsplit.edge.privacy.spans import Span
from privsplit.edge.privacy.vault import Vault

PII = [
    "John Smith",
    "ana@example.org",
    "078-05-1120",
    "[PERSON_1]",
    "[\u2060EMAIL_1]",
    "4111 1111 1111 1111",
    "Rua Diadema 1903",
    "[PERSON_",
    "_1]",
    "[",
    "]",
]
# Arbitrary text mixed with PII and placeholder-shaped strings (the hard cases).
texts = st.lists(st.one_of(st.text(max_size=30), st.sampled_from(PII)), max_size=12).map("".join)


@st.composite
def text_with_spans(draw):
    text = draw(texts)
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        if b > a:
            spans.append(
                Span(a, b, draw(st.sampled_from(["PERSON", "EMAIL_ADDRESS", "US_SSN"])), 1.0, "t")
            )
    return text, spans


def _distinct_forms(text: str, spans: list[Span]) -> bool:
    """Variants (the same person or organization written differently: the vault's
    VARIANT_TYPES) restore to one form by design."""
    from privsplit.edge.privacy.vault import VARIANT_TYPES, _name_tokens, normalize

    seen: dict[tuple[str, str], str] = {}
    for s in spans:
        raw = text[s.start : s.end]
        key = (s.entity_type, normalize(raw))
        if seen.setdefault(key, raw) != raw:
            return False
    for kind in VARIANT_TYPES:
        names = {text[s.start : s.end] for s in spans if s.entity_type == kind}
        toks = [_name_tokens(normalize(n)) for n in names]
        if any(a is not b and (a <= b or b <= a) and a and b for a in toks for b in toks):
            return False
    return True


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text_with_spans())
def test_restore_inverts_redact(case) -> None:
    text, spans = case
    if not _distinct_forms(text, spans):
        return
    vault = Vault()
    assert vault.restore(vault.redact(text, spans)) == text


@settings(max_examples=300)
@given(text_with_spans(), st.data())
def test_streaming_restore_equals_restore_for_any_chunking(case, data) -> None:
    text, spans = case
    vault = Vault()
    redacted = vault.redact(text, spans)
    model_output = redacted + " and [PERSON_9] [PERSON_1" + redacted[: len(redacted) // 2]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(model_output)), max_size=20)))
    chunks = [model_output[a:b] for a, b in zip([0, *cuts], [*cuts, len(model_output)])]
    restorer = StreamRestorer(vault)
    streamed = "".join(restorer.feed(c) for c in chunks) + restorer.flush()
    assert streamed == vault.restore(model_output)


@pytest.fixture(scope="module")
def engine():
    from privsplit.edge.privacy.factory import build_engine
    from privsplit.edge.privacy.settings import PrivacySettings

    return build_engine(PrivacySettings())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts)
def test_engine_round_trip_on_arbitrary_text(engine, text: str) -> None:
    vault = Vault()
    redaction = engine.redact(text, vault)
    if not _distinct_forms(text, redaction.spans):
        return
    assert vault.restore(redaction.text) == text


def test_stream_holds_only_a_possible_placeholder() -> None:
    vault = Vault()
    vault.placeholder_for("PERSON", "Ana")
    r = StreamRestorer(vault)
    assert r.feed("Hello [PER") == "Hello "
    assert r.feed("SON_1], [x] [") == "Ana, [x] "
    assert r.feed("PERSON_2] done") == "[PERSON_2] done"
    assert r.flush() == ""
