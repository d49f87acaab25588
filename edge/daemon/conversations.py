"""Conversations: multi-turn requests that share one vault, persisted encrypted, expired when idle.

The vault of a conversation is kept by a ``VaultStore`` (the encrypted store of the privacy
package: AES-256-GCM files). Only ids and times are kept in the plain index file
(``conversations.json``); values never are.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from privsplit.edge.privacy.vault import Vault
from privsplit.shared.errors import InvalidRequest, NotFound, ResourceExhausted
from privsplit.shared.logging import get_logger

log = get_logger(__name__)
_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class VaultStore(Protocol):
    def save(self, conversation_id: str, vault: Vault) -> None: ...
    def load(self, conversation_id: str) -> Vault: ...
    def delete(self, conversation_id: str) -> None: ...


@dataclass
class Conversation:
    id: str
    ttl_seconds: int
    last_used: float
    vault: Vault | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)


def check_conversation_id(conversation_id: str) -> str:
    if not _ID_RE.match(conversation_id):
        raise InvalidRequest("conversation_id must be 32 lowercase hex characters")
    return conversation_id


class ConversationManager:
    def __init__(
        self,
        *,
        store: VaultStore,
        index_path: Path,
        default_ttl_seconds: int,
        max_conversations: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.index_path = Path(index_path)
        self.default_ttl_seconds = default_ttl_seconds
        self.max_conversations = max_conversations
        self.clock = clock
        self._conversations: dict[str, Conversation] = {}

    def __len__(self) -> int:
        return len(self._conversations)

    def open(self) -> ConversationManager:
        """Load the index left by an earlier run and drop what expired meanwhile."""
        try:
            index = json.loads(self.index_path.read_text())
        except FileNotFoundError:
            index = {}
        except ValueError:
            log.warning("conversation_index_corrupt")
            index = {}
        if not isinstance(index, dict):
            log.warning("conversation_index_corrupt")
            index = {}
        for cid, meta in index.items():
            try:
                conv = Conversation(
                    id=check_conversation_id(cid),
                    ttl_seconds=int(meta["ttl"]),
                    last_used=float(meta["last_used"]),
                )
            except (InvalidRequest, KeyError, TypeError, ValueError):
                log.warning("conversation_index_entry_skipped")
                continue
            self._conversations[cid] = conv
        self.sweep()
        return self

    def create(self, ttl_seconds: int = 0) -> str:
        if len(self._conversations) >= self.max_conversations:
            self.sweep()
            if len(self._conversations) >= self.max_conversations:
                raise ResourceExhausted("too many open conversations; delete some first")
        cid = uuid.uuid4().hex
        conv = Conversation(
            id=cid,
            ttl_seconds=ttl_seconds or self.default_ttl_seconds,
            last_used=self.clock(),
            vault=Vault(),
        )
        self._conversations[cid] = conv
        self.store.save(cid, conv.vault)
        self._write_index()
        log.info("conversation_created", ttl_seconds=conv.ttl_seconds, open=len(self))
        return cid

    def _live(self, conversation_id: str) -> Conversation:
        conv = self._conversations.get(check_conversation_id(conversation_id))
        if conv is not None and self._expired(conv):
            self._drop(conv.id)
            conv = None
        if conv is None:
            raise NotFound("no such conversation (it may have expired)")
        return conv

    async def vault(self, conversation_id: str) -> Conversation:
        """The conversation with its vault loaded (decrypted from the store on first use)."""
        conv = self._live(conversation_id)
        async with conv.lock:
            if conv.vault is None:
                conv.vault = await asyncio.to_thread(self.store.load, conv.id)
        conv.last_used = self.clock()
        return conv

    async def save(self, conv: Conversation) -> None:
        """Persist the vault after a turn (placeholders added by this turn stay stable)."""
        if conv.id not in self._conversations or conv.vault is None:
            return
        async with conv.lock:
            await asyncio.to_thread(self.store.save, conv.id, conv.vault)
        conv.last_used = self.clock()
        self._write_index()

    def delete(self, conversation_id: str) -> None:
        conv = self._live(conversation_id)
        self._drop(conv.id)
        log.info("conversation_deleted", open=len(self))

    def sweep(self) -> int:
        """Delete every expired conversation; returns how many."""
        expired = [c.id for c in self._conversations.values() if self._expired(c)]
        for cid in expired:
            self._drop(cid, write=False)
        self._write_index()
        if expired:
            log.info("conversations_expired", count=len(expired), open=len(self))
        return len(expired)

    def _expired(self, conv: Conversation) -> bool:
        return self.clock() - conv.last_used > conv.ttl_seconds

    def _drop(self, cid: str, *, write: bool = True) -> None:
        self._conversations.pop(cid, None)
        self.store.delete(cid)
        if write:
            self._write_index()

    def _write_index(self) -> None:
        data = {
            c.id: {"ttl": c.ttl_seconds, "last_used": round(c.last_used, 3)}
            for c in self._conversations.values()
        }
        self.index_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.index_path.with_name(f".{self.index_path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.index_path)

    async def run_sweeper(self, interval_seconds: float) -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            self.sweep()
