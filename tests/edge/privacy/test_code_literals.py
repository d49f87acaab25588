"""Literals of code and dumps that identify no one: hex colours written in code (dropped by
the engine whichever detector tagged them, ``code_context.CodeContext.colours``) and numbers
padded with zeros to a machine word (``terms.ZERO_PADDED``). What only looks like them is
still hidden: a ticket number in prose, a colour-shaped name, an account number with leading
zeros, and a colour the user's deny list names."""

from __future__ import annotations

import pytest

from privsplit.edge.privacy.detectors.code_context import CodeContext
from privsplit.edge.privacy.factory import build_engine
from privsplit.edge.privacy.settings import PrivacySettings

CSS = """Why is my button grey? .btn { color: #10b981; background: #4c51bf;
border: 1px solid #00BCD4; } .card { fill: #fff; box-shadow: 0 1px 2px #0000001a; }
<button style="color: #ff5733;">Send</button>"""

CRASH = """My app crashes on start, here is the tombstone:
backtrace:
  #00 pc 00000000000013c4  /system/lib64/libc.so (abort+164)
  x0  0000000000000000  x1  0000000000000006  x2  00000000000000f0"""


@pytest.fixture(scope="module")
def engine():
    return build_engine(PrivacySettings(), terms=True)


def hidden(engine, text: str) -> set[str]:
    return {text[s.start : s.end] for s in engine.detect(text)}


def test_colours_in_css_and_attributes_are_not_hidden(engine):
    found = hidden(engine, CSS)
    for colour in ("10b981", "4c51bf", "00BCD4", "fff", "0000001a", "ff5733"):
        assert not any(colour in h for h in found), (colour, found)


def test_a_colour_every_detector_missed_before_is_found_as_one():
    context = CodeContext.of(CSS)
    colours = {CSS[a:b] for a, b in context.colours}
    assert colours == {"#10b981", "#4c51bf", "#00BCD4", "#fff", "#0000001a", "#ff5733"}


def test_a_ticket_number_in_prose_is_still_hidden(engine):
    text = "Hi Dana, my order #842913 never arrived; the tracking code is #a3f9c2."
    found = hidden(engine, text)
    assert any("842913" in h for h in found), found
    assert any("a3f9c2" in h for h in found), found
    assert CodeContext.of(text).colours == ()


def test_a_colour_in_a_code_comment_is_judged_as_prose():
    text = "body { margin: 0; padding: 0; } /* ask Deb about #a3f9c2 */ p { color: red; }"
    assert CodeContext.of(text).colours == ()


@pytest.mark.parametrize("name", ["bea", "dad", "abe", "Deb"])
def test_three_letters_that_could_be_a_name_are_no_colour(name):
    text = f'.x {{ color: red; }} .y {{ content: "#{name}"; }} .z {{ margin: 0; }}'
    assert CodeContext.of(text).colours == ()


def test_the_deny_list_still_hides_a_colour(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text('deny_list:\n  - {value: "#4c51bf", entity_type: BRAND}\n', "utf-8")
    engine = build_engine(PrivacySettings(policy_file=policy), terms=True)
    text = ".brand { color: #4c51bf; background: #fff; } .x { margin: 0; }"
    assert "#4c51bf" in hidden(engine, text)


def test_zero_padded_registers_in_a_dump_are_not_hidden(engine):
    found = hidden(engine, CRASH)
    for value in ("00000000000013c4", "0000000000000000", "0000000000000006", "00000000000000f0"):
        assert value not in found, (value, found)


@pytest.mark.parametrize(
    "value",
    ["0000123456", "00000012345678", "000000a1b2c"],  # five or more significant digits
)
def test_a_number_with_leading_zeros_and_enough_digits_is_still_hidden(engine, value):
    text = f"Please transfer the refund to account {value} before Friday."
    assert value in hidden(engine, text)
