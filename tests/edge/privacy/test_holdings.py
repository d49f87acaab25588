"""The holdings detector: ticker symbols in a table of holdings or quotes."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors import create_detector
from privsplit.edge.privacy.settings import PrivacySettings


def _found(text: str) -> set[str]:
    return {text[s.start : s.end] for s in create_detector("holdings").detect(text)}


def test_tickers_of_a_quote_table() -> None:
    text = (
        "Stock Price Div 1Y % ORCL $112,40 $1,60 18,2 TSLA $242,10 $0,00 -4,1 "
        "BRK.B $351,20 $0,00 9,9 HD $301,15 $8,36 2,2 TOTAL $1006,85"
    )
    assert _found(text) == {"ORCL", "TSLA", "BRK.B", "HD"}


@pytest.mark.parametrize(
    "text",
    [
        "The fee is USD $5 and the TOTAL $90.",  # labels and currencies, not tickers
        "I bought AAPL at $150 last year.",  # one mention in a sentence: not a table
        "ABC $10, DEF 20, no table here",
    ],
)
def test_no_table_no_tickers(text: str) -> None:
    assert _found(text) == set()


def test_it_runs_by_default() -> None:
    assert "holdings" in PrivacySettings().detectors
