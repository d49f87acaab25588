"""The private answer cache: a sanitized sub-query -> the cloud's sanitized answer.

Contract:
- Keys are the sanitized sub-query with its placeholders renumbered by first appearance
  (``placeholders.normalize``) and its spacing normalized (``canonical``), plus the
  ``CacheScope`` (cloud address, model, cloud prompt, generation parameters). The entry name is
  an HMAC of that, so file names reveal nothing and cannot be guessed without the key.
- Values are the cloud's answer in normalized placeholders: never a restored value. An answer
  or sub-query in which the guard's own matcher (``guard.find_known``) finds a value of the
  request's vault is not stored, nor is an answer holding a placeholder its sub-query lacks
  (it could not be restored correctly in another conversation).
- ``look_up`` answers all sub-queries of a request or none (a partial hit sends the request as
  usual); the answers come back in the *request's* placeholders, so restoring them with the
  request's vault gives that conversation's own values.
- Exact matches only: a paraphrase is a miss (no semantic matching, so no semantic false hits).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privsplit.edge.cache.placeholders import normalize, rename
from privsplit.edge.cache.store import EntryStore
from privsplit.edge.privacy.guard import find_known
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.logging import get_logger
from privsplit.shared.types import GenerationParams, Usage

log = get_logger(__name__)
FORMAT_VERSION = 1


class AnswerLike(Protocol):
    query: str
    text: str
    usage: Usage


@dataclass(frozen=True)
class CacheScope:
    """Everything besides the sub-query that changes the cloud's answer."""

    destination: str
    model: str
    prompt: str  # digest of the cloud prompt template the sub-query is wrapped in
    params: GenerationParams

    def material(self) -> dict:
        p = self.params
        return {
            "destination": self.destination,
            "model": self.model,
            "prompt": self.prompt,
            "params": [p.max_tokens, p.temperature, p.top_p, list(p.stop), p.seed],
        }


@dataclass(frozen=True)
class CachedAnswer:
    query: str  # the request's own sub-query
    text: str  # the answer, in the request's own placeholders
    usage: Usage  # what the cloud spent on it the first time (saved now)


def derive_keys(key: bytes) -> tuple[bytes, bytes]:
    """(entry encryption key, entry naming key), both derived from the one cache key."""

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)

    return derive(b"privsplit answer cache: entries"), derive(b"privsplit answer cache: names")


_INNER_SPACE = re.compile(r"(?<=\S)[ \t]+")  # runs of spaces after a word (not indentation)
_LINE_END_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)


def canonical(text: str) -> str:
    """The text a key is made of: NFC, \\n line ends, outer and trailing spaces dropped,
    runs of spaces inside a line made one (leading indentation kept: it can carry meaning)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    return _INNER_SPACE.sub(" ", _LINE_END_SPACE.sub("", text)).strip()


class AnswerCache:
    def __init__(self, *, store: EntryStore, name_key: bytes) -> None:
        self.store = store
        self._name_key = name_key

    def _name(self, normalized: str, scope: CacheScope) -> str:
        material = json.dumps(
            {"v": FORMAT_VERSION, "scope": scope.material(), "query": normalized},
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
        return hmac.new(self._name_key, material, hashlib.sha256).hexdigest()

    def look_up(self, queries: Sequence[str], scope: CacheScope) -> list[CachedAnswer] | None:
        """The answers of every query (in their own placeholders), or None on any miss."""
        out: list[CachedAnswer] = []
        for query in queries:
            norm = normalize(canonical(query))
            payload = self.store.get(self._name(norm.text, scope))
            if payload is None or payload.get("v") != FORMAT_VERSION:
                return None
            if payload.get("query") != norm.text or not isinstance(payload.get("answer"), str):
                log.warning("cache_entry_refused", reason="mismatch")
                return None
            text = rename(payload["answer"], norm.to_request)
            if text is None:
                return None
            used = payload.get("usage") or [0, 0]
            out.append(
                CachedAnswer(query=query, text=text, usage=Usage(int(used[0]), int(used[1])))
            )
        return out

    def remember(self, answers: Sequence[AnswerLike], scope: CacheScope, vault: Vault) -> int:
        """Store each answer; the number stored (see the contract for what is refused)."""
        stored = 0
        for answer in answers:
            if find_known(f"{answer.query}\n{answer.text}", vault):
                log.warning("cache_store_refused", reason="private_value")
                continue
            norm = normalize(canonical(answer.query))
            text = rename(answer.text, norm.to_normal)
            if text is None:
                log.info("cache_store_skipped", reason="unknown_placeholder")
                continue
            usage = [answer.usage.prompt_tokens, answer.usage.completion_tokens]
            payload = {"v": FORMAT_VERSION, "query": norm.text, "answer": text, "usage": usage}
            stored += self.store.put(self._name(norm.text, scope), payload)
        return stored
