"""Known slips of spaCy's small NER model (``spacy_ner``), filtered by shape rather than by
word lists of names: short all-caps acronyms tagged ORG ("SSN", "BMI"), spans with no
letters, spans that are just a title word, code-shaped tokens ("ERR_CONNECTION_RESET",
"os=18.04", "CVE-2021-44228"); a span is cut at line breaks and at code tokens (a name and
the next line's label are two things), leading common lowercase words are trimmed ("lol
Jane"), and a lone word at the start of a sentence followed by a determiner or a pronoun is
an imperative verb ("Translate the...", "Draft an...", "Replying to..."), as is a span
followed by a form label ("Callback number:", "Account ID:"); a lone word right before a
reference number labels it ("Application no. 77283/03", "File B33/9005/2010"). Public terms
are not entities (``terms_public.public_entity``: eponyms as in "Parkinson's disease", codes
of public registries as "ISO/IEC 27001", a lowercase drug or disease name tagged as a group),
nor is a language's name after "into", "in", "to" or "from" ("Translate it into French"),
nor a month or weekday name alone (``calendar_words``), nor an organization made only of
common words with nothing in the text that makes it one (``org_evidence``: "Skills",
"Compliance Management Systems"; but "works at Target", "Key Bank" stay).
"""

from __future__ import annotations

import re

from privsplit.edge.privacy.detectors.calendar_words import calendar_word
from privsplit.edge.privacy.detectors.code_context import CodeContext
from privsplit.edge.privacy.detectors.org_evidence import common_words_only, org_evidence
from privsplit.edge.privacy.detectors.terms_public import public_entity
from privsplit.edge.privacy.detectors.vocabulary import own_language_word
from privsplit.edge.privacy.spans import Span

# Common-noun acronyms and words the small model tags as entities; they identify no one.
NOT_ENTITIES = frozenset(
    {
        "ssn",
        "dob",
        "bmi",
        "ace",
        "mri",
        "ct",
        "icu",
        "er",
        "hiv",
        "aids",
        "dna",
        "rna",
        "covid",
        "pin",
        "cvv",
        "iban",
        "swift",
        "api",
        "url",
        "id",
        "zip",
        "ip",
        "pdf",
        "faq",
        "ceo",
        "cto",
        "cfo",
        "hr",
        "it",
        "ok",
        "tv",
        "pc",
        "gp",
        "ecg",
        "ekg",
        "copd",
        "adhd",
        "ibs",
        "uti",
        "std",
        "sti",
        "ldl",
        "hdl",
        "inr",
        "a1c",
        "bp",
        "hba1c",
        "card",
        "email",
        "e-mail",
        "phone",
        "address",
        "name",
        "fax",
        "mobile",
        "tel",
        "website",
        "nan",
        "none",
        "null",
        "n/a",
        "dr",
        "mr",
        "mrs",
        "ms",
        "miss",
        "prof",
        "cheers",
        "regards",
        "sincerely",
        "thanks",
        "cordialement",
        "saludos",
        "grüße",
        # roles, not names ("Counsel for ...", "Meagan Peck, Registrar")
        "counsel",
        "registrar",
        "judge",
        "applicant",
        "claimant",
        "plaintiff",
        "defendant",
        "respondent",
        "patient",
        "doctor",
        "nurse",
    }
)
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])[\s\"“'‘(*\-]*$")
# words that follow an imperative verb, not a name ("Translate the", "Draft an", "Reply to")
AFTER_VERB = frozenset(
    "the a an this that these those my your our his her their its it me us them to all some "
    "any each every into".split()
)
# the nouns of form labels ("Callback number:", "Account ID:", "Ticket ref:")
LABEL_NOUNS = frozenset(
    "number no id ids name address code key date time type status details info ref "
    "reference email phone".split()
)
_NEXT_WORD = re.compile(r"[ \t]+[\"'“‘]?([^\W\d_]+)\b")
_THE_BEFORE = re.compile(r"\bthe\s+$")
_CODE_KEYWORD = re.compile(
    r"(?:^|[\s(])(?:class|def|struct|interface|enum|func|fn|extends|implements)[ \t]+$"
)
# a reference number right after a word: "no. 77283/03", "B33/9005/2010", "#4411"
_BEFORE_CODE = re.compile(
    r"[ \t]+(?:(?:no|nr|n°|number|#)\.?[ \t]*)?"
    r"(?:[A-Z]{1,4}-?\d[\w-]*|\d[\w]*[/-][\w/-]*\d)",
    re.IGNORECASE,
)
_LABEL_TAIL = re.compile(r"(?:[ \t]+[^\W\d_]+){0,2}[ \t]*:")
# a code token: snake/kebab identifiers with digits, key=value, "SHA-256", "CVE-2021-44228"
CODE_TOKEN = re.compile(r"\S*[_=]\S*|[A-Za-z]{1,6}[-_]?\d[\w.-]*")


