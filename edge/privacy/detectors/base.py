"""The detector interface and registry (see STYLE.md: backends keyed by name).

A detector class declares ``name`` and ``is_available``; the registry keeps all classes and
``create_detector`` refuses an unknown name with the list of valid names. ``structured``
detectors judge a value by its own shape (patterns, checksums, numbering plans), not by
sentence context or a model: they hold on a rewritten sub-query too, so the egress guard
runs every structured detector the engine runs.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar

from privsplit.edge.privacy.spans import Span
from privsplit.shared.registry import Registry


class Detector(abc.ABC):
    name: ClassVar[str]
    is_available: ClassVar[bool] = True
    unavailable_reason: ClassVar[str] = ""
    structured: ClassVar[bool] = False

    @abc.abstractmethod
    def detect(self, text: str) -> list[Span]:
        """Spans found in ``text``, by offsets."""

    def detect_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        """Override when the detector batches (spaCy's nlp.pipe)."""
        return [self.detect(t) for t in texts]


DETECTORS: Registry[Detector] = Registry(
    kind="detector",
    package="privsplit.edge.privacy.detectors",
    modules=(
        "address",
        "fields",
        "handles",
        "hangul",
        "holdings",
        "identifiers",
        "japanese",
        "llm",
        "names",
        "patterns",
        "phones",
        "presidio",
        "presidio_patterns",
        "spacy_ner",
        "terms",
        "titles",
    ),
)
register_detector = DETECTORS.register


def available_detectors() -> dict[str, type[Detector]]:
    return DETECTORS.available()


def detector_class(name: str) -> type[Detector]:
    return DETECTORS.get(name)


def create_detector(name: str, **kwargs: Any) -> Detector:
    return DETECTORS.create(name, **kwargs)
