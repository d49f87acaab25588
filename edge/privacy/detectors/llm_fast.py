"""The contextual detector's fast mode: ask the model only about what the other detectors left.

Contract (``LlmDetector(mode="fast")``, the default):

- **Scan what is left.** Each text is cut into sentences (lines, then sentence ends). What
  the deterministic detectors and the rare-term pass already found is replaced by ``[X]``;
  a sentence goes to the model only when something that could still be a name remains
  (``has_candidate``): a capitalised word inside the sentence, a rare capitalised word
  opening it, a word in a non-Latin script, a code mixing letters and digits, or, in a
  sentence that opens in lowercase (chat style), a rare lowercase word. Everything else
  costs no model time.
- **Batching and a cached prefix.** The remaining sentences of all texts of a call are packed,
  one per line, into prompts of at most ``batch_chars`` characters after one fixed system
  prompt and examples; llama.cpp keeps that prefix's KV state between calls, so each call
  evaluates only its own sentences.
- **Short answers.** The model answers ``{"found": ["...", ...]}``: only the spans, no types,
  no rewrite. The first try is unconstrained (on this model a grammar over a 150k-token
  vocabulary costs about as much per token as the model itself); an answer that is not
  exactly that shape (cut off, prose, wrong keys) is asked again once under the JSON schema
  with twice the budget, then the detector fails as its ``on_bad_output`` says (closed:
  ``ModelOutputInvalid``, the request is refused).
- **Verbatim spans only.** Each answer is searched in the original sentences of its batch
  (any spacing or punctuation between its words, case-insensitively); an answer found
  nowhere is dropped, so the model cannot add text that is not there, and it can only add
  spans: what the other detectors found is kept whatever the model says. ``name_like`` then
  keeps a match only when it can be a name: no code identifiers (``_``, ``a.b``), digits only
  inside a letter-and-digit code, no lone acronym, no run of common words opening a
  sentence ("Customer ID", "Thanks"), and lowercase only in a chat-style sentence where one
  word is rare and none very common (an answer "May" does not hide the verb "may").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from privsplit.edge.privacy.spans import Span
from privsplit.shared.errors import ModelOutputInvalid

MASK = "[X]"
RARE = 3.0  # Zipf: a word seen less than once per million words reads as a name or code
COMMON = 5.0  # a word this frequent ("will", "john") is not hidden from a lowercase answer
OPENER = 4.0  # a capitalised sentence opener at least this frequent is an ordinary word

SYSTEM = (
    "You find what could identify a person in short texts, one text per line. Parts already "
    "hidden are written [X]. List every other name of a person (in any case or script), "
    "username, organization or place, copied exactly as written. Do not list common words, "
    "diseases, drugs, code, [X], or anything that is not in the text. Answer only with JSON: "
    '{"found": ["..."]}, an empty list when there is nothing.'
)
EXAMPLES = (
    (
        "[X] met dr. ana ruiz at Olafsen Clinic in Bergen.\n"
        "ivan has asthma, call him at [X].\n"
        "The meeting moved to Thursday.",
        {"found": ["ana ruiz", "Olafsen Clinic", "Bergen", "ivan"]},
    ),
    ("Please summarize the attached report for [X].\nThanks for the help!", {"found": []}),
)
SCHEMA = {
    "type": "object",
    "properties": {
        "found": {
            "type": "array",
            "maxItems": 24,
            "items": {"type": "string", "maxLength": 80},
        }
    },
    "required": ["found"],
}
# a sentence ends at . ! ? before a space, not after an initial or a title ("Ana B. Ruiz")
_SENTENCE = re.compile(
    r"[^\n]+?(?:(?<!\b[A-Z])(?<!\b(?:Dr|Mr|Ms|St|Jr|Sr|No))(?<!\bMrs)[.!?…]+(?=\s)|(?=\n)|$)"
)
_WORD = re.compile(r"[^\W_]+")
_CODE_NAME = re.compile(r"_|[^\W\d_][.][^\W\d_]")  # smtp_password, logging.basicConfig


def _opens(before: str) -> bool:
    """Whether a word after ``before`` opens a sentence (where every word is capitalised)."""
    before = before.rstrip()
    return not before or before[-1] in ".!?:;…\"'“«(-*#>"


@dataclass(frozen=True)
class Segment:
    """One sentence of text ``index``: ``text[start:end]``, and what the model sees of it."""

    index: int
    start: int
    end: int
    masked: str
    lang: str | None
    informal: bool  # the sentence opens in lowercase: names may be lowercase too


@lru_cache(maxsize=65536)
def zipf(word: str, lang: str | None) -> float:
    """How common a word is (wordfreq's Zipf scale), in English or the text's language."""
    from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as zipf_frequency

    folded = word.casefold()
    return max(zipf_frequency(folded, "en"), zipf_frequency(folded, lang) if lang else 0.0)


def _non_latin(word: str) -> bool:
    return any(c.isalpha() and ord(c) > 0x24F for c in word)


def _code(word: str) -> bool:
    """A code that mixes letters and digits (not a version, a size or a model number)."""
    return (
        len(word) >= 6
        and sum(c.isdigit() for c in word) >= 2
        and sum(c.isalpha() for c in word) >= 2
    )


def informal(masked: str) -> bool:
    """Whether the sentence opens with a lowercase letter (chat style, where names are
    written in lowercase too); in other text a lowercase word is not read as a name."""
    first = next((c for c in masked.replace(MASK, " ") if c.isalpha()), "")
    return first.islower()


def has_candidate(masked: str, lang: str | None) -> bool:
    """Whether anything in the (masked) sentence could still be a name, handle or code."""
    casual = informal(masked)
    for m in _WORD.finditer(masked):
        w = m.group()
        if w == "X" and masked[max(m.start() - 1, 0) : m.end() + 1] == MASK:
            continue
        if _non_latin(w) or _code(w):
            return True
        if not w[0].isalpha():
            continue
        if w[0].isupper():
            if w.isupper():  # "I", acronyms and error codes: the rare-term pass judges them
                continue
            opens = _opens(masked[: m.start()])
            if not opens or zipf(w, lang) < OPENER:
                return True
        elif casual and len(w) >= 3 and zipf(w, lang) < RARE:
            return True
    return False


def mask(text: str, start: int, end: int, found: Sequence[Span]) -> str:
    """``text[start:end]`` with every found span replaced by ``[X]`` (overlaps merged)."""
    out: list[str] = []
    pos = start
    for s in sorted(found, key=lambda s: (s.start, -s.end)):
        a, b = max(s.start, start), min(s.end, end)
        if a >= b or b <= pos:
            continue
        if a > pos:
            out.append(text[pos:a])
        if not out or out[-1] != MASK:
            out.append(MASK)
        pos = b
    out.append(text[pos:end])
    return "".join(out)


def segments(
    text: str, found: Sequence[Span], index: int, lang: str | None, max_chars: int
) -> list[Segment]:
    """The sentences of ``text`` the model should read (at most ``max_chars`` each)."""
    out: list[Segment] = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while start < end:
            stop = min(end, start + max_chars)
            if stop < end:
                cut = text.rfind(" ", start + max_chars // 2, stop)
                stop = cut if cut > start else stop
            masked = mask(text, start, stop, found)
            if has_candidate(masked, lang):
                out.append(Segment(index, start, stop, masked, lang, informal(masked)))
            start = stop
    return out


def batches(segs: Sequence[Segment], max_chars: int) -> list[list[Segment]]:
    """Sentences packed in order into groups of at most ``max_chars`` masked characters."""
    out: list[list[Segment]] = []
    size = 0
    for seg in segs:
        if out and size + len(seg.masked) + 1 <= max_chars:
            out[-1].append(seg)
            size += len(seg.masked) + 1
        else:
            out.append([seg])
            size = len(seg.masked)
    return out


def prompt(batch: Sequence[Segment]) -> str:
    return "\n".join(seg.masked for seg in batch)


def parse(reply: str) -> list[str]:
    """The answer's strings; ``ModelOutputInvalid`` unless it is exactly the schema's shape."""
    try:
        data = json.loads(reply.strip(), strict=False)
    except (json.JSONDecodeError, ValueError):
        raise ModelOutputInvalid("the contextual detector's answer is not complete JSON") from None
    found = data.get("found") if isinstance(data, dict) else None
    if not isinstance(found, list) or not all(isinstance(v, str) for v in found):
        raise ModelOutputInvalid("the contextual detector's answer has the wrong shape")
    return found


def _pattern(value: str) -> re.Pattern[str] | None:
    words = _WORD.findall(value)
    if not words:
        return None
    body = r"[\W_]{0,3}".join(re.escape(w) for w in words)
    return re.compile(r"(?<![^\W_])" + body + r"(?![^\W_])", re.IGNORECASE)


def name_like(found: str, opens: bool, casual: bool, lang: str | None) -> bool:
    """Whether a piece of the text the model pointed at may be hidden (see the module doc)."""
    words = _WORD.findall(found)
    if not 1 <= len(words) <= 6 or _CODE_NAME.search(found):
        return False
    if any(c.isdigit() for c in found):
        return any(_code(w) for w in words)
    if any(_non_latin(w) for w in words):
        return True
    if len(words) == 1 and words[0].isupper():
        return False  # an acronym or error code (ECONNREFUSED, COPD): not this stage's call
    if any(c.isupper() for c in found):
        return not (opens and all(zipf(w, lang) >= OPENER for w in words))
    freq = [zipf(w, lang) for w in words]
    return casual and min(freq) < RARE and max(freq) < COMMON


def entity_of(value: str) -> str:
    return "ID_NUMBER" if any(c.isdigit() for c in value) else "QUASI_IDENTIFIER"


def locate(
    values: Sequence[str], texts: Sequence[str], batch: Sequence[Segment], score: float, name: str
) -> list[tuple[int, Span]]:
    """(text index, span) for every verbatim occurrence of an answer in the batch's sentences."""
    out: list[tuple[int, Span]] = []
    for value in dict.fromkeys(v.strip() for v in values):
        if len(value) < 2 or len(value) > 80 or MASK in value:
            continue
        rx = _pattern(value)
        if rx is None:
            continue
        for seg in batch:
            text = texts[seg.index]
            for m in rx.finditer(text, seg.start, seg.end):
                opens = _opens(text[seg.start : m.start()])
                if name_like(m.group(), opens, seg.informal, seg.lang):
                    span = Span(m.start(), m.end(), entity_of(m.group()), score, name)
                    out.append((seg.index, span))
    return out
