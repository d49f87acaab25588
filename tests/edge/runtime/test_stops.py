"""Stop sequences over a stream: the stop text never reaches the caller, even split up."""

import pytest

from privsplit.edge.runtime.stops import cut_at_stops


@pytest.mark.parametrize(
    ("pieces", "stops", "expected"),
    [
        (["Hello ", "world"], (), "Hello world"),
        (["Hello ", "world"], ("wor",), "Hello "),
        (["Hel", "lo\n", "\nUser:", " hi"], ("\n\nUser:",), "Hello"),
        (["ab", "c", "d"], ("cd", "bc"), "a"),  # the earliest stop wins
        (["a<", "|e", "nd|>", "b"], ("<|end|>",), "a"),
        (["a<", "b"], ("<|end|>",), "a<b"),  # a held-back prefix is released when it is not a stop
        (["x", "y<|e"], ("<|end|>",), "xy<|e"),  # the stream ends on a partial stop: text is kept
        (["STOP at once"], ("STOP",), ""),
        ([], ("x",), ""),
    ],
)
def test_cut_at_stops(pieces: list[str], stops: tuple[str, ...], expected: str) -> None:
    assert "".join(cut_at_stops(iter(pieces), stops)) == expected


def test_text_is_not_held_back_longer_than_needed() -> None:
    gen = cut_at_stops(iter(["one ", "two ", "three"]), ("###",))
    assert next(gen) == "one "
