"""Detection, pseudonymization vault, egress guard and restore."""
