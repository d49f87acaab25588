"""Person-name evidence taken from the same text, used by the engine after the detectors ran.

Contract: ``name_evidence_spans(text, spans)`` returns extra ``PERSON`` spans for mentions of a
name that some span of the text already gives away, in any case:

* the words of a detected ``PERSON`` ("Cheryl Perez ... honestly cheryl was right");
* the parts of a handle (``@maria.gonzalez88``, ``@BruceDuncan``, ``#maria``) -- a login made
  of a name gives that name, so "maria" and "gonzalez" are hidden wherever they occur.

No list of names is used. A part counts only with three letters or more, not a title or a
handle's filler ("the", "real", "official"); a mention written in lowercase counts only when
the part is not a very common word of English (``wordfreq`` Zipf < ``COMMON_ZIPF``: "will",
"may", "real" stay), so a name that is also an everyday word is not hidden in running prose.
Letters of scripts without case (Arabic, Hebrew, CJK) count as written as a name.
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.spans import Span

COMMON_ZIPF = 5.5  # "john" 5.4 is hidden, "will" 6.5 and "real" 5.6 are not
HANDLE_PART_ZIPF = 4.9  # a handle part is a name only if rarer still ("support", "paul" stay)
TITLES = frozenset(
    """mr mrs ms miss dr dra prof sir the and van von der den del della de da dos las los""".split()
)
HANDLE_FILLER = frozenset(
    """the real official its itsme iam not just only mr mrs ms dr xx xxx fan fans team dev app
    news info admin support help official hq tv live music art photo photos daily world""".split()
)
_PART = re.compile(r"[^\W\d_]{3,}")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _zipf(word: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - a dependency of the edge extra
        return 0.0
    return zipf_frequency(word, "en")


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
        and _zipf(p.casefold()) < HANDLE_PART_ZIPF
    ]


def _caseless_or_upper(ch: str) -> bool:
    return ch.isupper() or (ch.isalpha() and not ch.islower())


def name_evidence_spans(text: str, spans: list[Span]) -> list[Span]:
    names: dict[str, str] = {}  # folded part -> where it came from
    for span in spans:
        value = text[span.start : span.end]
        if span.entity_type == "PERSON":
            for part in _PART.findall(value):
                if part.casefold() not in TITLES and _caseless_or_upper(part[0]):
                    names.setdefault(part.casefold(), "person")
        elif span.entity_type == "USERNAME":
            for part in handle_parts(value):
                names.setdefault(part.casefold(), "handle")
    if not names:
        return []
    covered = [(s.start, s.end) for s in spans]
    out: list[Span] = []
    for folded, source in names.items():
        rx = re.compile(r"(?<![^\W_])" + re.escape(folded) + r"(?![^\W_])", re.IGNORECASE)
        common = None
        for m in rx.finditer(text):
            if any(a <= m.start() < b for a, b in covered):
                continue
            if not _caseless_or_upper(text[m.start()]):
                if common is None:
                    common = _zipf(folded) >= COMMON_ZIPF
                if common:
                    continue
            out.append(Span(m.start(), m.end(), "PERSON", 0.7, f"evidence:{source}"))
    return out
