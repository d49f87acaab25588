"""Person names introduced by a cue the small NER model often misses.

"My name is rubija", "Name: Nayla Montero", "Mr. John Olofsson", "signed, Ana": the cue is
English grammar, the name is whatever follows it (one to three words, stopping at function
words and punctuation). No lists of names are used: a lowercase word after a cue, or joined
to the writer ("me and john"), counts only when it reads as a name
(``name_evidence.name_like``: "this is what", "quite ready and I" are English words), and a
run of Cyrillic or Greek words that holds a common lowercase word of that language is a
phrase, not a name ("Ошибка при открытии" in a code comment).
"""

from __future__ import annotations

import unicodedata

import regex as re

from privsplit.edge.privacy.detectors import terms_han
from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.name_evidence import name_like
from privsplit.edge.privacy.detectors.terms_wordfreq import zipf as zipf_frequency
from privsplit.edge.privacy.spans import Span

NAME_WORD = r"\p{L}[\p{L}\p{M}'’-]*"
CAP_WORD = r"[\p{Lu}\p{Lo}][\p{L}\p{M}'’-]*"  # \p{Lo}: scripts without case
INITIAL = r"\p{Lu}\."
HONORIFICS = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Dra|Drs|Prof|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Srta|D\.ª|Dña|Doña)"
NOT_NAMES = frozenset(
    {
        "and",
        "or",
        "but",
        "the",
        "a",
        "an",
        "is",
        "was",
        "not",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "with",
        "by",
        "of",
        "i",
        "my",
        "your",
        "his",
        "her",
        "their",
        "our",
        "it",
        "this",
        "that",
        "here",
        "there",
        "going",
        "trying",
        "looking",
        "sorry",
        "happy",
        "glad",
        "interested",
        "writing",
        "calling",
        "wondering",
        "having",
        "getting",
        "also",
        "just",
        "very",
        "so",
        "really",
        "currently",
        "still",
        "now",
        "new",
        "please",
        "thanks",
        "hello",
        "hi",
        "dear",
        "regards",
        "sincerely",
        "unable",
        "able",
        "sure",
        "afraid",
        "aware",
        "confused",
        "about",
        "same",
        "different",
        "correct",
        "incorrect",
        "wrong",
        "right",
        "spelled",
        "listed",
        "misspelled",
        "changed",
        "will",
        "would",
        "can",
        "could",
        "should",
        "has",
        "have",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "madam",
        "later",
        "back",
        "tomorrow",
        "today",
        "tonight",
        "asap",
        "when",
        "if",
        "again",
        "anytime",
        "soon",
        "maybe",
        "any",
        "suite",
        "apt",
        "apartment",
        "unit",
        "box",
        "street",
        "road",
        "avenue",
        "floor",
        "room",
        "she",
        "he",
        "they",
        "we",
        "you",
        "who",
        "everyone",
        "someone",
        "nobody",
        "somebody",
        "people",
        "company",
        "report",
        "study",
        "article",
        "paper",
        "court",
        "judge",
        "doctor",
        "nurse",
        "mother",
        "father",
        "mom",
        "dad",
        "wife",
        "husband",
        "son",
        "daughter",
        "friend",
        "boss",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "god",
        "jesus",
        "i'm",
        "i’m",
        "i've",
        "i’ve",
        "i'll",
        "i’ll",
        "i'd",
        "i’d",
        "oh",
        "ok",
        "okay",
        "yes",
        "what",
        "why",
        "how",
        "which",
        "whenever",
        "all",
    }
)
PATTERNS = [
    # cue, then 1-3 words of any case
    (
        rf"(?i:\bmy\s+name\s+is|\bmy\s+name's|\bname\s*:|\bcall\s+me|\bi\s+am\s+called|\bthis\s+is|"
        rf"\bsigned\s*,?|\bregards\s*,|\bsincerely\s*,|\bcontact\s+person\s*:|\bpatient\s*:|"
        rf"\bauthor\s*:|\bfrom\s*:|\bto\s*:|\bcc\s*:|\bdear|"
        rf"\b(?:counsel|judge|solicitor|attorney|barrister|witness|claimant|respondent|applicant|"
        rf"defendant|plaintiff|firmado|sign[ée]|gezeichnet|paciente|patientin)\s*:)[ \t]+"
        rf"(?P<name>{NAME_WORD}(?:[ \t]+(?:{INITIAL}|{NAME_WORD})){{0,2}})",
        0.7,
        False,
    ),
    # a question for a name, then the answer ("What's your last name? Nielsen")
    (
        rf"(?i:\bname\b[^?\n]{{0,30}}\?)[ \t]*(?:\p{{L}}+:[ \t]*)?"
        rf"(?P<name>{CAP_WORD}(?:[ \t]+(?:{INITIAL}|\p{{Lu}}\b|{CAP_WORD})){{0,2}})",
        0.7,
        False,
    ),
    # a capitalised name before a verb that people do ("Hauta-aho says", "Zak shouted at")
    (
        rf"(?<![\p{{L}}\p{{M}}'’-][ \t]?)(?P<name>{CAP_WORD}(?:[ \t]+(?:{INITIAL}|\p{{Lu}}\b|{CAP_WORD}|ten|van|von|de|da)){{0,3}})"
        rf"[ \t]+(?:lives|lived|began|shouted|said|says|told|asked|wrote|replied|answered|"
        rf"will\s+be\s+talking|had\s+given|speaks|spoke|died|was\s+born)\b",
        0.6,
        False,
    ),
    # after a verb of speech or naming ("said Erle", "named him Luís", "heard Ana Ruiz speak")
    (
        rf"(?i:\b(?:said|says|asked|shouted\s+at|heard|named\s+(?:him|her)|called\s+(?:him|her)|"
        rf"add|added|replied\s+to|told))[ \t]+"
        rf"(?P<name>{CAP_WORD}(?:[ \t]+(?:{INITIAL}|\p{{Lu}}\b|{CAP_WORD})){{0,2}})",
        0.6,
        False,
    ),
    # a verb that takes a person, then a capitalised full name ("Call Ana Ruiz", "ask Bo Li")
    (
        rf"(?i:\b(?:call|email|e-mail|text|ask|tell|meet|contact|ping|message|remind|invite|thank|"
        rf"cc|forward\s+(?:it|this)\s+to|follow\s+up\s+with|talk\s+to|speak\s+(?:to|with)|"
        rf"married|assistant\s+to|directed\s+by|written\s+by|starring|called|named)):?[ \t]+"
        rf"(?P<name>{CAP_WORD}(?:[ \t]+(?:{INITIAL}|\p{{Lu}}\b|{CAP_WORD})){{1,2}})",
        0.6,
        False,
    ),
    # a role or relation, then a capitalised name in any script ("Counsel for Ana Ruiz",
    # "Judge Okafor", "Firmado: María Bueno", "her husband Omar Haddad", "assigned to Kim")
    (
        rf"(?i:\bcounsel(?:\s+for)?|\battorney(?:\s+for)?|\bsolicitor(?:\s+for)?|\bjudge|"
        rf"\bjustice|\bpresiding|\bclaimant|\brespondent|\bapplicant|\bdefendant|\bplaintiff|"
        rf"\bwitness|\bdirector|\bpatient(?:e|in)?|\bpaciente|\bfirmado|\bfdo\.|\bsign[ée]|"
        rf"\bgezeichnet|\bgez\.|\bunterschrift|\bassigned\s+to|\bbelongs\s+to|\bescalated\s+by|"
        rf"\b(?:my|his|her|their|our|your)\s+(?:husband|wife|partner|sister|brother|mother|father|"
        rf"son|daughter|cousin|friend|colleague|neighbou?r|boss|aunt|uncle)|\bhello|\bhi|\bhey|"
        rf"\bhola|\bhallo|\bbonjour|\bsalut|\bciao|\bol[áa]|\bestimad[oa]|\bquerid[oa]|"
        rf"\bsehr\s+geehrte[rs]?|\bliebe[rs]?|\bch[èe]re?)"
        rf"[ \t]*[:,]?[ \t]+(?:(?:Mr|Mrs|Ms|Dr|Dra)\.?[ \t]+)?"
        rf"(?P<name>{CAP_WORD}(?:[ \t]+(?:{INITIAL}|{CAP_WORD})){{0,2}})",
        0.65,
        False,
    ),
    # a closing, then the signature on the same or the next line ("Un saludo,\nDan Valentín")
    (
        rf"(?i:\b(?:un\s+saludo|saludos|atentamente|cordialement|bien\s+à\s+vous|amitiés|"
        rf"mit\s+freundlichen\s+grüßen|(?:viele|liebe|beste)\s+grüße|grüße|cheers|best\s+wishes|"
        rf"kind\s+regards|best\s+regards|many\s+thanks|distinti\s+saluti|cordiali\s+saluti))"
        rf"[ \t]*[,.!]?[ \t]*\n?[ \t|]*"
        rf"(?P<name>{CAP_WORD}(?:[ \t]+(?:{INITIAL}|{CAP_WORD})){{0,2}})",
        0.65,
        False,
    ),
    # honorific, then 1-3 capitalised words (the honorific is part of the span)
    (
        rf"(?P<name>\b{HONORIFICS}\.?[ \t]+{CAP_WORD}(?:[ \t]+(?:{INITIAL}|{CAP_WORD})){{0,2}})",
        0.8,
        True,
    ),
]
# Places named right after a movement or residence cue ("flew to STAXROITH", "grew up in Sund").
PLACE_CUE = (
    r"(?i:\b(?:flew|flying|fly|moved|moving|relocated|relocating|travell?ed|travell?ing|arrived|"
    r"grew\s+up|born|lives?|living|located|based|originally|stationed|raised|resides?|"
    r"visiting|visited|staying)\s+(?:in|at|to|from|near)(?:\s+the)?)[ \t]+"
    rf"(?P<name>{CAP_WORD}(?:[ \t]+(?:{CAP_WORD}|de|del|da|do|di|la|le|am|an|der|nad|pod|u|upon|on|sur|en)){{0,3}})"
)
# Employers: "works for NATO", "Luiza is from Xignite", "Dudek of Lexisnexis is the CEO".
ORG_CUE = (
    r"(?:\b(?i:work(?:s|ed|ing)?\s+(?:for|at|with)|employed\s+(?:by|at)|employee\s+(?:of|at)|"
    r"joined|intern(?:ed|ing)?\s+at|hired\s+by|(?:CEO|CTO|CFO|founder|president|director|"
    r"manager|head|chairman|owner|partner)\s+(?:of|at)|is\s+from|am\s+from|year\s+at|"
    r"recorded\s+for|subsidiary\s+of|acquired\s+by|became))[ \t]+"
    rf"(?P<name>\p{{Lu}}[\p{{L}}\p{{M}}'’.&-]*(?:[ \t]+(?:{CAP_WORD}|and|&|of|de)){{0,3}})"
)
# A chat line: "[3pm] James: ok" / "[17:45] هايل: ok". Two or more in a text make it a
# transcript, and the word before the colon a speaker (log levels and roles are not people).
CHAT_LINE = re.compile(
    r"\[(?:\d{1,2}(?:[:.]\d\d)?\s*(?i:am|pm|h)?|(?i:noon|midnight))\][ \t]*"
    rf"(?P<name>{CAP_WORD}(?:[ \t]{CAP_WORD})?)[ \t]*:[ \t]"
)
_CLOCK = re.compile(r"\[\d{1,2}[:.]\d\d")
NOT_SPEAKERS = frozenset(
    """info error warn warning debug trace fatal notice critical server client system bot admin
    note user agent host assistant support moderator mod team update status""".split()
)
# A word in another script inside a Latin-script text ("me and иван", "if you see מוחמד"):
# in such a text, an isolated word in Arabic, Hebrew, Cyrillic, Greek, CJK or another
# script is almost always a name (of a person or a place); 1-3 words, two letters at least.
FOREIGN_RUN = re.compile(
    r"(?<![\p{L}\p{M}])(?:(?!\p{Latin})\p{L}[\p{L}\p{M}]*)(?:[ \t](?!\p{Latin})\p{L}[\p{L}\p{M}]*){0,2}"
    r"(?![\p{L}\p{M}])"
)
LATIN_SHARE = 0.7
# A word joined to the writer by "and" is a person: "me and john", "john and I", "anette und
# ich", "alexandre et moi", "ascensión y yo", unless it is a pronoun, a relative or a word a
# determiner or possessive introduces ("my wife and I", "the dog and me").
_AND = r"(?:and|et|y|e|und|en|ed)"
_ME = r"(?:i|me|moi|yo|ich|io|ik|eu)"
WITH_ME = re.compile(
    rf"(?i:\b(?:me|moi|yo|ich|io|ik|eu)[ \t]+{_AND}[ \t]+)(?P<a>{NAME_WORD})(?![\p{{L}}\p{{M}}])"
    rf"|(?<![\p{{L}}\p{{M}}'’-])(?P<b>{NAME_WORD})(?i:[ \t]+{_AND}[ \t]+{_ME})(?![\p{{L}}\p{{M}}'’-])"
)
NOT_COMPANIONS = frozenset(
    """you he she they him her them we us it this that everyone everybody someone both all
    mom mum dad mommy daddy mother father brother sister wife husband partner girlfriend
    boyfriend son daughter kids children family friend friends boss team dog cat baby
    toi lui elle eux nous vous tu du er sie wir ihr el ella ellos nosotros tú vos
    maman papa mama papá mamá hermano hermana mari femme frère soeur sœur mutter vater
    bruder schwester frau mann""".split()
)
DETERMINERS = frozenset(
    """the a an my your his her our their this that le la les un une mon ma mes ton ta son sa
    notre votre leur el los las una mi tu su nuestro der die das ein eine mein meine dein
    deine sein seine ihr ihre unser unsere il lo gli uno mio mia de het een mijn""".split()
)
COMPANION_ZIPF = 5.6  # "john" 5.4 is a companion; "time", "work" are not names


