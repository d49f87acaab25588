"""Writing systems without spaces, in the form the structured detectors read.

Chinese, Japanese and Korean put no space between words, and ``re``'s ``\\w`` / ``\\b``
count their letters as word characters, so a pattern that wants a word boundary around a
value misses it when the value is glued to CJK text ("电话是138-1234-5678。",
"090-1234-5678です"). ``cjk_as_breaks`` gives the text with every CJK letter and CJK
punctuation mark replaced by ``BREAK`` (one character for one: the same length, so a span
found in it is a span of the original text). ``BREAK`` is neither a word character nor a
space nor a separator any value is written with, so it ends a value the way a word of
another script does, without joining digit groups as a space would ("2023年10月15日" stays
a date, not the number "2023 10 15"). The ideographic space becomes a plain space and the
fullwidth ASCII marks (：，（）＋－＠) their ASCII forms, as a Latin writer would type them;
fullwidth digits and letters are kept (a value written in them is still a value).

``structured_spans`` runs a structured detector on both forms of each text: the broken
form finds what is glued to CJK text, the text as written keeps what a pattern finds
across CJK characters (a URL with a Chinese path, a user's Presidio recognizer written for
Chinese text). Both the privacy engine and the egress guard read text through it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from privsplit.shared.errors import PrivacyBlocked

if TYPE_CHECKING:
    from privsplit.edge.privacy.detectors import Detector
    from privsplit.edge.privacy.spans import Span

BREAK = "\ufffc"  # OBJECT REPLACEMENT CHARACTER: not \w, not \s, in no value's alphabet

# one character each (a character outside the BMP is one ``str`` character too)
_CJK = re.compile(
    "["
    "\u1100-\u11ff"  # Hangul jamo
    "\u2e80-\u2fff"  # CJK and Kangxi radicals, ideographic description characters
    "\u3001-\u303f"  # CJK symbols and punctuation: 、。「」【】〜
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u31ff"  # Bopomofo, Hangul compatibility jamo, Kanbun, strokes, Katakana ext.
    "\u3200-\u33ff"  # enclosed CJK letters, CJK compatibility (㈱, ㎏)
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul jamo extended A
    "\uac00-\ud7ff"  # Hangul syllables, Hangul jamo extended B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\ufe30-\ufe4f"  # CJK compatibility forms (vertical punctuation)
    "\uff5f-\uffdc"  # fullwidth ｟｠, halfwidth ｡｢｣､･, Katakana and Hangul
    "\U00020000-\U0003ffff"  # CJK extensions B to H, compatibility ideographs supplement
    "]"
)
# CJK letters (Han, Kana, Hangul) for a ``re`` character class: a value written against
# them is still a whole word ("告诉Tim，", "在清华大学读书"), though ``\w`` matches them
CJK_LETTERS = (
    "\u1100-\u11ff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003ffff"
)


def glued(c: str) -> bool:
    """``c`` continues a word: a letter or digit, not a CJK one."""
    return c.isalnum() and _CJK.match(c) is None


def cjk_letter(c: str) -> bool:
    return bool(c) and c.isalnum() and _CJK.match(c) is not None


def joined(a: str, b: str) -> bool:
    """Neighbours ``a`` and ``b`` are inside one word: both letters or digits, neither CJK
    ("C航安" is "C" and "航安"; a CJK word ends where its segmenter ends it)."""
    return glued(a) and glued(b)


# the ideographic space, and the fullwidth forms of ASCII punctuation (not of its digits
# and letters): U+FF01..FF5E is ASCII 0x21..0x7E shifted by 0xFEE0
_WIDTH = {0x3000: " "} | {
    c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if not chr(c - 0xFEE0).isalnum()
}
_ANY = re.compile(_CJK.pattern[:-1] + "\u3000\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff5e]")


def cjk_as_breaks(text: str) -> str:
    """``text`` as the structured detectors read it: each CJK character a ``BREAK``, each
    fullwidth mark its ASCII form (same length, same offsets); ``text`` itself when it
    holds none of them."""
    if _ANY.search(text) is None:
        return text
    return _CJK.sub(BREAK, text).translate(_WIDTH)


def structured_spans(detector: Detector, texts: Sequence[str]) -> list[list[Span]]:
    """What ``detector`` finds in each text, read as written and as ``cjk_as_breaks`` gives
    it (one batch; the second reading only for texts that have CJK characters)."""
    texts = list(texts)
    broken = [cjk_as_breaks(t) for t in texts]
    changed = [i for i, (t, b) in enumerate(zip(texts, broken)) if b is not t]
    results = detector.detect_batch(texts + [broken[i] for i in changed])
    if len(results) != len(texts) + len(changed):
        raise PrivacyBlocked(f"detector '{detector.name}' returned a wrong batch size")
    found = [list(spans) for spans in results[: len(texts)]]
    for i, spans in zip(changed, results[len(texts) :]):
        found[i].extend(spans)
    return found
