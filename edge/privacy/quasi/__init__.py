"""Quasi-identifiers and the conversation's re-identification budget (see docs/reid.md).

``extract`` finds typed quasi-identifiers with offsets and generalization ladders; ``Tables``
holds the shipped frequency tables; ``ReidBudget`` keeps what a conversation sends about a
person under a number of bits (generalize, then hide, then block).
"""

from privsplit.edge.privacy.quasi.budget import (
    DEFAULT_BUDGET_BITS,
    BudgetStep,
    ReidBudget,
    budget_bits_for,
    k_anonymity,
)
from privsplit.edge.privacy.quasi.extract import Finding, Level, extract
from privsplit.edge.privacy.quasi.tables import Tables

__all__ = [
    "DEFAULT_BUDGET_BITS",
    "BudgetStep",
    "Finding",
    "Level",
    "ReidBudget",
    "Tables",
    "budget_bits_for",
    "extract",
    "k_anonymity",
]
