"""Spans that come from where text sits, not from what it says.

Contact blocks (signatures, letterheads, address cards): in a run of short lines that holds
an e-mail address, a phone number, a URL or a street address, the other short lines are the
person's name, title and employer. Labels ("Phone:") and sentences are left alone.
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.spans import Span

ANCHORS = frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER", "URL", "STREET_ADDRESS"})
MAX_LINE = 80
_BULLET = re.compile(r"[\s>?*•|#-]*")
_WORD = re.compile(r"[^\W\d_][\w'’.&-]*")
LABELS = frozenset({"personal info", "contact", "contact info", "address", "phone", "e-mail", "email",
                    "website", "mobile", "fax", "desk", "office", "tel", "name", "title", "company",
                    "regards", "best regards", "kind regards", "thanks", "thank you", "sincerely",
                    "cheers", "best", "hi", "hello", "dear", "sent from my iphone", "nan"})


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def contact_block_spans(text: str, spans: list[Span]) -> list[Span]:
    if text.count("\n") < 2:
        return []
    lines = _lines(text)
    anchored = [any(s.entity_type in ANCHORS and s.start < b and a < s.end for s in spans)
                for a, b in lines]
    if not any(anchored):
        return []
    covered = {i for s in spans for i in range(s.start, s.end)}
    out: list[Span] = []
    run: list[int] = []
    for i, (a, b) in enumerate([*lines, (len(text), len(text) + MAX_LINE + 1)]):
        if b - a <= MAX_LINE and i < len(lines):
            run.append(i)
            continue
        if any(anchored[j] for j in run):
            out.extend(filter(None, (_candidate(text, *lines[j], covered) for j in run if not anchored[j])))
        run = []
    return out


def _candidate(text: str, a: int, b: int, covered: set[int]) -> Span | None:
    start = _BULLET.match(text, a, b).end()
    end = b
    while end > start and text[end - 1] in " \t\r,":
        end -= 1
    content = text[start:end]
    words = _WORD.findall(content)
    if not words or not 1 <= len(content.split()) <= 6 or not content[0].isalpha():
        return None
    if content.endswith((":", "?", "!")) or content.casefold().rstrip(":,. ") in LABELS:
        return None
    if content.endswith(".") and len(words) > 3:
        return None
    if all(i in covered for i in range(start, end) if text[i].isalnum()):
        return None
    return Span(start, end, "CONTACT_DETAIL", 0.55, "layout")
