"""The ``privsplit`` command line."""
