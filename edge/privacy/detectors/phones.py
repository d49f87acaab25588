"""Phone numbers validated by ``phonenumbers`` (Google's libphonenumber metadata).

Candidates are digit runs with the separators people write numbers with (``+33 6 12 34 56
78``, ``(0)30 1234567``, ``0612345678``, ``730-388-0401x32072``). Each is parsed as an
international number when it starts with ``+`` or ``00``, else in each of ``regions``; a
candidate counts when libphonenumber says the number is *valid* (a real numbering plan,
not just the right length). Written with separators or a ``+``, that suffices; a bare run of
digits (``5551234567``) counts only when a phone word is near ("call me at", "tel", "portable",
"móvil", "Handy"), since any ten digits form a valid number somewhere; so does an amount
with cents (``11668.14``, ``41554.00 29885.86``).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.detectors.validators import not_date
from privsplit.edge.privacy.spans import Span

CANDIDATE = re.compile(
    r"(?<![\w+.,/-])(?:\+|00)?\(?\d(?:[\d \t().-]|/(?=\d)){5,22}\d"
    r"(?:\s?(?:x|ext\.?|#)\s?\d{1,5})?(?![\w]|[.,/-]\d)"
)
PHONE_CONTEXT = re.compile(
    r"(?i:\b(?:phone|tel|telephone|mobile|cell|fax|call|calling|text|sms|whatsapp|signal|"
    r"reach|contact|number|dial|ring|landline|hotline|callback|mob|ph|"
    r"téléphone|portable|joindre|appelle[rz]?|numéro|tél|écris-moi|écrivez-moi|"
    r"teléfono|telefono|móvil|movil|llamar|llámame|número|escríbeme|"
    r"telefon|handy|anrufen|ruf|erreichen|nummer|mobil|schreib\s+mir|dm|pm)\b)"
)
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# amounts with cents ("11668.14", "41554.00 29885.86"): a valid number somewhere, never
# written so as a phone; with a phone word near they still count
AMOUNTS = re.compile(r"\d{3,}[.,]\d{2}(?:[ \t]+\d{3,}[.,]\d{2})*")
REGIONS = ("US", "GB", "FR", "DE", "ES", "IT", "CA", "AU", "IN", "NL", "BE", "CH", "AT", "IE")


@register_detector
class PhoneDetector(Detector):
    """Phone numbers of any country, checked against libphonenumber (PHONE_NUMBER)."""

    name = "phones"
    structured = True
    is_available = importlib.util.find_spec("phonenumbers") is not None
    unavailable_reason = "phonenumbers is not installed; pip install 'privsplit[edge]'"

    def __init__(self, *, regions: Sequence[str] = REGIONS, context_window: int = 48) -> None:
        self.regions = tuple(regions)
        self.window = context_window

    def _valid(self, candidate: str) -> bool:
        import phonenumbers

        phonenumbers.enable_pattern_cache()  # its patterns, not re's shared bounded cache
        international = candidate.startswith(("+", "00"))
        raw = "+" + candidate[2:] if candidate.startswith("00") else candidate
        for region in [None] if international else self.regions:
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return True
        return False

    def detect(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in CANDIDATE.finditer(text):
            value = m.group().rstrip(" \t")
            start, end = m.start(), m.start() + len(value)
            if value.count("(") != value.count(")"):
                if value.startswith("(") and ")" not in value:
                    value, start = value[1:], start + 1
                elif not value.startswith("("):
                    continue
            digits = sum(c.isdigit() for c in value)
            if IPV4.fullmatch(value):
                continue
            if "/" in value and not (value.startswith("0") and digits >= 9):
                continue  # "12345/06" is a file number; "030/1234567" a German number
            if digits < 7 or not not_date(value) or not self._valid(value):
                continue
            context = PHONE_CONTEXT.search(
                text[max(0, start - self.window) : start] + " " + text[end : end + 16]
            )
            if context is None and AMOUNTS.fullmatch(value):
                continue
            bare = value.isdigit()
            if value.startswith(("+", "00")):
                score = 0.85
            elif not bare:
                score = 0.8 if context else 0.6
            else:
                score = 0.75 if context else 0.3
            out.append(Span(start, end, "PHONE_NUMBER", score, self.name))
        return out
