"""Ticker symbols in a table of holdings or quotes ("AAPL $179,96 $0,96 ... MSFT $324,89").

Which stocks someone holds or watches is personal, and a ticker is a short all-capitals word
that the term pass may keep when it is frequent on the web (MSFT, AAPL). The table's shape
marks them whatever the symbol: an all-capitals word of one to five letters (``BRK.B``
too) right before a money amount, where the text has at least ``MIN_ROWS`` of them. One
such word before a price ("USD $5", "TOTAL $90") is not a table; currency codes and the
words that label a table's rows are never tickers. ORGANIZATION.
"""

from __future__ import annotations

import regex as re

from privsplit.edge.privacy.detectors.base import Detector, register_detector
from privsplit.edge.privacy.spans import Span

ROW = re.compile(
    r"(?<![\w$€£¥.-])(?P<ticker>[A-Z]{1,5}(?:\.[A-Z])?)[ \t]*[:|]?[ \t]+-?[$€£¥]\s?\d[\d.,]*"
)
MIN_ROWS = 3
NOT_TICKERS = frozenset(
    "USD EUR GBP JPY CHF CAD AUD CNY INR TOTAL SUM NET AVG MIN MAX CASH FEE FEES TAX VAT "
    "YTD MTD QTD TTM EPS PE DIV NAV AUM ROI ETF USA US UK EU ID NO".split()
)


@register_detector
class HoldingsDetector(Detector):
    """Ticker symbols in a table of holdings or quotes (ORGANIZATION)."""

    name = "holdings"

    def detect(self, text: str) -> list[Span]:
        if "$" not in text and "€" not in text and "£" not in text and "¥" not in text:
            return []
        rows = [m for m in ROW.finditer(text) if m.group("ticker") not in NOT_TICKERS]
        if len({m.group("ticker") for m in rows}) < MIN_ROWS:
            return []
        return [
            Span(m.start("ticker"), m.end("ticker"), "ORGANIZATION", 0.7, self.name) for m in rows
        ]
