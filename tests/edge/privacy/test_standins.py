"""Stand-ins on the wire: made-up names for name placeholders, and back.

The hostile sides: a text or a vault that already holds a pool name, an answer that bends or
splits a stand-in, an answer that uses a stand-in's word as an ordinary word, a stream cut
anywhere, a pool that runs out, and a choice that must not depend on the hidden value.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privsplit.edge.privacy.guard import find_known
from privsplit.edge.privacy.standins import ONE_NAME, PEOPLE, POOLS, StandIns
from privsplit.edge.privacy.vault import Vault

TEXT = "Write to [PERSON_1] and [PERSON_2] in [LOCATION_1] at [ORGANIZATION_1] ([EMAIL_ADDRESS_1])."
VALUES = {
    "[PERSON_1]": "John Smith",
    "[PERSON_2]": "Nate",
    "[LOCATION_1]": "Jeddah",
    "[ORGANIZATION_1]": "Acme Corp",
    "[EMAIL_ADDRESS_1]": "john@example.org",
}


def choose(texts: list[str], values: dict[str, str]) -> StandIns:
    return StandIns.choose(texts, values.get, values.values())


def test_name_placeholders_get_a_stand_in_of_their_type_and_others_stay() -> None:
    s = choose([TEXT], VALUES)
    first, last = PEOPLE[0]
    assert s.chosen == {
        "[PERSON_1]": f"{first} {last}",
        "[PERSON_2]": ONE_NAME[0],  # a one-word value: a one-word name
        "[LOCATION_1]": POOLS["LOCATION"][0],
        "[ORGANIZATION_1]": POOLS["ORGANIZATION"][0],
    }
    sent = s.encode(TEXT)
    assert "[EMAIL_ADDRESS_1]" in sent and "[PERSON_" not in sent and "[LOCATION_" not in sent
    assert s.decode(sent) == TEXT


def test_the_choice_never_depends_on_the_hidden_value() -> None:
    other = {**VALUES, "[PERSON_1]": "Aisha Al-Farsi", "[LOCATION_1]": "Lyon"}
    assert choose([TEXT], VALUES).chosen == choose([TEXT], other).chosen


def test_a_stand_in_is_never_a_word_of_the_text_or_of_a_hidden_value() -> None:
    first, last = PEOPLE[0]
    text = f"{TEXT} {PEOPLE[1][1]} said hi."  # a word of the second pair is in the text
    values = {**VALUES, "[PERSON_2]": f"{ONE_NAME[0]}", "[LOCATION_1]": f"{last} Street"}
    s = choose([text], values)
    words = {w for stand_in in s.chosen.values() for w in stand_in.split()}
    assert not words & {last, PEOPLE[1][1], ONE_NAME[0], first}  # first: its pair's word is taken
    assert s.chosen["[PERSON_1]"] == " ".join(PEOPLE[2])
    assert s.chosen["[PERSON_2]"] == ONE_NAME[1]
    # and no value of the vault can be found in what is sent, disguised or not
    vault = Vault()
    for placeholder, value in values.items():
        kind = placeholder[1:].rsplit("_", 1)[0]
        assert vault.placeholder_for(kind, value) == placeholder
    assert find_known(s.encode(text), vault) == []


def test_every_placeholder_of_a_request_has_its_own_stand_in_across_sub_queries() -> None:
    texts = ["About [PERSON_1].", "And [PERSON_2] with [PERSON_1]."]
    s = choose(texts, {"[PERSON_1]": "Ann Lee", "[PERSON_2]": "Bo Chan"})
    assert s.encode(texts[0]) == f"About {' '.join(PEOPLE[0])}."
    assert s.encode(texts[1]) == f"And {' '.join(PEOPLE[1])} with {' '.join(PEOPLE[0])}."


def test_a_spent_pool_leaves_the_placeholder_as_it_is() -> None:
    n = len(POOLS["LOCATION"]) + 1
    text = " ".join(f"[LOCATION_{i}]" for i in range(1, n + 1))
    s = choose([text], {f"[LOCATION_{i}]": f"Town{i}" for i in range(1, n + 1)})
    assert s.encode(text).endswith(f"[LOCATION_{n}]") and len(s.chosen) == n - 1


def test_placeholders_the_vault_does_not_hold_are_left_alone() -> None:
    s = choose(["[PERSON_7] wrote"], VALUES)  # e.g. the user's own literal text
    assert s.chosen == {}


def test_the_answer_gets_its_placeholders_back_in_every_written_form() -> None:
    s = choose([TEXT], VALUES)
    first, last = PEOPLE[0]
    town, firm = POOLS["LOCATION"][0], POOLS["ORGANIZATION"][0]
    answer = (
        f"Dear {first} {last}, {first.upper()} {last.upper()}'s trip to {town}: {first}! "
        f"{last}? {ONE_NAME[0]} of {firm}; {firm.split()[0]} hires."
    )
    assert s.decode(answer) == (
        "Dear [PERSON_1], [PERSON_1]'s trip to [LOCATION_1]: [PERSON_1]! [PERSON_1]? "
        "[PERSON_2] of [ORGANIZATION_1]; [ORGANIZATION_1] hires."
    )


def test_a_bent_stand_in_or_an_ordinary_word_stays_as_written() -> None:
    s = choose([TEXT], VALUES)
    first, last = PEOPLE[0]
    town = POOLS["LOCATION"][0]
    kept = f"{first}-{last} x{town} {town}ish {ONE_NAME[0].lower()} {first[0]}. {last[:3]}"
    assert s.decode(kept) == kept


def test_a_made_up_word_is_recognised_in_lower_case_too_and_never_shared() -> None:
    values = {"[NAME_1]": "Zorblax", "[TERM_1]": "vnit"}
    s = choose(["Tell me about [NAME_1] at [TERM_1]."], values)
    name, term = POOLS["MADE_UP"][:2]  # other names and rare terms: one pool, one counter
    assert s.encode("Tell me about [NAME_1] at [TERM_1].") == f"Tell me about {name} at {term}."
    assert s.decode(f"{name.lower()} and {name}, {term.upper()}") == (
        "[NAME_1] and [NAME_1], [TERM_1]"
    )


def test_past_sixteen_people_names_combine_and_a_shared_part_stands_for_no_one() -> None:
    values = {f"[PERSON_{k}]": f"Given{k} Family{k}" for k in range(1, 18)}
    text = " ".join(values)
    s = choose([text], values)
    assert len(set(s.chosen.values())) == 17  # every person has a stand-in of their own
    seventeenth = s.chosen["[PERSON_17]"]
    first, last = seventeenth.split()
    assert first == PEOPLE[0][0] and last != PEOPLE[0][1]
    assert s.decode(f"{seventeenth} and {first}") == f"[PERSON_17] and {first}"  # ambiguous
    assert s.decode(" ".join(PEOPLE[0])) == "[PERSON_1]"
    assert s.decode(last) == last  # the 17th shares it with the 2nd
    assert s.decode(PEOPLE[2][1]) == "[PERSON_3]"  # a surname no one else has


@settings(max_examples=300, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=40))
def test_a_stream_cut_anywhere_decodes_as_the_whole_answer(cuts: list[int]) -> None:
    s = choose([TEXT], VALUES)
    first, last = PEOPLE[0]
    answer = (
        f"Hi {first} {last}! Hi {first}-{last}, x{first} {first}. {last}'s "
        f"{POOLS['LOCATION'][0]}{POOLS['LOCATION'][0]} {ONE_NAME[0]} [PERSON_1] {first} "
    ) * 3
    bounds = sorted({0, len(answer), *(c for c in cuts if c < len(answer))})
    decoder = s.decoder()
    out = "".join(decoder.feed(answer[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
    assert out + decoder.flush() == s.decode(answer)


def test_a_stream_holds_back_only_what_could_still_become_a_stand_in() -> None:
    s = choose([TEXT], VALUES)
    first, last = PEOPLE[0]
    decoder = s.decoder()
    assert decoder.feed("Hello ") == "Hello "
    assert decoder.feed(first[:2]) == ""  # "Ri": could be the start of the name
    assert decoder.feed(first[2:] + " ") == ""  # "Riley ": the surname may follow
    assert decoder.feed(last[:4]) == ""
    assert decoder.feed(last[4:] + ", how") == "[PERSON_1], how"
    assert decoder.flush() == ""


@pytest.mark.parametrize("seed", range(5))
def test_no_stand_ins_is_the_identity(seed: int) -> None:
    plain = StandIns()
    text = "".join(random.Random(seed).choice("ab [PERSON_1]") for _ in range(200))
    decoder = plain.decoder()
    assert plain.encode(text) == text and plain.decode(text) == text
    assert decoder.feed(text) + decoder.flush() == text