def _companion(text: str, start: int, end: int) -> bool:
    word = text[start:end].casefold()
    if word in NOT_COMPANIONS or word in NOT_NAMES or len(word) < 3:
        return False
    if text[start:end].islower() and not name_like(word):
        return False  # "quite ready and I", "me and tells": an English word, not a name
    before = re.findall(r"[\p{L}\p{M}'’]+", text[max(0, start - 30) : start])
    if before and before[-1].casefold() in DETERMINERS:
        return False
    try:
        import wordfreq  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency of the edge extra
        return True
    return zipf_frequency(word, "en") < COMPANION_ZIPF


_LETTER = re.compile(r"\p{L}")
_LATIN_LETTER = re.compile(r"(?=\p{Latin})\p{L}")
_LATIN = re.compile(r"\p{Latin}")
_HAN = re.compile(r"\p{Han}")


# scripts with case whose words wordfreq knows, by the language to look them up in
_CASED_SCRIPTS = (("CYRILLIC", "ru"), ("GREEK", "el"))
PHRASE_ZIPF = 4.0  # a lowercase word this common in its language makes a run a phrase


def _phrase_in_its_language(run: str) -> bool:
    """A run of two or more words in Cyrillic or Greek that holds a common lowercase word of
    that language ("Ошибка при открытии", "и обновление модели"): a sentence or a comment,
    not a name (names are capitalized in those scripts; a lone word is still taken)."""
    words = run.split()
    if len(words) < 2:
        return False
    first = next(c for c in run if c.isalpha())
    lang = next((g for s, g in _CASED_SCRIPTS if s in unicodedata.name(first, "")), None)
    if lang is None:
        return False
    return any(w.islower() and zipf_frequency(w.casefold(), lang) >= PHRASE_ZIPF for w in words)


