"""Month and weekday names, and date expressions: public vocabulary, never a name by itself.

"Feb", "Jun", "Monday", "septembre", "Dienstag" are capitalized or rare enough that the
rare-term pass, the NER model or the model hider can take them for names; alone they identify
no one. Contract: ``calendar_word(word)`` says whether a word is a month or weekday name, or a
usual abbreviation of one, in English, French, German, Spanish, Italian, Portuguese or Dutch
(accents and case ignored); ``date_expression(value)`` whether a value is made only of
numbers, calendar words, quarters ("Q2") and words for the open end of a range ("2022-present",
"Jun 2019 - now", "Q2 2022"). Callers still hide a calendar word that a name cue introduces
("my friend June"): this module only says what the word is.
"""

from __future__ import annotations

import re
from functools import lru_cache

from privsplit.edge.privacy.detectors.term_policy import fold

# full names per language, then the usual abbreviations (English, then others')
_NAMES = """
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
lundi mardi mercredi jeudi vendredi samedi dimanche
januar februar marz april mai juni juli august september oktober november dezember
montag dienstag mittwoch donnerstag freitag samstag sonntag sonnabend
enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre
diciembre lunes martes miercoles jueves viernes sabado domingo
gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre
lunedi martedi mercoledi giovedi venerdi sabato domenica
janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro
segunda terca quarta quinta sexta sabado domingo
januari februari maart april mei juni juli augustus september oktober november december
maandag dinsdag woensdag donderdag vrijdag zaterdag zondag
jan feb mar apr jun jul aug sep sept oct nov dec
mon tue tues wed thu thur thurs fri sat sun
janv fevr avr juil sept oct dic ene okt mrt dez
"""
CALENDAR_WORDS = frozenset(_NAMES.split())
# the open end of a range, and words that qualify a date
_RANGE_WORDS = frozenset(
    """present now today current date ongoing to till until since from and of the early mid
    late end start beginning""".split()
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_QUARTER = re.compile(r"(?:q[1-4]|h[12]|fy\d{2,4})", re.IGNORECASE)
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th|er|e|º|ª)?", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _fold(word: str) -> str:
    return fold(word).rstrip(".")


def calendar_word(word: str) -> bool:
    """A month or weekday name, or an abbreviation of one ("Feb", "Sept.", "mercredi")."""
    return _fold(word) in CALENDAR_WORDS


def date_expression(value: str) -> bool:
    """Only numbers, calendar words, quarters and range words, with at least one number or
    calendar word: "2022-present", "Feb 2021 – Jun 2023", "Q2 2022", "1990-1991"."""
    tokens = _TOKEN.findall(value)
    if not tokens:
        return False
    core = False
    for token in tokens:
        folded = _fold(token)
        if _ORDINAL.fullmatch(folded) or folded in CALENDAR_WORDS:
            core = True
        elif _QUARTER.fullmatch(folded):
            core = True
        elif folded not in _RANGE_WORDS:
            return False
    return core
