"""The device half: detect, redact, plan, delegate, merge, restore."""
