"""Presidio's predefined pattern recognizers, and recognizers in Presidio's own YAML format,
run without Presidio's NLP engine (so spaCy is loaded once, by the ``spacy`` detector).

Presidio ships checksum-validated recognizers for national IDs of many countries (UK NHS,
Spanish NIF/NIE, Italian fiscal code, Polish PESEL, Singapore NRIC, Australian TFN, Indian
Aadhaar/PAN, Finnish and Korean identity codes, ...), medical licences and crypto wallets.
This detector instantiates those of them whose entity is in ``entities`` and calls their
``analyze`` on the raw text. Presidio raises a recognizer's score when one of its context
words is near a match through its NLP engine's lemmas; here the same context words are
matched in the ``context_window`` characters before (and 16 after) the match, which raises
the score by ``context_boost``.

``files`` are custom recognizers in Presidio's YAML format (``recognizers: [{name,
supported_entity, patterns: [{name, regex, score}], context, ...}]``), loaded by Presidio's
own ``RecognizerRegistry.add_recognizers_from_yaml`` as they are.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.lean_import import lean_imports
from privsplit.edge.privacy.offline import make_offline
from privsplit.edge.privacy.spans import Span
from privsplit.shared.errors import ConfigError

# Entities the other detectors do not cover (or cover without a checksum).
DEFAULT_ENTITIES = (
    "UK_NHS",
    "UK_NINO",
    "ES_NIF",
    "ES_NIE",
    "IT_FISCAL_CODE",
    "IT_DRIVER_LICENSE",
    "IT_VAT_CODE",
    "IT_PASSPORT",
    "IT_IDENTITY_CARD",
    "PL_PESEL",
    "SG_NRIC_FIN",
    "SG_UEN",
    "AU_ABN",
    "AU_ACN",
    "AU_TFN",
    "AU_MEDICARE",
    "IN_PAN",
    "IN_AADHAAR",
    "IN_VEHICLE_REGISTRATION",
    "IN_VOTER",
    "IN_PASSPORT",
    "FI_PERSONAL_IDENTITY_CODE",
    "KR_RRN",
    "TH_TNIN",
    "MEDICAL_LICENSE",
    "US_ITIN",
    "US_PASSPORT",
    "CRYPTO",
)


def _predefined(entities: set[str]) -> list:
    with lean_imports():
        from presidio_analyzer import PatternRecognizer, predefined_recognizers

    out = []
    for name in dir(predefined_recognizers):
        cls = getattr(predefined_recognizers, name)
        if not (inspect.isclass(cls) and issubclass(cls, PatternRecognizer)):
            continue
        if cls is PatternRecognizer:
            continue
        declared = inspect.signature(cls.__init__).parameters.get("supported_entity")
        if declared is not None and declared.default not in (inspect.Parameter.empty, *entities):
            continue  # not one we run: skip building it (Presidio compiles every pattern)
        try:
            rec = cls()
        except Exception:  # a recognizer that needs arguments or a model: not ours to run
            continue
        if set(rec.supported_entities) & entities:
            out.append(rec)
    return out


def load_presidio_yaml(path: Path) -> list:
    """Pattern recognizers from a file in Presidio's YAML format (Presidio's own loader)."""
    with lean_imports():
        from presidio_analyzer import RecognizerRegistry

    if not Path(path).is_file():
        raise ConfigError(f"Presidio recognizer file not found: {path}")
    registry = RecognizerRegistry(recognizers=[])
    try:
        registry.add_recognizers_from_yaml(str(path))
    except Exception as exc:
        raise ConfigError(
            f"Presidio recognizer file {path}: {type(exc).__name__}: {str(exc)[:200]}"
        ) from None
    return list(registry.recognizers)


@register_detector
class PresidioPatternDetector(Detector):
    """Presidio's predefined pattern recognizers + Presidio-format YAML files, no NLP engine."""

    name = "presidio_patterns"
    structured = True
    is_available = importlib.util.find_spec("presidio_analyzer") is not None
    unavailable_reason = "presidio-analyzer is not installed; pip install 'privsplit[edge]'"

    def __init__(
        self,
        *,
        entities: Sequence[str] = DEFAULT_ENTITIES,
        files: Sequence[Path] = (),
        context_window: int = 48,
        context_boost: float = 0.35,
    ) -> None:
        self.entities = tuple(entities)
        self.files = tuple(Path(f) for f in files)
        self.window = context_window
        self.boost = context_boost
        self._recognizers: list | None = None
        self._lock = threading.Lock()
        if self.files:  # a bad file is a configuration error at start-up, not at first use
            self._load()

    def _load(self) -> list:
        with self._lock:
            if self._recognizers is None:
                make_offline()
                recs = _predefined(set(self.entities)) if self.entities else []
                for path in self.files:
                    recs.extend(load_presidio_yaml(path))
                self._recognizers = [(r, self._context_rx(r)) for r in recs]
            return self._recognizers

    @staticmethod
    def _context_rx(rec) -> re.Pattern | None:
        words = [w for w in (getattr(rec, "context", None) or []) if w and w.strip()]
        if not words:
            return None
        return re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
        )

    @property
    def entity_types(self) -> set[str]:
        return {e for r, _ in self._load() for e in r.supported_entities}

    def detect(self, text: str) -> list[Span]:
        if not text.strip():
            return []
        out: list[Span] = []
        for rec, context in self._load():
            for r in rec.analyze(text, rec.supported_entities, None) or []:
                if r.end <= r.start:
                    continue
                score = float(r.score)
                if context is not None and score < 1.0:
                    window = text[max(0, r.start - self.window) : r.start] + " "
                    window += text[r.end : r.end + 16]
                    if context.search(window):
                        score = min(1.0, score + self.boost)
                out.append(Span(r.start, r.end, r.entity_type, round(score, 4), self.name))
        return out
