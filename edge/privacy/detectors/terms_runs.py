"""The passes over runs of words that the rare-term pass (``terms.py``) makes after it has
classified each word on its own.

``TermDetector.detect`` gives every word of a text a verdict (``NAME``, ``ID``, ``TERM``, or
None to keep it); these passes then revise the verdicts by the words around each one, in
place, in this order:

- ``before_corporate``: a capitalized word right before a corporate or institution word is
  a firm's name, however common ("Shepherd Ltd", "Lending Club", "Key Bank").
- ``keep_headings``: the English words of a heading line are a section's title, not a name
  ("Soft Skills", "Certification:", "## Volunteering").
- ``keep_public``: words public by their context (``terms_public``: registry codes,
  eponyms, model designations, imperative verbs) and month and weekday names no person cue
  introduces ("Feb", "Jun 2021"; not "my friend June").
- ``titled_runs``: three or more capitalized words with a capitalized function word among
  them are a title or a name in running text ("Friends Of The Earth").
- ``policy_phrases``: the policy's vocabularies (``term_policy``): allow-listed phrases
  kept, places hidden or kept as configured, and names after a cue ("a company called tech
  stop", "my brother harrison", "by anna university": ``cued_names``).

``capitalized_run`` then widens a flagged capitalized word to the run of capitalized words
around it ("Arab Open University-Dammam"), which is hidden whole. Verdicts: ``KEEP`` (kept
on purpose, never joined into a name run), ``CUE`` (hidden by a cue's span already).
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors import term_policy
from privsplit.edge.privacy.detectors.calendar_words import calendar_word
from privsplit.edge.privacy.detectors.name_evidence import name_like
from privsplit.edge.privacy.detectors.org_evidence import CORPORATE
from privsplit.edge.privacy.detectors.term_policy import TermPolicy
from privsplit.edge.privacy.detectors.terms_public import public_codes, public_word
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as _zipf
from privsplit.edge.privacy.spans import Span

# the words before a sentence's (or a list item's) first word
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"“(*#>•\-]|\d[.)])[\s\"“'‘(*]*$")
NATIVE_WORD = 3.0  # Zipf in the text's language: a lowercase word of it, not a place name
COMMON_OPENER = 4.8  # Zipf of words such as "The", "Please", "My"
FIRM_WORDS = CORPORATE | {"incorporated", "limited", "corporate", "enterprises", "industries"}
FUNCTION_WORD = 5.5  # Zipf of "The", "My", "Please", "This" (not "Lost", "Peak")
CONNECTORS = frozenset(
    {
        "of",
        "de",
        "del",
        "la",
        "le",
        "du",
        "da",
        "van",
        "von",
        "der",
        "the",
        "and",
        "&",
        "for",
        "y",
        "e",
        "di",
        "al",
        "el",
        "bin",
        "ibn",
    }
)
# a name cue before a word of an allow-list makes it a name again ("my friend Allegra")
NAME_CUE = re.compile(
    r"(?:\b(?:mr|mrs|ms|miss|dr|prof|sir|madam|dear|hi|hello|hey|by|from|to|with|"
    r"called|named|name is|i am|i'm|"
    r"(?:my|his|her|our|their|your) (?:friend|brother|sister|wife|husband|son|daughter|"
    r"mother|father|mom|dad|boss|colleague|partner|cousin|uncle|aunt|neighbou?r|client|"
    r"patient|teacher|student|manager|girlfriend|boyfriend|fianc[ée]e?))\.?\s+)$",
    re.IGNORECASE,
)
# "a company called tech stop", 'an app named "Mario"': the words after it are a name
CALLED = re.compile(r"(?<![\w-])(?:called|named)\s+[\"“'‘]?$", re.IGNORECASE)
# "my brother harrison", "his wife eden", "I m larry zhang": a word that looks like a name
# (``name_evidence.name_like``: rare, or used as much in fr/de/es as in English) is one
PERSON_CUE = re.compile(
    r"(?<![\w-])(?:(?:my|his|her|our|their|your) (?:friend|brother|sister|wife|husband|son|"
    r"daughter|mother|father|mom|mum|dad|boss|colleague|partner|cousin|uncle|aunt|nephew|niece|"
    r"grandson|granddaughter|grandmother|grandfather|fianc[ée]e?|girlfriend|boyfriend)|"
    r"i am|i'm|i’m|i m|my name is|name's|this is)\s+$",
    re.IGNORECASE,
)
# a line that is a heading: 1-6 capitalized words (connectors between), maybe numbered,
# bulleted or marked up, maybe ending with a colon
HEADING_LINE = re.compile(
    r"[ \t]*(?:[#*•\-–>]+[ \t]*|\d+[.)][ \t]*)?"
    r"\p{Lu}[\p{L}'’\-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’\-]*|and|of|&|for|the|in|to)){0,5}"
    r"[ \t]*[:*]*[ \t]*"
)
# function words written with a capital inside a run of capitalized words: a title
TITLE_FUNCTION_WORDS = frozenset({"To", "The", "Of", "And", "For", "In", "On", "At", "With"})
TITLE_OPENERS = frozenset(
    """i i'm i’m you you're you’re we we're we’re they they're it it's it’s he she my your our
    their this that these those how why what when where who""".split()
)
QUOTES = frozenset("\"“”'‘’«")


def _line(text: str, start: int, end: int) -> str:
    """The whole line that holds ``text[start:end]``."""
    b = text.find("\n", end)
    return text[text.rfind("\n", 0, start) + 1 : len(text) if b < 0 else b]


# a month or weekday name is kept ("Feb", "Jun 2021") unless a person cue introduces it
# ("my friend June", "Dear April", "a girl named May")
CALENDAR_NAME_CUE = re.compile(
    r"(?:\b(?:mr|mrs|ms|miss|dr|prof|dear|hi|hello|hey|called|named|name is)\.?\s+)$",
    re.IGNORECASE,
)
# "by anna university", "at hamdard college": name-like words before an institution word
INSTITUTION = frozenset(
    {"university", "college", "institute", "hospital", "academy", "school", "clinic"}
)
CUE_WORD_MAX_ZIPF = 5.0  # "called me", "named the": a common word first is no name
CUE_NEXT_MAX_ZIPF = 6.0  # later words of the name; function words ("that", "in") end it
CUE_MAX_WORDS = 3


def keep_headings(
    text: str, words: list, flagged: list[str | None], *, capitalized_common: float
) -> None:
    """Keep the English words of heading lines ("Soft Skills", "Certification:",
    "## Volunteering"): a section's title, not a name. A heading that holds a word
    reading as a name, a rare word or a corporate word is left to its word's verdict
    (``capitalized_common``: ``Thresholds.capitalized_common``, as the policy shifts it)."""
    for i, m in enumerate(words):
        if flagged[i] != "NAME" or not m.group()[:1].isupper():
            continue
        folded = m.group().casefold()
        if folded in CORPORATE or _zipf(folded) < capitalized_common or name_like(folded):
            continue
        if HEADING_LINE.fullmatch(_line(text, m.start(), m.end())):
            flagged[i] = None


def titled_runs(text: str, words: list, flagged: list[str | None]) -> None:
    """Three or more capitalized words in a row, one of them a capitalized function word
    after the first ("Key To The World", "Friends Of The Earth"), are a title or a name
    in running text, however common their words: the first one is flagged, and the
    capitalized run around it is hidden whole. Heading lines, quoted titles and runs
    opened by a pronoun ("You're Supposed To Hate", a headline) are left alone."""
    i = 0
    while i < len(words):
        if not words[i].group()[:1].isupper():
            i += 1
            continue
        j = i
        while (
            j + 1 < len(words)
            and text[words[j].end() : words[j + 1].start()] == " "
            and words[j + 1].group()[:1].isupper()
        ):
            j += 1
        run = words[i : j + 1]
        before = text[max(0, run[0].start() - 1) : run[0].start()]
        if (
            len(run) >= 3
            and run[0].group().casefold() not in TITLE_OPENERS
            and before not in QUOTES  # "Carry Me Back To Canada": a quoted work's title
            and any(m.group() in TITLE_FUNCTION_WORDS for m in run[1:-1])
            and "NAME" not in flagged[i : j + 1]
        ):
            line = _line(text, run[0].start(), run[-1].end())
            free = [k for k in range(i, j + 1) if flagged[k] is None]
            if free and not HEADING_LINE.fullmatch(line):
                flagged[free[0]] = "NAME"
        i = j + 1


def lone_vocabulary(text: str, words: list, flagged: list[str | None]) -> None:
    """A capitalized word of English's own vocabulary (``english_vocabulary``: in WordNet,
    and not a word that travels between languages as names do), rare enough to be read as a
    name ("VOCAB"), is kept when it stands alone ("the Molarity of a solution", "Soft
    Volunteering"); in a run of capitalized words ("Operation Desert Storm", "Lost Bubble"),
    as a place ("Norfolk") or a firm's suffix ("Feather Friends, Incorporated") it is a name."""
    places = term_policy.places() | term_policy.towns()

    def capitalized(k: int) -> bool:  # a sentence's "The", "My", "Please" do not count
        word = words[k].group()
        opens = SENTENCE_START.search(text[max(0, words[k].start() - 12) : words[k].start()])
        return word[:1].isupper() and not (opens and _zipf(word.casefold()) >= FUNCTION_WORD)

    def joined(a: int, b: int) -> bool:
        return text[words[a].end() : words[b].start()] in (" ", " - ", " & ")

    for i, m in enumerate(words):
        if flagged[i] != "VOCAB":
            continue
        folded = m.group().casefold()
        alone = not (i and joined(i - 1, i) and capitalized(i - 1)) and not (
            i + 1 < len(words) and joined(i, i + 1) and capitalized(i + 1)
        )
        kept = alone and folded not in places and folded not in FIRM_WORDS
        flagged[i] = None if kept else "NAME"


def before_corporate(text: str, words: list, flagged: list[str | None]) -> None:
    """A capitalized word right before a corporate or institution word ("Shepherd Ltd",
    "Lending Club", "Key Bank") is a firm's name, however common the word."""
    for i in range(len(words) - 1):
        a, b = words[i], words[i + 1]
        if (
            flagged[i] is None
            and a.group()[:1].isupper()
            and b.group()[:1].isupper()
            and text[a.end() : b.start()] == " "
            and b.group().casefold() in CORPORATE
            and a.group().casefold() not in CONNECTORS
            and _zipf(a.group().casefold()) < COMMON_OPENER
        ):
            flagged[i] = "NAME"


def keep_public(text: str, words: list, flagged: list[str | None], lang: str | None = None) -> None:
    """Mark ``KEEP`` the flagged words that are public by their context
    (``terms_public``, read in ``text`` as written, before the detectors' masks): inside a registry or error code, eponyms, model designations,
    imperative verbs, names in code, nouns after an article (``lang``: the language the
    text is written in, if detected); and month and weekday names that no person cue
    introduces (``calendar_words``)."""
    if not any(f for f in flagged):
        return
    codes = public_codes(text)
    for i, m in enumerate(words):
        if flagged[i] is None:
            continue
        if calendar_word(m.group()):
            before = text[max(0, m.start() - 24) : m.start()]
            if not (CALENDAR_NAME_CUE.search(before) or PERSON_CUE.search(before)):
                flagged[i] = "KEEP"
                continue
        if any(a <= m.start() and m.end() <= b for a, b in codes) or public_word(
            text, m.start(), m.end(), lang
        ):
            flagged[i] = "KEEP"


def policy_phrases(
    text: str,
    words: list,
    flagged: list[str | None],
    lang: str | None = None,
    *,
    policy: TermPolicy,
    public: frozenset[str],
    detector: str,
) -> list[Span]:
    """Apply the policy's vocabularies to ``flagged`` in place (``KEEP``: an allow-listed
    word, never joined into a name run; ``None``: a word already spoken for) and return
    the spans it hides itself: places (``places="hide"``) and names after a cue. In text
    written in ``lang`` (detected), a lowercase word common in that language is that
    word, not a place ("la réunion", "la reunión"). ``policy``: the detector's
    ``TermPolicy``; ``public``: its public terms, never hidden after a cue; ``detector``: the
    name its spans carry."""
    allow = term_policy.allowed(policy)
    place_names = term_policy.places() if policy.places != "allow" else frozenset()
    spans: list[Span] = []
    # joined[k]: words k and k + 1 are one phrase's (a space or a hyphen between them)
    joined = [text[a.end() : b.start()] in (" ", "-") for a, b in zip(words, words[1:])]
    i = 0
    while i < len(words):
        found = None
        for n in range(min(term_policy.MAX_PHRASE_WORDS, len(words) - i), 0, -1):
            last = words[i + n - 1]
            if not all(joined[i : i + n - 1]):
                continue
            written = text[words[i].start() : last.end()]
            phrase = term_policy.fold(written)
            if (
                lang is not None
                and written.islower()
                and _zipf(written.casefold(), lang) >= NATIVE_WORD
            ):
                continue
            if policy.places == "hide" and phrase in place_names:
                found = ("LOCATION", n)
                break
            if phrase in allow or (policy.places == "allow" and phrase in place_names):
                before = text[max(0, words[i].start() - 40) : words[i].start()]
                if not NAME_CUE.search(before):
                    found = ("KEEP", n)
                    break
        if found is None:
            i += 1
            continue
        kind, n = found
        if kind == "LOCATION":
            spans.append(Span(words[i].start(), words[i + n - 1].end(), "LOCATION", 0.6, detector))
            flagged[i : i + n] = [None] * n
        else:
            flagged[i : i + n] = ["KEEP"] * n
        i += n
    if policy.name_cues:
        spans.extend(cued_names(text, words, flagged, public=public, detector=detector))
    return spans


def cued_names(
    text: str, words: list, flagged: list[str | None], *, public: frozenset[str], detector: str
) -> list[Span]:
    """Up to ``CUE_MAX_WORDS`` words after "called"/"named", in any case."""
    out: list[Span] = []
    for i, m in enumerate(words):
        before = text[max(0, m.start() - 24) : m.start()]
        called = CALLED.search(before[-12:]) is not None
        if not called and not PERSON_CUE.search(before):
            continue
        if flagged[i] is not None or m.group().casefold() in public:
            continue  # already hidden, or kept on purpose
        if called and _zipf(m.group().casefold()) >= CUE_WORD_MAX_ZIPF:
            continue
        if not called and not (m.group().isalpha() and name_like(m.group().casefold())):
            continue

        def more(k: int, called: bool = called) -> bool:
            w = words[k].group()
            if called:
                return _zipf(w.casefold()) < CUE_NEXT_MAX_ZIPF
            return w.isalpha() and name_like(w.casefold())  # a surname

        hi = i
        while (
            hi + 1 < len(words)
            and hi + 1 - i < CUE_MAX_WORDS
            and text[words[hi].end() : words[hi + 1].start()] == " "
            and flagged[hi + 1] is None
            and more(hi + 1)
        ):
            hi += 1
        out.append(Span(m.start(), words[hi].end(), "NAME", 0.6, detector))
        flagged[i : hi + 1] = ["CUE"] * (hi + 1 - i)
    for i, m in enumerate(words):
        if i == 0 or m.group().casefold() not in INSTITUTION:
            continue
        lo = i
        while (
            lo > 0
            and i - lo < CUE_MAX_WORDS - 1
            and text[words[lo - 1].end() : words[lo].start()] == " "
            and flagged[lo - 1] is None
            and words[lo - 1].group().isalpha()
            and name_like(words[lo - 1].group().casefold())
        ):
            lo -= 1
        if lo < i:
            out.append(Span(words[lo].start(), m.end(), "ORGANIZATION", 0.6, detector))
            flagged[lo : i + 1] = ["CUE"] * (i + 1 - lo)
    return out


def capitalized_run(text: str, words: list, i: int) -> tuple[int, int]:
    """The run of capitalized words (joined by spaces and connectors such as 'of') around
    word ``i``, on one line."""

    def joined(a, b) -> bool:
        gap = text[a.end() : b.start()]
        return gap in (" ", " - ", " & ")

    def cap(m) -> bool:
        return m.group()[:1].isupper()

    def opens_sentence(k: int) -> bool:  # "Please", "The", "My" before a name
        before = text[max(0, words[k].start() - 12) : words[k].start()]
        return (
            SENTENCE_START.search(before) is not None
            and _zipf(words[k].group().casefold()) >= COMMON_OPENER
        )

    lo = i
    while (
        lo > 0
        and joined(words[lo - 1], words[lo])
        and cap(words[lo - 1])
        and len(words[lo - 1].group()) > 1
        and not opens_sentence(lo - 1)
    ):
        lo -= 1
    hi = i
    while hi + 1 < len(words) and joined(words[hi], words[hi + 1]):
        nxt = words[hi + 1]
        if cap(nxt) and len(nxt.group()) > 1:
            hi += 1
        elif (
            nxt.group().casefold() in CONNECTORS
            and hi + 2 < len(words)
            and joined(nxt, words[hi + 2])
            and cap(words[hi + 2])
            and len(words[hi + 2].group()) > 1
        ):
            hi += 2
        else:
            break
    return lo, hi