def foreign_script_names(text: str) -> list[tuple[int, int]]:
    letters = len(_LETTER.findall(text))
    if not letters:
        return []
    if len(_LATIN_LETTER.findall(text)) < LATIN_SHARE * letters:
        return []
    runs = [
        m.span()
        for m in FOREIGN_RUN.finditer(text)
        if len(_LETTER.findall(m.group())) >= 2
        and not _LATIN.search(m.group())
        and not _phrase_in_its_language(m.group())
    ]
    han = terms_han.han_spans(text) if any(_HAN.search(text, a, b) for a, b in runs) else None
    if han is None:
        return runs
    # Chinese is segmented: a clause ("请将这段话翻译成中文") is not taken, only the names
    # in it; any other run still is, whole
    kept = [
        (a, b) for a, b in runs if not _HAN.search(text, a, b) or not terms_han.clause(text[a:b])
    ]
    people = [(s.start, s.end) for s in han if s.entity_type == "PERSON"]
    return kept + [
        p
        for p in people
        if any(a <= p[0] and p[1] <= b for a, b in runs)
        and not any(a <= p[0] and p[1] <= b for a, b in kept)
    ]


_compiled = [(re.compile(p), s, cap) for p, s, cap in PATTERNS]
_place = re.compile(PLACE_CUE)
_org = re.compile(ORG_CUE)


