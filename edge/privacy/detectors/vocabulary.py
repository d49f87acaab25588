"""Whether a word is ordinary vocabulary of the language a text is written in.

The rare-term pass (``terms.py``) judges words by their frequency in English. In a text
whose language is known (``language.text_language``) that is wrong twice: German writes every
noun capitalized ("Beschluss", "Kläger"), and every language has words that are common in it
and absent from English ("Pouvez", "Cuáles"). Two rules, both about how words behave rather
than lists of them:

- **names travel, words do not**: a person's name or a place is used in every language at
  a similar rate ("García" is 4.8 on the Zipf scale in Spanish and about 3 in English, French
  and German), while a word of the language is frequent in it and nearly absent elsewhere
  ("Beschluss": 4.3 in German, 0 in the others). A word counts as vocabulary of ``lang`` when
  it is at least ``MIN_ZIPF`` there and ``GAP`` above its frequency in the other languages of
  ``OTHERS`` but one (a word may be shared with one neighbour: "Landgericht" is Dutch too).
- **compounds of words**: German, Dutch and the Nordic languages glue nouns together
  ("Klageabweisung" = Klage + Abweisung); a long word that splits into two words of the
  language (with an optional linking -s-, -n-, -en- or -es-) is vocabulary too, unless the
  whole word is used in other languages: many surnames are made that way and travel
  ("Zimmermann" is 2.7 in English).
"""

from __future__ import annotations

from functools import lru_cache

from privsplit.edge.privacy.detectors.terms_wordfreq import zipf

OTHERS = ("en", "fr", "es", "de", "it", "pt", "nl")
MIN_ZIPF = 2.5
GAP = 2.0
COMPOUNDING = frozenset({"de", "nl", "sv", "da", "nb"})
COMPOUND_MIN_LEN = 10  # letters
PART_MIN_LEN = 4
PART_ZIPF = 2.5
TRAVELS = 1.5  # a compound this frequent in another language is a name, not a noun
LINKS = ("", "s", "n", "en", "es")


def own_language_word(word: str, lang: str) -> bool:
    """``word`` (any case) is an ordinary word of ``lang`` rather than a name."""
    folded = word.casefold()
    z = zipf(folded, lang)
    if z >= MIN_ZIPF:
        others = sorted(zipf(folded, o) for o in OTHERS if o != lang)
        if z - others[-2] >= GAP:
            return True
    return compound_word(folded, lang)


@lru_cache(maxsize=16384)
def compound_word(folded: str, lang: str) -> bool:
    """A long ``folded`` word of a compounding language that splits into two common words."""
    if lang not in COMPOUNDING or len(folded) < COMPOUND_MIN_LEN or not folded.isalpha():
        return False
    if max(zipf(folded, o) for o in OTHERS if o != lang) >= TRAVELS:
        return False
    for cut in range(PART_MIN_LEN, len(folded) - PART_MIN_LEN + 1):
        tail = folded[cut:]
        if zipf(tail, lang) < PART_ZIPF:
            continue
        head = folded[:cut]
        for link in LINKS:
            stem = head[: len(head) - len(link)] if link else head
            if head.endswith(link) and len(stem) >= PART_MIN_LEN and zipf(stem, lang) >= PART_ZIPF:
                return True
    return False


# English inflections: a rare lowercase word that is a regular form of a common one is a word
# ("retries", "parses", "rechecked"), not a name or a code a user chose. Compounds of common
# words are not: company names are made that way (Bridgestone, Cloudflare, Nextdoor), and so
# are agent nouns in -er (surnames: Cramer, Puffer).
SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""))
SUFFIXES += (("ing", "e"), ("d", ""), ("ly", ""))
PREFIXES = ("re",)  # re-check, re-run: a verb done again
EN_BASE = 3.0  # Zipf of the base a suffix or prefix is stripped from


@lru_cache(maxsize=16384)
def english_word_form(folded: str) -> bool:
    """``folded`` (lowercase letters) is a regular inflection of a common English word, or
    one with ``re-`` in front."""
    if not folded.isalpha() or len(folded) < 5:
        return False
    candidates = [folded, *_stems(folded)]
    for word in list(candidates):
        candidates.extend(word[len(p) :] for p in PREFIXES if word.startswith(p))
    return any(w != folded and len(w) >= 4 and zipf(w, "en") >= EN_BASE for w in candidates)


def _stems(folded: str) -> list[str]:
    out = []
    for suffix, repl in SUFFIXES:
        if folded.endswith(suffix) and len(folded) - len(suffix) >= 3:
            stem = folded[: -len(suffix)] + repl
            out.append(stem)
            if len(stem) > 3 and stem[-1] == stem[-2]:  # stopped -> stop
                out.append(stem[:-1])
    return out
