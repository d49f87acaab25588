"""The privacy engine: detect -> resolve -> apply the policy -> redact into a vault.

``PrivacyEngine`` is what the pipeline, the daemon and ``privsplit redact`` use. Any
detector failure raises ``PrivacyBlocked`` (fail closed): the caller sends nothing.

With a ``terms`` detector the engine also runs the rare-term pass the pipeline runs before
egress (``pipeline.hide_terms``), the way the pipeline runs it: on the text with what the
detectors found already hidden (``term_spans``), and every other mention of a hidden term
is hidden too. ``privsplit redact`` uses it so its output hides what ``plan`` would.

The structured detectors also read each text with its CJK characters as word breaks
(``scripts.structured_spans``, same length, so offsets hold): their patterns need a word
boundary that Chinese, Japanese and Korean text does not write ("电话是090-1234-5678").
The other detectors read the text as written: names and rare terms are read from the
words around them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from privsplit.edge.privacy.detectors import Detector
from privsplit.edge.privacy.detectors.code_context import CodeContext
from privsplit.edge.privacy.detectors.formulas import in_formula
from privsplit.edge.privacy.detectors.name_evidence import name_evidence_spans
from privsplit.edge.privacy.detectors.terms import TermDetector
from privsplit.edge.privacy.layout import contact_block_spans, list_and_speaker_spans
from privsplit.edge.privacy.policy import Action, Policy
from privsplit.edge.privacy.scripts import structured_spans
from privsplit.edge.privacy.spans import Redaction, Span, resolve_overlaps
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import ConfigError, PrivacyBlocked
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
# Spans of these types next to a street address (only commas/space between) are part of it.
ADDRESS_PARTS = frozenset({"STREET_ADDRESS", "LOCATION", "ZIP_CODE"})
_GAP = re.compile(r"[\s,]*")


def merge_addresses(text: str, spans: list[Span]) -> list[Span]:
    """Join a street address with the place names and postcodes right after or before it."""
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.entity_type in ADDRESS_PARTS
            and span.entity_type in ADDRESS_PARTS
            and "STREET_ADDRESS" in (prev.entity_type, span.entity_type)
            and _GAP.fullmatch(text, prev.end, span.start)
        ):
            out[-1] = Span(
                prev.start,
                span.end,
                "STREET_ADDRESS",
                max(prev.score, span.score),
                prev.detector if prev.entity_type == "STREET_ADDRESS" else span.detector,
            )
        else:
            out.append(span)
    return out


def term_spans(text: str, spans: Sequence[Span], terms: Detector) -> list[Span]:
    """The rare-term pass on what the detectors left: each found span is first replaced by a
    placeholder-shaped mask of the same length (``[XXXX]``, which the term detector skips,
    as it skips the placeholders of redacted text), so offsets stay those of ``text``; then
    every other whole-word mention of a found term, in any case, is hidden as well."""
    chars = list(text)
    for s in spans:
        if s.end - s.start >= 2:
            chars[s.start : s.end] = ["["] + ["X"] * (s.end - s.start - 2) + ["]"]
        else:
            chars[s.start] = "X"
    masked = "".join(chars)
    detected = (
        terms.detect(masked, language_text=text)
        if isinstance(terms, TermDetector)
        else terms.detect(masked)
    )
    found = [t for t in detected if "[" not in masked[t.start : t.end]]
    extra: list[Span] = []
    for value in {text[t.start : t.end].casefold(): text[t.start : t.end] for t in found}.values():
        words = [re.escape(w) for w in value.split()]
        rx = re.compile(r"(?<![^\W_])" + r"\s+".join(words) + r"(?![^\W_])", re.IGNORECASE)
        kind = next(t.entity_type for t in found if text[t.start : t.end] == value)
        extra.extend(
            Span(m.start(), m.end(), kind, 0.6, terms.name)
            for m in rx.finditer(masked)
            if "[" not in m.group() and "]" not in m.group()
        )
    return found + extra


class PrivacyEngine:
    def __init__(
        self,
        *,
        detectors: Sequence[Detector],
        policy: Policy | None = None,
        terms: Detector | None = None,
    ) -> None:
        if not detectors:
            raise ConfigError("a privacy engine needs at least one detector")
        self.detectors = list(detectors)
        self.terms = terms
        self.policy = policy or Policy()

    # ---- detection -------------------------------------------------------------------------
    def detect(self, text: str) -> list[Span]:
        return self.detect_batch([text])[0]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        """Resolved, thresholded spans per text (every type, including ones the policy allows)."""
        texts = list(texts)
        found: list[list[Span]] = [[] for _ in texts]
        # a detector that ``reads_found`` (the contextual LLM) runs last, on what the rest found
        for detector in sorted(self.detectors, key=lambda d: getattr(d, "reads_found", False)):
            started = time.perf_counter()
            try:
                if getattr(detector, "reads_found", False):
                    results = detector.detect_remaining(texts, self._found_so_far(texts, found))
                elif getattr(detector, "structured", False):
                    results = structured_spans(detector, texts)
                else:
                    results = detector.detect_batch(texts)
            except PrivacyBlocked as exc:  # typed, with our own message: keep it
                log.error("detector_failed", detector=detector.name, error=type(exc).__name__)
                raise
            except Exception as exc:
                log.error("detector_failed", detector=detector.name, error=type(exc).__name__)
                raise PrivacyBlocked(
                    f"detector '{detector.name}' failed; nothing was sent"
                ) from None
            if len(results) != len(texts):
                raise PrivacyBlocked(f"detector '{detector.name}' returned a wrong batch size")
            for acc, spans in zip(found, results):
                acc.extend(spans)
            log.debug(
                "detector_ran",
                detector=detector.name,
                texts=len(texts),
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
        return [self._finish(t, spans) for t, spans in zip(texts, found)]

    def _found_so_far(self, texts: list[str], found: list[list[Span]]) -> list[list[Span]]:
        """What the detectors found, plus what the rare-term pass adds to it (the LLM stage
        need not read what is hidden anyway)."""
        out = [list(f) for f in found]
        if self.terms is None:
            return out
        for text, spans in zip(texts, out):
            try:
                spans.extend(term_spans(text, resolve_overlaps(list(spans), text), self.terms))
            except Exception as exc:  # only a hint: the LLM then reads more, _finish still runs
                log.warning("term_hint_skipped", error=type(exc).__name__)
        return out

    def _with_terms(self, text: str, spans: list[Span]) -> list[Span]:
        if self.terms is None:
            return spans
        try:
            extra = term_spans(text, spans, self.terms)
        except Exception as exc:
            log.error("detector_failed", detector=self.terms.name, error=type(exc).__name__)
            raise PrivacyBlocked(f"detector '{self.terms.name}' failed; nothing was sent") from None
        return merge_addresses(text, resolve_overlaps(spans + extra, text))

    def _finish(self, text: str, spans: list[Span]) -> list[Span]:
        # a colour in code is a style, and a chemical formula a formula, whichever detector
        # or evidence took it for a name ('fill: #fff' is no hashtag, 'AgNO3' no person);
        # the user's deny list still applies
        code = CodeContext.of(text)
        spans = [s for s in spans if not _public_literal(text, s, code)]
        spans.extend(self.policy.deny_spans(text))
        kept = [s for s in spans if self.policy.counts(s, text)]
        kept.extend(repeated_mentions(text, kept))
        kept.extend(name_evidence_spans(text, kept))
        kept.extend(contact_block_spans(text, kept))
        kept.extend(list_and_speaker_spans(text, kept))
        kept = [s for s in kept if s.detector == "deny_list" or not _public_literal(text, s, code)]
        return self._with_terms(text, merge_addresses(text, resolve_overlaps(kept, text)))

    # ---- redaction -------------------------------------------------------------------------
    def redact(self, text: str, vault: Vault) -> Redaction:
        return self.redact_batch([text], vault)[0]

    def redact_batch(self, texts: Sequence[str], vault: Vault) -> list[Redaction]:
        started = time.perf_counter()
        out = []
        for text, spans in zip(texts, self.detect_batch(texts)):
            out.append(self.apply(text, spans, vault))
        log.info(
            "redacted",
            texts=len(out),
            entities=sum(len(r.spans) for r in out),
            entity_types=sorted({s.entity_type for r in out for s in r.spans}),
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return out

    def apply(self, text: str, spans: list[Span], vault: Vault) -> Redaction:
        """Apply the policy to spans from ``detect`` (raises ``PrivacyBlocked`` on a block)."""
        spans = resolve_overlaps(spans + known_value_spans(text, vault), text)
        decisions: dict[str, str] = {}
        pseudo: list[Span] = []
        masked: list[Span] = []
        for span in spans:
            action = self.policy.action_for(span.entity_type)
            decisions[span.entity_type] = action.value
            if action is Action.PSEUDONYMIZE:
                pseudo.append(span)
            elif action is Action.MASK:
                masked.append(span)
        blocked = tuple(sorted(t for t, a in decisions.items() if a == Action.BLOCK.value))
        if blocked:
            log.warning("policy_blocked", entity_types=list(blocked))
            raise PrivacyBlocked(
                f"policy refuses to send {', '.join(blocked)}", entity_types=blocked
            )
        redacted = vault.redact(text, pseudo, masked=masked)
        return Redaction(text=redacted, spans=sorted(pseudo + masked), decisions=decisions)


PROPAGATE = frozenset({"PERSON", "ORGANIZATION", "LOCATION", "NRP"})
NAME_PARTS_IGNORED = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "the",
        "and",
        "van",
        "von",
        "der",
        "den",
        "del",
        "della",
        "de",
        "da",
        "dos",
        "las",
        "los",
    }
)


def _public_literal(text: str, span: Span, code: CodeContext) -> bool:
    return code.in_colour(span.start, span.end) or in_formula(text, span.start, span.end)


def repeated_mentions(text: str, spans: list[Span]) -> list[Span]:
    """A name found once is redacted wherever else it occurs in the same text (NER is not
    consistent between two mentions of the same word)."""
    extra: list[Span] = []
    seen: set[str] = set()
    for span in spans:
        value = text[span.start : span.end]
        if span.entity_type == "PERSON":  # "John Smith ... Smith": the surname alone is the person
            for part in re.findall(r"[^\W\d_][\w'’-]{2,}", value):
                if (
                    part[0].isupper()
                    and part.casefold() not in NAME_PARTS_IGNORED
                    and part not in seen
                ):
                    seen.add(part)
                    extra.extend(
                        Span(start, start + len(part), "PERSON", 0.9, "repeat")
                        for start in whole_word_starts(text, part)
                        if not span.start <= start < span.end
                    )
        if span.entity_type not in PROPAGATE or len(value) < 3 or value in seen:
            continue
        seen.add(value)
        for start in whole_word_starts(text, value):
            if start != span.start:
                extra.append(
                    Span(start, start + len(value), span.entity_type, span.score - 0.01, "repeat")
                )
    return extra


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"  # what ``re``'s \w matches in a str pattern


def whole_word_starts(text: str, value: str) -> list[int]:
    r"""Where ``value`` occurs in ``text`` with no word character right before or after it:
    ``re.finditer(r"(?<!\w)" + re.escape(value) + r"(?!\w)", text)`` (the same matches,
    left to right, not overlapping), without compiling a pattern per value."""
    out: list[int] = []
    size = len(value)
    at = text.find(value) if value else -1
    while at != -1:
        end = at + size
        if (at == 0 or not _word_char(text[at - 1])) and (
            end == len(text) or not _word_char(text[end])
        ):
            out.append(at)
            at = text.find(value, end)
        else:
            at = text.find(value, at + 1)
    return out


def known_value_spans(text: str, vault: Vault) -> list[Span]:
    """Later mentions of values already in the conversation's vault (also parts of names),
    even where no detector fires again."""
    spans: list[Span] = []
    lowered = text.casefold()
    if len(lowered) != len(text):  # casefold changed offsets (e.g. "ß"); search the text itself
        lowered = text
    for entity_type, value in vault.values():
        needles = {value.casefold()}
        if entity_type in ("PERSON", "ORGANIZATION"):
            needles |= {
                w.casefold()
                for w in re.findall(r"[^\W\d_][\w'’-]{2,}", value)
                if w[0].isupper() and w.casefold().rstrip(".") not in {"mr", "mrs", "ms", "dr"}
            }
        for needle in needles:
            if len(needle) < 3:
                continue
            for m in re.finditer(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", lowered):
                if (
                    entity_type in ("PERSON", "ORGANIZATION")
                    and needle != value.casefold()
                    and not text[m.start()].isupper()
                ):
                    continue  # a part of a name counts only when written as a name
                spans.append(Span(m.start(), m.end(), entity_type, 0.99, "vault"))
    return spans
