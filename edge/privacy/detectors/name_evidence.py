"""Person-name evidence taken from the same text, used by the engine after the detectors ran.

Contract: ``name_evidence_spans(text, spans)`` returns extra ``PERSON`` spans for mentions of a
name that some span of the text already gives away, in any case:

* the words of a detected ``PERSON`` ("Cheryl Perez ... honestly cheryl was right");
* the parts of a handle (``@maria.gonzalez88``, ``@BruceDuncan``, ``#maria``) -- a login made
  of a name gives that name, so "maria" and "gonzalez" are hidden wherever they occur;
* a hashtag that reads as a name (``#amanda``, ``#jonathon``; not ``#weekend`` or a public
  technical term such as ``#python``): itself and its other mentions.

No list of names is used. A part counts only with three letters or more, not a title or a
handle's filler ("the", "real", "official"). A handle's part, and a mention written in
lowercase, count only when the word looks like a name rather than an English word
(``name_like``): rare (Zipf < ``RARE_ZIPF``), or not very common (< ``COMMON_ZIPF``) and used
about as much in French, German and Spanish as in English -- names travel between languages,
English nouns do not ("kevin" 4.6 in English, 4.3 on average elsewhere; "orchestra" 4.0 and
3.0). So "Williamson Orchestra" wrongly taken for a person does not hide "the orchestra".
Letters of scripts without case (Arabic, Hebrew, CJK) count as written as a name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as zipf_frequency
from privsplit.edge.privacy.spans import Span

COMMON_ZIPF = 5.5  # "john" 5.4 may be a name, "will" 6.5 and "real" 5.6 are not
RARE_ZIPF = 3.0  # rarer than this in English: not an English word in running text
TRAVEL_GAP = 0.8  # English Zipf minus the mean of fr/de/es: names < 0.7, nouns mostly > 0.9
OTHER_LANGUAGES = ("fr", "de", "es")
TITLES = frozenset(
    """mr mrs ms miss dr dra prof sir the and van von der den del della de da dos las los""".split()
)
HANDLE_FILLER = frozenset(
    """the real official its itsme iam not just only mr mrs ms dr xx xxx fan fans team dev app
    news info admin support help official hq tv live music art photo photos daily world bot
    tech gaming crypto games""".split()
)
_PART = re.compile(r"[^\W\d_]{3,}")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def name_like(word: str) -> bool:
    """Whether a lowercase word reads as a name rather than an English word (see above)."""
    try:
        import wordfreq  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency of the edge extra
        return True
    folded = word.casefold()
    english = zipf_frequency(folded, "en")
    if english < RARE_ZIPF:
        return True
    if english >= COMMON_ZIPF:
        return False
    return english_lead(folded) < TRAVEL_GAP


def english_lead(folded: str) -> float:
    """How much more ``folded`` is used in English than on average in French, German and
    Spanish (Zipf): under ``TRAVEL_GAP`` the word travels between languages, as names do."""
    elsewhere = sum(zipf_frequency(folded, lang) for lang in OTHER_LANGUAGES) / 3
    return zipf_frequency(folded, "en") - elsewhere


def handle_parts(handle: str) -> list[str]:
    """``@maria.gonzalez88`` -> ["maria", "gonzalez"]; ``@BruceDuncan`` -> ["Bruce", "Duncan"]."""
    token = handle.lstrip("@#").removeprefix("u/").removeprefix("/u/")
    parts: list[str] = []
    for chunk in re.split(r"[._\-\d]+", token):
        parts.extend(p for p in _CAMEL.split(chunk) if p)
    return [
        p
        for p in parts
        if _PART.fullmatch(p)
        and p.casefold() not in HANDLE_FILLER
        and p.casefold() not in TITLES
        and name_like(p)
    ]


def _caseless_or_upper(ch: str) -> bool:
    return ch.isupper() or (ch.isalpha() and not ch.islower())


_HASHTAG = re.compile(r"(?<![\w#&])#([^\W\d_]{3,20})(?![\w])")


def hashtag_names(text: str, spans: list[Span]) -> list[Span]:
    """Hashtags of a single name-like word, outside spans already found."""
    if "#" not in text:
        return []
    from privsplit.edge.privacy.detectors.public_terms import load_public_terms

    out = []
    for m in _HASHTAG.finditer(text):
        word = m.group(1)
        if any(s.start <= m.start(1) < s.end for s in spans):
            continue
        if word.casefold() in HANDLE_FILLER or word.casefold() in load_public_terms():
            continue
        if (word.islower() or word.istitle()) and name_like(word):
            out.append(Span(m.start(1), m.end(1), "PERSON", 0.6, "evidence:hashtag"))
    return out


@lru_cache(maxsize=4096)
def _mention(folded: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])" + re.escape(folded) + r"(?![^\W_])", re.IGNORECASE)


def name_evidence_spans(text: str, spans: list[Span]) -> list[Span]:
    tags = hashtag_names(text, spans)
    spans = [*spans, *tags]
    names: dict[str, str] = {}  # folded part -> where it came from
    for span in spans:
        value = text[span.start : span.end]
        if span.entity_type == "PERSON":
            for part in _PART.findall(value):
                if part.casefold() not in TITLES and (
                    _caseless_or_upper(part[0]) or span.detector == "evidence:hashtag"
                ):
                    names.setdefault(part.casefold(), "person")
        elif span.entity_type == "USERNAME":
            for part in handle_parts(value):
                names.setdefault(part.casefold(), "handle")
    if not names:
        return tags
    covered = [(s.start, s.end) for s in spans]
    out: list[Span] = list(tags)
    for folded, source in names.items():
        rx = _mention(folded)
        lower_ok = None
        for m in rx.finditer(text):
            if any(a <= m.start() < b for a, b in covered):
                continue
            if not _caseless_or_upper(text[m.start()]):
                if lower_ok is None:
                    lower_ok = name_like(folded)
                if not lower_ok:
                    continue
            out.append(Span(m.start(), m.end(), "PERSON", 0.7, f"evidence:{source}"))
    return out
