"""Spans that come from where text sits, not from what it says.

- Contact blocks (signatures, letterheads, address cards): in a run of short lines that
  holds an e-mail address, a phone number, a URL or a street address, the other short lines
  are the person's name, title and employer. Labels ("Phone:") and sentences are left alone.
- Lists: in "Ana, Bo, Cy and Di" where most items were found to be people, the rest are too.
- Speaker labels: in a dialogue where one "Name:" label is a person, the others are too.
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.spans import Span

ANCHORS = frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER", "URL", "STREET_ADDRESS"})
MAX_LINE = 80
_BULLET = re.compile(r"[\s>?*•|#-]*")
_WORD = re.compile(r"[^\W\d_][\w'’.&-]*")
LABELS = frozenset(
    {
        "personal info",
        "contact",
        "contact info",
        "address",
        "phone",
        "e-mail",
        "email",
        "website",
        "mobile",
        "fax",
        "desk",
        "office",
        "tel",
        "name",
        "title",
        "company",
        "regards",
        "best regards",
        "kind regards",
        "thanks",
        "thank you",
        "sincerely",
        "cheers",
        "best",
        "hi",
        "hello",
        "dear",
        "sent from my iphone",
        "nan",
    }
)


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
    anchored = [
        any(s.entity_type in ANCHORS and s.start < b and a < s.end for s in spans) for a, b in lines
    ]
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
            out.extend(
                filter(None, (_candidate(text, *lines[j], covered) for j in run if not anchored[j]))
            )
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


_ITEM = r"[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?"
_LIST = re.compile(rf"{_ITEM}(?:[ \t]*,[ \t]*{_ITEM}){{2,}}(?:,?[ \t]+(?:and|or|&)[ \t]+{_ITEM})?")
_SPEAKER = re.compile(r"(?m)^[ \t>|]*([^\W\d_][\w'’-]*(?:[ \t][^\W\d_][\w'’-]*)?)[ \t]*:[ \t]")
LIST_TYPES = frozenset({"PERSON"})


def _is_person(spans: list[Span], start: int, end: int) -> bool:
    return any(s.entity_type == "PERSON" and s.start <= start and end <= s.end for s in spans)


def list_and_speaker_spans(text: str, spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    if not any(s.entity_type == "PERSON" for s in spans):
        return out
    for m in _LIST.finditer(text):
        items = [(i.start(), i.end()) for i in re.finditer(r"[^,&]+", m.group(0))]
        items = [
            (
                m.start() + a + len(m.group(0)[a:b]) - len(m.group(0)[a:b].lstrip()),
                m.start() + b - (len(m.group(0)[a:b]) - len(m.group(0)[a:b].rstrip())),
            )
            for a, b in items
        ]
        items = [
            (a + 4 if text[a : a + 4] == "and " else a + 3 if text[a : a + 3] == "or " else a, b)
            for a, b in items
        ]
        people = [(a, b) for a, b in items if _is_person(spans, a, b)]
        if len(people) >= 2 and len(people) * 2 >= len(items):
            out.extend(
                Span(a, b, "PERSON", 0.6, "layout")
                for a, b in items
                if (a, b) not in people and b > a and text[a:b].casefold() not in LABELS
            )
    labels = [
        (m.start(1), m.end(1))
        for m in _SPEAKER.finditer(text)
        if m.group(1).casefold() not in LABELS
    ]
    if len(labels) >= 2 and any(_is_person(spans, a, b) for a, b in labels):
        out.extend(
            Span(a, b, "PERSON", 0.6, "layout") for a, b in labels if not _is_person(spans, a, b)
        )
    return out