# Words the small model glues to the front of a name ("Email John Smith", "Dear Ana").
LEADING_NOISE = frozenset(
    {
        "email",
        "e-mail",
        "mail",
        "call",
        "text",
        "ask",
        "tell",
        "contact",
        "meet",
        "dear",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "please",
        "message",
        "ping",
        "name",
        "patient",
        "client",
        "customer",
        "user",
        "by",
        "with",
        "from",
        "and",
    }
)


def trim_leading(text: str, start: int, end: int) -> int:
    while True:
        m = re.match(r"([^\W\d_][\w'’-]*)[:,]?\s+", text[start:end])
        if m is None:
            return start
        word = m.group(1)
        rest = text[start + m.end() : end]
        written_as_name = rest[:1].isupper() or rest[:1] == "@"  # not "will smith"
        if word.casefold() not in LEADING_NOISE and not (
            (word.islower() and written_as_name and _common_word(word))
            or (written_as_name and _verb_ing(word))
        ):
            return start
        start += m.end()


def _verb_ing(word: str) -> bool:
    """An -ing form of a common English verb that does not read as a name ("Forwarding",
    "Replying"; not "Channing"): it opens a sentence in front of a name."""
    from privsplit.edge.privacy.detectors.name_evidence import name_like
    from privsplit.edge.privacy.detectors.vocabulary import english_word_form

    folded = word.casefold()
    return folded.endswith("ing") and english_word_form(folded) and not name_like(folded)


def _common_word(word: str) -> bool:
    """A word frequent enough in English that it is not a name written in lowercase."""
    from privsplit.edge.privacy.detectors.terms_wordfreq import zipf

    return zipf(word.casefold(), "en") >= 4.0


def span_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span cut at line breaks and at code tokens ("REF 37I8437 Account ID" is a label,
    a code and a label; "os=18.04 LTS"), each piece without surrounding blanks. Plain numbers
    stay ("Hoge Wei 32", "3 Round Stones Inc")."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        piece: list[tuple[int, int]] = []
        for tok in re.finditer(r"\S+", line.group(0)):
            a, b = start + line.start() + tok.start(), start + line.start() + tok.end()
            if CODE_CUT.search(tok.group(0)):
                if piece:
                    out.append((piece[0][0], piece[-1][1]))
                piece = []
            else:
                piece.append((a, b))
        if piece:
            out.append((piece[0][0], piece[-1][1]))
    return out


# a token of code: "_" or "=" in it, or both letters and digits ("37I8437", "AD-ID-63237")
# (ASCII letters: a run of Chinese or Japanese has no spaces and may hold a number)
CODE_CUT = re.compile(r"[_=]|\d.*[A-Za-z]|[A-Za-z].*\d")
_CODE_WORD = re.compile(r"\w+(?:\.\w+)*")


def _code_shaped(value: str, label: str) -> bool:
    """An identifier of code or a product/standard code, not a name."""
    return any(CODE_TOKEN.fullmatch(w) for w in value.split()) and " " not in value.strip()


def _verb_or_label(text: str, start: int, end: int) -> bool:
    """A lone word opening a sentence before a determiner or a pronoun (an imperative verb),
    or a span that a form-label noun and a colon follow ("Callback number:")."""
    value = text[start:end]
    tail = _LABEL_TAIL.match(text, end)
    if tail is not None:
        words = [w.casefold() for w in re.findall(r"[^\W\d_]+", value + tail.group(0))]
        if words and words[-1] in LABEL_NOUNS and len(words) <= 3:
            return True
    if " " not in value and _BEFORE_CODE.match(text, end):
        return True  # "Application no. 77283/03", "File B33/9005/2010": a document label
    if " " in value or not SENTENCE_START.search(text, 0, start):
        return False
    nxt = _NEXT_WORD.match(text, end)
    return nxt is not None and nxt.group(1) in AFTER_VERB


