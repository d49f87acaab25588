"""Streaming restore: placeholders in model output become the original values, chunk by chunk.

A placeholder may be split across any chunk boundary ("[PER" + "SON_1]"). ``feed`` returns
the text that is safe to emit now and holds back only a trailing fragment that could still
become a placeholder; ``flush`` emits the rest. Concatenating every ``feed`` and the
``flush`` equals ``vault.restore`` of the whole text, for any chunking.
"""

from __future__ import annotations

from privsplit.edge.privacy.vault import PARTIAL_RE, Vault

MAX_HOLD = 4096  # a "placeholder" longer than this is released as plain text


class StreamRestorer:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._buf = ""

    def feed(self, chunk: str) -> str:
        self._buf += chunk
        cut = self._buf.rfind("[")
        if cut < 0 or not PARTIAL_RE.match(self._buf, cut) or len(self._buf) - cut > MAX_HOLD:
            cut = len(self._buf)
        ready, self._buf = self._buf[:cut], self._buf[cut:]
        return self.vault.restore(ready)

    def flush(self) -> str:
        ready, self._buf = self._buf, ""
        return self.vault.restore(ready)
