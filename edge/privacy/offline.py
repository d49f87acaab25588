"""Keep third-party libraries from phoning home.

Presidio's URL and e-mail recognizers call ``tldextract``, whose default extractor
downloads the public suffix list at first use. An edge device must make no connection but
to its configured cloud endpoint, so the module-level extractor is replaced by one that
uses the snapshot bundled with tldextract (``suffix_list_urls=()``) and no disk cache.
Call ``make_offline()`` before Presidio is imported; it is idempotent.
"""

from __future__ import annotations

import os

_done = False


def make_offline() -> None:
    global _done
    if _done:
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import tldextract
    import tldextract.tldextract as impl

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    impl.TLD_EXTRACTOR = offline
    tldextract.extract = offline
    impl.extract = offline
    _done = True