def _capital(ch: str) -> bool:
    """A capital letter, or a letter of a script without case (Arabic, Hebrew, CJK)."""
    return ch.isupper() or (ch.isalpha() and not ch.islower())


@register_detector
class CuedNameDetector(Detector):
    """Names that follow "my name is", "Name:", "Dear", an honorific, a signature cue."""

    name = "names"

    def detect(self, text: str) -> list[Span]:
        out: list[Span] = []
        for rx, score, keep_all in _compiled:
            for m in rx.finditer(text):
                start, end = m.span("name")
                words = list(re.finditer(r"\S+", text[start:end]))
                kept_end = start
                for i, w in enumerate(words):
                    token = w.group(0).casefold().strip(".,'’")
                    initial = len(w.group(0).rstrip(".")) == 1 and w.group(0)[0].isupper()
                    if token in NOT_NAMES and not (keep_all and i == 0) and not (initial and i > 0):
                        break
                    if i == 0 and token in DETERMINERS:  # "Cordialement, Le service client"
                        break
                    if i == 0 and w.group(0).islower() and not name_like(token):
                        break  # "this is what", "call me whenever": words, not a name
                    if (
                        i > 0
                        and not keep_all
                        and not _capital(w.group(0)[0])
                        and _capital(words[0].group(0)[0])
                    ):
                        break
                    kept_end = start + w.end()
                if kept_end > start:
                    out.append(Span(start, kept_end, "PERSON", score, self.name))
        lines = list(CHAT_LINE.finditer(text))
        # a transcript (two chat lines or more), or one line stamped with a clock time
        # ("[9:30] Joy: are you around?"; a lone "[1] Note:" is a list)
        speakers = [
            m.span("name")
            for m in lines
            if m.group("name").casefold() not in NOT_SPEAKERS | NOT_NAMES
            and not m.group("name").isupper()
            and (len(lines) >= 2 or _CLOCK.match(m.group(0)))
        ]
        out.extend(Span(a, b, "PERSON", 0.6, self.name) for a, b in speakers)
        out.extend(Span(a, b, "PERSON", 0.55, self.name) for a, b in foreign_script_names(text))
        for m in WITH_ME.finditer(text):
            group = "a" if m.group("a") else "b"
            if _companion(text, *m.span(group)):
                out.append(Span(*m.span(group), "PERSON", 0.6, self.name))
        for m in _org.finditer(text):
            start, end = m.span("name")
            words = text[start:end].split()
            while words and words[-1].casefold() in {"and", "&", "of", "de"}:
                words.pop()
            if words and words[0].casefold() not in NOT_NAMES:
                end = start + len(" ".join(words)) if " \t" not in text[start:end] else end
                out.append(
                    Span(
                        start, start + len(text[start:end].rstrip()), "ORGANIZATION", 0.6, self.name
                    )
                )
        for m in _place.finditer(text):
            start, end = m.span("name")
            while end > start and not text[end - 1].isalnum():
                end -= 1
            if text[start:end].casefold() not in NOT_NAMES and end > start:
                out.append(Span(start, end, "LOCATION", 0.6, self.name))
        return out
