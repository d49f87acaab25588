"""The device's arithmetic: exact, bounded, and nothing but arithmetic (hypothesis)."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privsplit.edge.pipeline.arith import amounts, computations, table_scale
from privsplit.edge.pipeline.expr import MAX_EXPONENT, evaluate, format_number
from privsplit.edge.pipeline.units import asked_count, asked_unit, quantities
from privsplit.shared.errors import InvalidRequest

SMALL = st.integers(min_value=-(10**9), max_value=10**9)


@given(SMALL, SMALL, st.sampled_from(["+", "-", "*", "/", "%"]))
def test_binary_operations_are_exact(a: int, b: int, op: str) -> None:
    expected = {
        "+": lambda: Fraction(a) + b,
        "-": lambda: Fraction(a) - b,
        "*": lambda: Fraction(a) * b,
        "/": lambda: Fraction(a) / b if b else None,
        "%": lambda: Fraction(a) % b if b else None,
    }[op]()
    if expected is None:
        with pytest.raises(InvalidRequest, match="division by zero"):
            evaluate(f"{a} {op} ({b})")
    else:
        assert evaluate(f"{a} {op} ({b})") == expected


def test_decimals_are_exact_and_formatted() -> None:
    assert evaluate("0.1 + 0.2") == Fraction(3, 10)
    assert evaluate("72,705 * 10**6 / 10**9") == Fraction(72705, 1000)
    assert format_number(evaluate("1/3")) == "0.333333"
    assert format_number(Fraction(-1234567, 10)) == "-123,456.7"
    assert format_number(Fraction(0)) == "0"


# any text built from letters, digits, operators, brackets, quotes, dots and underscores
PYTHONISH = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz_0123456789+-*/%().,'\"[]{}<>=!:;@ ", max_size=60
)


@settings(max_examples=400, deadline=500)
@given(PYTHONISH)
def test_anything_is_either_a_number_or_a_clear_refusal(text: str) -> None:
    try:
        value = evaluate(text)
    except InvalidRequest as exc:
        assert "arithmetic refused" in exc.message
        return
    assert isinstance(value, Fraction)
    # only numbers and operators can evaluate: a name, call, string or subscript never does
    assert set(text) <= set("0123456789+-*/%()., e_"), text


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch /tmp/privsplit-arith-pwned')",
        "open('/etc/passwd').read()",
        "(1).__class__",
        "[1, 2][0]",
        "x + 1",
        "'a' * 3",
        "1 if 1 else 2",
        "lambda: 1",
        "1 < 2",
        "True + 1",
        "1j * 2",
        "(lambda: 0)()",
        "1 << 5",
        "7 // 2",
        "-~1",
        "not 1",
        "f'{1}'",
        "...",
    ],
)
def test_code_is_refused_and_never_runs(text: str, tmp_path) -> None:
    with pytest.raises(InvalidRequest, match="arithmetic refused"):
        evaluate(text)
    from pathlib import Path

    assert not Path("/tmp/privsplit-arith-pwned").exists()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=2, max_value=10**6),
    st.integers(min_value=MAX_EXPONENT + 1, max_value=10**12),
)
def test_huge_exponents_are_refused_quickly(base: int, exponent: int) -> None:
    started = time.process_time()  # CPU time: a busy shared machine does not make it flaky
    for text in (f"{base} ** {exponent}", f"{base} ** -{exponent}", f"({base} ** 2) ** {exponent}"):
        with pytest.raises(InvalidRequest, match="exponent|exceeds"):
            evaluate(text)
    assert time.process_time() - started < 0.2


@pytest.mark.parametrize(
    "text", ["9 ** 9 ** 9", "10 ** 37", "10 ** 30 * 10 ** 30", "1e300", "2 ** 0.5", "(-8) ** (1/3)"]
)
def test_results_beyond_the_bounds_or_not_exact_are_refused(text: str) -> None:
    with pytest.raises(InvalidRequest):
        evaluate(text)


def test_long_expressions_are_refused() -> None:
    with pytest.raises(InvalidRequest, match="characters"):
        evaluate("1+" * 200 + "1")
    with pytest.raises(InvalidRequest, match="parts"):
        evaluate("+".join(["1"] * 60))


def test_amounts_read_currency_scales_and_percentages() -> None:
    found = {a.text: a for a in amounts("Revenue $4.5 billion, costs €3bn, margin 12.5%, 5 mg")}
    assert found["$4.5 billion"].value == 4_500_000_000
    assert found["€3bn"].value == 3_000_000_000 and found["€3bn"].currency == "€"
    assert found["12.5%"].percent
    assert not any("5 m" in t for t in found)  # milligrams are not millions
    assert amounts("on 03/14/2021 at 10:30, room 4412") == []  # bare numbers are not amounts


def test_a_table_in_millions_turns_into_billions_as_the_question_expects() -> None:
    note = "Total property and equipment, net$ 61,797  $72,705"
    assert (
        table_scale("(in millions) ... (in millions) ... (in thousands)", at_least=2) == "million"
    )
    assert table_scale("nothing here") == ""
    lines = computations("What was total property and equipment, net?", [(note, "million", note)])
    assert (
        lines[0]
        == "Total property and equipment, net $ 61,797 = $61.8 billion (exactly $61.797 billion)"
    )
    assert "$72,705 = $72.705 billion (about $72.7 billion)" in lines


def test_the_asked_scale_is_rounded_with_its_unit_for_the_amount_the_question_names() -> None:
    table = (
        "Consolidated results (in millions):\nYear ended December 31, 2023\n"
        "Total net revenue $ 20,092\nCost of sales $ 12,256"
    )
    q = "What was total net revenue for the year ended December 31, 2023, in billions?"
    lines = computations(q, [(table, "million", table)])
    assert lines[0] == "Total net revenue $ 20,092 = $20.1 billion (exactly $20.092 billion)"
    assert "$ 12,256 = $12.256 billion" in lines  # the other amount: no rounded answer line
    assert not any("12.3" in line for line in lines)


def test_amounts_need_a_scale_word_not_a_unit_that_starts_like_one() -> None:
    assert amounts("potassium 7.5 mmol/L, 5 mL, 3 mg") == []
    assert [a.value for a in amounts("$3 m and $4.5bn")] == [3_000_000, 4_500_000_000]


def test_conversion_to_the_asked_scale_sums_and_differences() -> None:
    lines = computations(
        "What is the revenue in millions?",
        [("revenue was $4.5 billion", "", "revenue was $4.5 billion")],
    )
    assert lines == ["revenue was $4.5 billion = $4,500 million"]
    lines = computations(
        "What is the total of the two invoices?",
        [("Invoice A: $1,200.50. Invoice B: $800.", "", "Invoice A: $1,200.50. Invoice B: $800.")],
    )
    assert lines == ["total: $2,000.5 ($1,200.50 + $800)"]
    lines = computations(
        "What is the difference between the 2019 and 2018 budgets?",
        [
            (
                "2019 budget $3.2 million; 2018 budget $2.95 million",
                "",
                "2019 budget $3.2 million; 2018 budget $2.95 million",
            )
        ],
    )
    assert "difference: $250,000 ($3.2 million - $2.95 million)" in lines
    assert (
        computations("What is the total?", [("$5 and €7", "", "$5 and €7")]) == []
    )  # mixed currencies


def test_a_sum_adds_the_lines_about_the_question_once_each_in_the_asked_unit() -> None:
    first = (
        "First outage of the printer fleet lasted 24 minutes. 10:22 alert on host db-3 "
        "cleared after 12 minutes. First outage of the printer fleet lasted 24 minutes."
    )
    second = "Second outage of the printer fleet lasted 69 minutes. Backup finished in 45 minutes."
    q = "How many minutes did the two printer fleet outages last in total?"
    lines = computations(q, [(first, "", first), (second, "", second)])
    assert lines == [
        "total: 93 minutes (24 minutes + 69 minutes)"
    ]  # no repeat, no alert, no backup
    invoices = [
        "Consulting invoice number 1 of 3 was paid in full: $4,560. Segment A reported 3 deals.",
        "The fee was $3,000. Consulting invoice number 2 of 3 was paid in full: $70,000.",
        "Consulting invoice number 3 of 3 was paid in full: $4,560.",  # same amount, new line
    ]
    q = "What is the total of the three consulting invoices?"
    assert computations(q, [(n, "", n) for n in invoices]) == [
        "total: $79,120 ($4,560 + $70,000 + $4,560)"
    ]
    # the question says two; three lines match as well: no guessed sum
    q = "How many minutes did the two printer fleet outages last in total?"
    third = "Third outage of the printer fleet lasted 5 minutes."
    notes = [(first, "", first), (second, "", second), (third, "", third)]
    assert computations(q, notes) == []


def test_units_asked_counted_and_read() -> None:
    assert asked_unit("How many minutes did the outages last in total?") == "minute"
    assert asked_unit("What is the total of the invoices, in billions?") == ""
    assert asked_count("the two printer outages") == 2 and asked_count("the 3 invoices") == 3
    assert asked_count("all invoices") is None
    assert [
        v for _, v in quantities("24 minutes, 1 minute, 10:30 minutes, id 7-12 minutes", "minute")
    ] == [24, 1]


def test_rounding_is_half_up_and_cut_notes_are_not_computed() -> None:
    source = "Billing (in millions): the hospital charged the insurer $1,250 for the stay."
    lines = computations("How much?", [("charged the insurer $1", "million", source)])
    assert lines == []  # "$1" is the start of "$1,250": a note cut short, not an amount
    lines = computations("How much?", [("charged the insurer $1,250", "million", source)])
    assert lines == ["$1,250 = $1.25 billion (about $1.3 billion)"]


def test_a_quantity_asked_in_a_unit_comes_from_the_line_about_the_question() -> None:
    note = (
        "Notices are deemed received 6 business days after dispatch. Termination: either party "
        "may terminate with 90 days written notice. Section 24.3 applies 24/7."
    )
    q = "How many days of written notice are needed to terminate?"
    assert computations(q, [(note, "", note)]) == [
        "Termination either party may terminate with 90 days"
    ]
    other = "Termination: the vendor may terminate with 30 days notice."
    both = [(note, "", note), (other, "", other)]  # two lines as much about it disagree
    assert computations("How many days of notice are needed to terminate?", both) == []


def test_note_sentences_are_kept_once_whatever_copied_them() -> None:
    from privsplit.edge.pipeline.units import sentences

    parts = [
        ": Termination: either party may terminate with 90 days written notice.",
        "Termination: either party may terminate with 90 days written notice. Section 21.3 holds.",
        "Dr. Ana Ruiz signed.",
    ]
    kept = [s.text for s in sentences(parts, lambda _: 0.0)]
    assert kept == [
        "Termination: either party may terminate with 90 days written notice.",
        "Section 21.3 holds.",
        "Dr. Ana Ruiz signed.",  # a title does not end a sentence
    ]


def test_a_sum_leaves_out_an_amount_whose_label_is_less_about_the_question() -> None:
    notes = [
        "Segment D reported 19 new contracts. Consulting invoice number 1 of 3 was paid: $67,990.",
        "Consulting invoice number 3 of 3 was paid: $84,110.",
        "Consulting invoice number 2 of 3 was paid: $77,030.",
        "Total net revenue $ 15,775 Cost of sales $ 9,622",  # "total" is a question word too
    ]
    q = "What is the total of the three consulting invoices?"
    lines = computations(q, [(n, "million" if "revenue" in n else "", n) for n in notes])
    assert lines[0] == "total: $229,130 ($67,990 + $84,110 + $77,030)"


def test_the_result_the_question_asks_for_is_written_as_an_answer() -> None:
    from privsplit.edge.pipeline.arith import asks_sum, compute

    invoices = "Consulting invoice 1 of 2 was paid: $4,560. Consulting invoice 2 of 2: $70,000."
    c = compute("What is the total of the two consulting invoices?", [(invoices, "", invoices)])
    assert c.answer == "$74,560 (the sum of $4,560 + $70,000)"
    table = "Consolidated results (in millions): Total net revenue $ 20,092"
    c = compute("What was total net revenue, in billions?", [(table, "million", table)])
    assert c.answer.startswith("$20.1 billion (") and "exactly $20.092 billion" in c.answer
    note = "Termination: either party may terminate with 90 days written notice."
    c = compute("How many days of written notice are needed to terminate?", [(note, "", note)])
    assert c.answer.startswith("90 days (")
    c = compute("What was total net revenue?", [(table, "million", table)])  # a lookup
    assert c.answer == "" and c.lines  # the readable scale is a line, not the answer
    assert asks_sum("How many minutes did the outages last in total?")
    assert asks_sum("What is the total cost of the two invoices?")  # counted items
    assert not asks_sum("What was Amazon's total property and equipment, net, in 2019?")


def test_a_label_with_total_is_looked_up_not_summed() -> None:
    note = "Total property and equipment, net $ 61,797 Total assets $ 162,648"
    lines = computations("What was total property and equipment, net?", [(note, "million", note)])
    assert not any(line.startswith("total:") for line in lines)
