"""Pieces every privsplit process shares: wire contract, settings, errors, logging, models."""