def _common_lowercase(value: str) -> bool:
    """A span written all in lowercase whose every word is a common word ("un", "max",
    "los efectos"): the small English model's slips on other languages and on informal text.
    Any uncommon word keeps the span (a name in lowercase is rare as a word)."""
    if any(c.isupper() for c in value):
        return False
    words = re.findall(r"[^\W\d_]+", value)
    from privsplit.edge.privacy.detectors.terms_wordfreq import zipf  # cached lookups

    return bool(words) and all(
        any(zipf(w, lang) >= 3.5 for lang in ("en", "fr", "es", "de")) for w in words
    )


def code_words(text: str, span: Span, code: CodeContext) -> bool:
    """The span is written in code and every word of it is the language's own
    (``code_context``): "HorizontalAlignment", "Items", "ShowDialog" are no entities."""
    if not code.in_code(span.start, span.end):
        return False
    words = _CODE_WORD.findall(text, span.start, span.end)
    return bool(words) and all(code.public_code_word(w) for w in words)


def _ordinary_words(value: str, lang: str) -> bool:
    """Every word of the span is ordinary vocabulary of ``lang`` and not a name (names are
    used in every language; "Pouvez", "Quels", "Cour" are French only): the small non-English
    models tag sentence-initial words as people and places."""
    words = re.findall(r"[^\W\d_]+", value)
    return bool(words) and all(own_language_word(w, lang) for w in words)


def _public_words(value: str) -> bool:
    """Every word is public technical vocabulary or a number ("JavaScript", "Python 3.12"):
    the rare-term pass's list of languages, libraries and tools (``public_terms.txt``)."""
    from privsplit.edge.privacy.detectors.terms import VERSION, load_public_terms

    words = value.split()
    return any(c.isalpha() for c in value) and all(
        w.casefold().strip(".,;:()") in load_public_terms() or VERSION.fullmatch(w) or w.isdigit()
        for w in words
    )


_INTO = re.compile(r"\b(?:into|in|to|from)[ \t]+$", re.IGNORECASE)


def _language_named(text: str, start: int, end: int) -> bool:
    """A language's name after "into", "in", "to" or "from" ("into French")."""
    from privsplit.edge.privacy.detectors.term_policy import fold, languages

    return _INTO.search(text, 0, start) is not None and fold(text[start:end]) in languages()


def _keep(label: str, value: str) -> bool:
    letters = [c for c in value if c.isalpha()]
    if not letters:
        return False
    if _common_lowercase(value):
        return False
    if value.strip().casefold() in NOT_ENTITIES:
        return False
    if label in ("ORGANIZATION", "PERSON") and _public_words(value):  # "JavaScript", "Python"
        return False  # (not NRP: language names are nationalities too)
    if calendar_word(value.strip()):  # "Monday", "Feb" tagged a person or a place
        return False
    if label == "ORGANIZATION" and value.isupper() and len(value) <= 4 and " " not in value:
        return False
    return True


def known_slip(text: str, start: int, end: int, label: str, lang: str) -> bool:
    """``text[start:end]``, trimmed and tagged ``label`` by the ``lang`` model, is one of the
    small model's known slips, not an entity (the checks in this order)."""
    if not _keep(label, text[start:end]):
        return True
    if (
        lang != "en"
        and (label == "PERSON" or SENTENCE_START.search(text, 0, start))
        and _ordinary_words(text[start:end], lang)
    ):
        return True
    if _code_shaped(text[start:end], label) or _verb_or_label(text, start, end):
        return True
    if _CODE_KEYWORD.search(text, 0, start):
        return True  # "class Config", "import Flask": a name in code, not an entity
    if public_entity(text, start, end, label):
        return True  # "Parkinson's disease", "ISO/IEC 27001", "gabapentin": public terms
    if (
        label == "ORGANIZATION"
        and common_words_only(text[start:end])
        and not org_evidence(text, start, end)
    ):
        return True  # "Skills", "Compliance Management Systems": headings, subjects
    if label == "NRP" and _language_named(text, start, end):
        return True  # "Translate it into French": the language, not a nationality
    if label == "PERSON" and _THE_BEFORE.search(text, 0, start):
        return True  # "the Pixel 8", "the Devil": a thing or a role, not a person
    return False
