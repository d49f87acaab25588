"""Whether an organization the NER model found has any evidence of being one.

The small NER model tags capitalized ordinary words as organizations: CV headings
("Skills", "Certification"), subjects ("Compliance Management Systems"), roles
("Controller"). Contract: ``common_words_only(value)`` is true when every word of ``value`` is
a common English word (Zipf >= ``COMMON_ZIPF``) that does not read as a name
(``name_evidence.name_like``: names are used across languages, English nouns are not);
``org_evidence(text, start, end)`` is true when the text gives the span away as an
organization all the same: a preposition that introduces an employer, a shop or a sender
right before it ("works at Target", "ordered from Subway", "joined Key Bank"), or a name
cue ("named Key"); a corporate or institution word in it or right after it ("Inc", "Bank",
"Films", "the Lending Club Orchestra", "the Clean Power Finance office"); a list in which
an organization comes right before it ("Enervee Corporation and Civic Insight"); or a
possessive after it ("Target's"). The NER detector drops a common-words-only organization without evidence;
one with evidence stays hidden.
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.detectors.name_evidence import name_like
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf

COMMON_ZIPF = 3.5  # once in ~300,000 words: "compliance" 4.2, "volunteering" 3.5
_WORD = re.compile(r"[^\W\d_]+")
# "at Target", "from the Subway", "joined Chase", "with Shell", "to Subway"
_CUE_BEFORE = re.compile(
    r"\b(?:at|for|with|from|joined|by|to|via|employer|company|brand|store|shop|named|called|"
    r"name\s+is)[ \t]+(?:the[ \t]+)?$",
    re.IGNORECASE,
)
# words that end a company's or an institution's name (not "Systems" or "Solutions": a
# subject as often as a firm)
CORPORATE = frozenset(
    """inc ltd llc llp plc corp corporation co company group bank gmbh ag sa srl bv nv bros
    brothers foundation association university college institute hospital partners holdings
    labs studios productions films pictures airlines motors ventures club orchestra band
    society council agency press network museum church school clinic academy force forces
    department ministry police army navy authority commission committee court government
    party union federation league""".split()
)
# words after a name that make it an organization's ("the Clean Power Finance office")
AFTER = CORPORATE | frozenset(
    "office offices headquarters hq branch branches store stores employees staff ceo".split()
)
_NEXT_WORD = re.compile(r"[ \t]*(?:,[ \t]*)?([^\W\d_]+)")
# "Enervee Corporation and ", "Acme Inc., ": an organization listed right before
_LISTED_AFTER = re.compile(r"([^\W\d_]+)\.?[ \t]*(?:,|and|&)[ \t]*$")
_POSSESSIVE = re.compile(r"['’]s\b")


def common_words_only(value: str) -> bool:
    words = _WORD.findall(value)
    return bool(words) and all(
        zipf(w.casefold(), "en") >= COMMON_ZIPF and not name_like(w.casefold()) for w in words
    )


def org_evidence(text: str, start: int, end: int) -> bool:
    value = text[start:end]
    words = [w.casefold() for w in _WORD.findall(value)]
    if len(words) > 1 and any(w in CORPORATE for w in words):
        return True  # "Key Bank", "Shepherd Ltd."; a lone "Bank" is a heading
    nxt = _NEXT_WORD.match(text, end)
    if nxt is not None and nxt.group(1).casefold() in AFTER:
        return True
    listed = _LISTED_AFTER.search(text, max(0, start - 40), start)
    if listed is not None and listed.group(1).casefold() in CORPORATE:
        return True
    if _POSSESSIVE.match(text, end):
        return True
    return _CUE_BEFORE.search(text, max(0, start - 30), start) is not None
