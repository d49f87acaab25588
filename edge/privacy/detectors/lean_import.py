"""Import spaCy, thinc and Presidio without the deep-learning stacks they probe for.

thinc (under spaCy) imports torch at import time when it is installed, and Presidio's NLP
engine package imports transformers, only to learn whether they are there. The detectors
run spaCy's CPU pipelines (no torch component) and Presidio's pattern recognizers, so those
seconds buy nothing; in an environment with the ``convert`` extra they are most of a cold
``privsplit redact``. ``lean_imports()`` makes those optional imports fail (as if the
packages were not installed) for the duration of the block, then forgets that, so a later
``import torch`` elsewhere in the process works as usual. Modules already imported are
left as they are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

OPTIONAL_STACKS = ("torch", "transformers", "tensorflow", "cupy", "mxnet", "jax")


@contextmanager
def lean_imports() -> Iterator[None]:
    hidden = [name for name in OPTIONAL_STACKS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name) is None:
                sys.modules.pop(name, None)
