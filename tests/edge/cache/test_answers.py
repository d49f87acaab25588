"""The answer cache's contract (edge/cache/answers.py) with real vaults: an entry never holds a
raw value, a hit maps the answer into the asking conversation's own placeholders, and the key
covers everything that changes the cloud's answer."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from privsplit.edge.cache.answers import CacheScope
from privsplit.edge.privacy.vault import Vault
from privsplit.shared.types import GenerationParams, Usage
from tests.edge.cache.conftest import decrypt_all, entry_files

SCOPE = CacheScope(
    destination="127.0.0.1:1", model="m", prompt="v1:system", params=GenerationParams()
)
PRIVATE = ("Maria Gonzalez", "maria.gonzalez@example.org", "John Smith")


class Answer:
    def __init__(self, query: str, text: str) -> None:
        self.query, self.text, self.usage = query, text, Usage(11, 7)


def conversation(*values: tuple[str, str]) -> tuple[Vault, list[str]]:
    vault = Vault()
    return vault, [vault.placeholder_for(t, v) for t, v in values]


def test_an_entry_holds_placeholders_never_a_raw_value(cache, cache_settings) -> None:
    vault, (p, e) = conversation(("PERSON", "Maria Gonzalez"), ("EMAIL_ADDRESS", PRIVATE[1]))
    vault.placeholder_for("PERSON", "John Smith")  # the vault knows more than this request
    query = f"Write to {p} at {e} about the invoice."
    assert cache.remember([Answer(query, f"Dear {p}, the invoice is paid.")], SCOPE, vault) == 1
    (plain,) = decrypt_all(cache_settings)
    for value in PRIVATE:
        assert value.encode() not in plain and value.lower().encode() not in plain.lower()
    assert b"[PERSON_1]" in plain and b"[EMAIL_ADDRESS_1]" in plain
    (path,) = entry_files(cache_settings.directory)
    assert b"PERSON" not in path.read_bytes() and b"invoice" not in path.read_bytes()


@pytest.mark.parametrize(
    "answer",
    [
        "Dear Maria Gonzalez, the invoice is paid.",  # the cloud wrote a value of the vault
        "Dear MARIA  GONZALEZ, paid.",  # disguised: the guard's own matcher still finds it
        "Write to maria.gonzalez@example.org.",
    ],
)
def test_an_answer_holding_a_value_of_the_vault_is_not_stored(cache, caplog, answer) -> None:
    vault, (p, _) = conversation(("PERSON", "Maria Gonzalez"), ("EMAIL_ADDRESS", PRIVATE[1]))
    with caplog.at_level(logging.WARNING):
        assert cache.remember([Answer(f"Write to {p}.", answer)], SCOPE, vault) == 0
    assert entry_files(cache.store.directory) == []
    assert any(r.getMessage() == "cache_store_refused" for r in caplog.records)


def test_an_answer_with_a_placeholder_its_query_lacks_is_not_stored(cache) -> None:
    vault, (p, q) = conversation(("PERSON", "Maria Gonzalez"), ("PERSON", "John Smith"))
    # [PERSON_2] is not in the question: in another conversation it would name someone else
    assert cache.remember([Answer(f"Greet {p}.", f"Hello {p} and {q}!")], SCOPE, vault) == 0
    assert entry_files(cache.store.directory) == []


def test_a_hit_from_another_conversation_comes_back_in_its_own_placeholders(cache) -> None:
    first, (p1, e1) = conversation(("PERSON", "Maria Gonzalez"), ("EMAIL_ADDRESS", PRIVATE[1]))
    query = f"Write to {p1} at {e1}."
    cache.remember([Answer(query, f"Dear {p1} ({e1}): done.")], SCOPE, first)
    # the second conversation numbers differently: two people came before
    second, _ = conversation(("PERSON", "Ann Lee"), ("PERSON", "Bo Chan"))
    p3 = second.placeholder_for("PERSON", "John Smith")
    e1b = second.placeholder_for("EMAIL_ADDRESS", "john@example.com")
    (hit,) = cache.look_up([f"Write to {p3} at {e1b}."], SCOPE)
    assert p3 == "[PERSON_3]" and hit.text == f"Dear {p3} ({e1b}): done."
    assert second.restore(hit.text) == "Dear John Smith (john@example.com): done."
    assert hit.usage == Usage(11, 7)  # what the cloud spent the first time, saved now


def test_all_subqueries_or_none(cache) -> None:
    vault = Vault()
    cache.remember([Answer("What is 2+2?", "4")], SCOPE, vault)
    assert [a.text for a in cache.look_up(["What is 2+2?"], SCOPE)] == ["4"]
    assert cache.look_up(["What is 2+2?", "What is 3+3?"], SCOPE) is None


@pytest.mark.parametrize(
    "other",
    [
        replace(SCOPE, model="another-model"),
        replace(SCOPE, destination="127.0.0.1:2"),
        replace(SCOPE, prompt="v2:system"),
        replace(SCOPE, params=GenerationParams(max_tokens=64)),
        replace(SCOPE, params=GenerationParams(temperature=0.7)),
        replace(SCOPE, params=GenerationParams(top_p=0.9)),
        replace(SCOPE, params=GenerationParams(seed=1)),
        replace(SCOPE, params=GenerationParams(stop=("\n",))),
    ],
)
def test_what_changes_the_answer_is_part_of_the_key(cache, other: CacheScope) -> None:
    cache.remember([Answer("What is 2+2?", "4")], SCOPE, Vault())
    assert cache.look_up(["What is 2+2?"], SCOPE) is not None
    assert cache.look_up(["What is 2+2?"], other) is None


@pytest.mark.parametrize(
    "near_miss",
    [
        "What is 2+3?",
        "what is 2+2?",  # case is kept: it can change what is asked (spell, rewrite)
        "What is 2+2",
        "What is [PERSON_1]+2?",
    ],
)
def test_a_near_miss_is_a_miss(cache, near_miss: str) -> None:
    cache.remember([Answer("What is 2+2?", "4")], SCOPE, Vault())
    assert cache.look_up([near_miss], SCOPE) is None
    assert cache.look_up(["  What  is 2+2? \n"], SCOPE) is not None  # spacing is not meaning
