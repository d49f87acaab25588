"""Spans that come from where text sits, not from what it says.

- Contact blocks (signatures, letterheads, address cards): in a run of short lines that
  holds an e-mail address, a phone number, a URL or a street address, the other short lines
  within ``NEAR`` non-blank lines of one are the person's name, title and employer: each
  part of such a line outside detected values and separators ("Jane Roe | Acme") that opens
  with a capital (any case in a text written without capitals). Labels ("Phone:", "Account
  ID: ..."), sentences, sentence fragments ("Replying to", "Posted by") and lowercase chat
  lines in cased text ("weekend", "signing off") are left alone.
- Lists: in "Ana, Bo, Cy and Di" where most items were found to be people, the rest are too.
- Speaker labels: in a dialogue where one "Name:" label is a person, the others are too.
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.spans import Span

ANCHORS = frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER", "URL", "STREET_ADDRESS"})
MAX_LINE = 80
NEAR = 4  # non-blank lines between a candidate and the nearest anchored line
# lowercase words a name, title or employer line may hold ("Head of Sales", "Jan van Dijk")
CONNECTORS = frozenset(
    "of and & the for at in de del della da do dos van von der den du la le y e et und".split()
)
_LABEL = re.compile(r"^[^\W\d_][\w .'’/-]{0,30}:")
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
    lowercase_text = _lowercase_text(text)
    out: list[Span] = []
    run: list[int] = []
    for i, (a, b) in enumerate([*lines, (len(text), len(text) + MAX_LINE + 1)]):
        if b - a <= MAX_LINE and i < len(lines):
            run.append(i)
            continue
        # distance in non-blank lines: a blank line between name and phone is no distance
        filled = [j for j in run if text[lines[j][0] : lines[j][1]].strip()]
        anchors = [k for k, j in enumerate(filled) if anchored[j]]
        for k, j in enumerate(filled):
            if not anchored[j] and anchors and min(abs(k - x) for x in anchors) <= NEAR:
                out.extend(_candidate(text, *lines[j], covered, lowercase_text))
        run = []
    return out


def _lowercase_text(text: str) -> bool:
    """Written without capitals (informal text): lowercase lines may be names there."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) <= 0.01 * len(letters)


def _candidate(text: str, a: int, b: int, covered: set[int], lowercase_text: bool) -> list[Span]:
    start = _BULLET.match(text, a, b).end()
    end = b
    while end > start and text[end - 1] in " \t\r,":
        end -= 1
    content = text[start:end]
    if not content:
        return []
    label = _LABEL.match(content)
    if label is not None:  # "Phone: ...", "Account ID: ...": a label and its value
        last = re.findall(r"[^\W\d_]+", label.group(0))[-1].casefold()
        if last not in PERSON_LABELS:
            return []
        start += label.end()  # "Billing address: Ana Ruiz": the value is a person or place
        content = text[start:end]
    elif content.endswith((":", "?", "!")) or content.casefold().rstrip(":,. ") in LABELS:
        return []
    if content.strip().endswith(".") and len(_WORD.findall(content)) > 3:
        return []  # a sentence
    out: list[Span] = []
    for m in _PART.finditer(text, start, end):  # "Ana Ruiz | Acme": each part on its own
        words = _WORD.findall(m.group(0))
        if not words or len(m.group(0).split()) > 6:
            continue
        if not (lowercase_text or _name_like(words[0])):
            continue
        if words[0].islower() and (len(words) > 4 or "the" in words):
            continue  # lowercase names and titles are short and carry no article
        if any(w.casefold() in _CLOSED_CLASS for w in words):
            continue  # "she runs the page now", "Sent from my phone": a sentence
        out.extend(_uncovered(text, *m.span(), covered))
    return out


_PART = re.compile(r"[^|,;·•–—]+")
# the last word of a label whose value names a person or a place
PERSON_LABELS = frozenset(
    "name address contact attn attention from to recipient sender customer client patient "
    "employee owner holder".split()
)
# words that end a fragment, not a name ("Replying to", "Posted by"); joining words
# ("and", "of") end one only when no detected value follows ("Hernandez and [Simpson]")
_FRAGMENT_END = frozenset("to by with from for at in on the a an".split())
_JOINING = frozenset("and or of & y et und".split())


def _uncovered(text: str, start: int, end: int, covered: set[int]) -> list[Span]:
    """The pieces of a part outside detected values that hold a name, title or postcode."""
    out: list[Span] = []
    pos = start
    for i in [*range(start, end), end]:
        if i < end and i not in covered:
            continue
        a, b = pos, i
        pos = i + 1
        while a < b and not text[a].isalnum():
            a += 1
        while b > a and not (text[b - 1].isalnum() or text[b - 1] in ".)"):
            b -= 1
        if b <= a:
            continue
        content = text[a:b]
        words = [w.casefold().rstrip(".") for w in _WORD.findall(content)]
        if not words:
            if _POSTCODE.fullmatch(content):  # "Hungary [34796]": the line's number
                out.append(Span(a, b, "CONTACT_DETAIL", 0.55, "layout"))
            continue
        if not content[0].isalpha() or _LABEL_AFTER.match(text, b):
            continue
        if content.casefold() in LABELS or content.casefold() in _CLOSED_CLASS:
            continue  # "Hello [Jason]", "Cheers, [Erica]", "ok, sending it now"
        if content.isupper() and len(content) <= 3:
            continue  # "RN", "MD", "DOB": a credential or a label
        if content[0].islower() and (len(words) > 4 or "the" in words):
            continue  # "honestly the worst Friday ever": lowercase names carry no article
        followed = i < end  # a detected value comes next
        if words[-1] in _FRAGMENT_END or (words[-1] in _JOINING and not followed):
            continue
        if all(w in CONNECTORS for w in words) and not followed:
            continue
        out.append(Span(a, b, "CONTACT_DETAIL", 0.55, "layout"))
    return out


_POSTCODE = re.compile(r"\d{3,10}")


_LABEL_AFTER = re.compile(r"[ \t]*:")
# English pronouns, determiners, auxiliaries and a few verbs of chat: a line holding one is
# a sentence or a fragment ("anyone know", "since you asked"); names and titles have none
_CLOSED_CLASS = frozenset(
    """i me my mine you your yours he him his she her hers it its we us our they them their
    this that these those is are was were be been am do does did have has had will would can
    could should not no yes just so if then than when what who why how where there here since
    because about anyone someone know thanks thank please lol cc ok okay""".split()
)


def _name_like(first: str) -> bool:
    """A name, title or employer line opens with a capital (or a script without case):
    "Jane Roe", "Network and systems administrator", "Acme & Co"."""
    return first[0].isupper() or (first[0].isalpha() and not first[0].islower())


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
