"""scripts/quote_neighbour.py: how often the quote holds the facts when it takes in the sentence next to it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from rag.answer.candidates import candidate
from rag.answer.question import analyse
from rag.types import Passage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import quote_neighbour
from pools import Pool

Q = analyse("How much was trade between Vietnam and Russia in 2021?")
TEXT = "Two-way trade grew after the pandemic. It reached $5.54 billion in 2021. Lavrov visited Hanoi in July."
PASSAGE = Passage("a.txt", 0, len(TEXT), TEXT)
OTHER = Passage("b.txt", 0, 30, "Russia sells fuel to Mongolia.")


def _unit(sentence: str, passage: Passage = PASSAGE):
    at = passage.text.index(sentence)
    return candidate(Passage(passage.source, at, at + len(sentence), sentence), 0.5, 0.5)


def test_the_quote_holds_the_fact_its_neighbour_gives_when_the_order_put_the_neighbour_close():
    table = (_unit("Two-way trade grew after the pandemic."), _unit("Russia sells fuel to Mongolia.", OTHER),
             _unit("It reached $5.54 billion in 2021."))
    pool = Pool("seeds", "training", "q1", Q.text, True, ("5.54 billion",), Q, (PASSAGE, OTHER), table, None)
    order = np.array([3.0, 2.0, 1.0])  # the neighbour third
    assert quote_neighbour.quoted(pool, order, 1) == (False, False, len(table[0].shown))
    assert quote_neighbour.quoted(pool, order, 2) == (False, False, len(table[0].shown))
    held, joined, chars = quote_neighbour.quoted(pool, order, 3)
    assert held and joined and chars == len("Two-way trade grew after the pandemic. It reached $5.54 billion in 2021.")
    counts = quote_neighbour.tally({"seeds": [(pool, order)]}, 3)["training"]
    assert (counts["questions"], counts["held"], counts["joined"]) == (1, 1, 1)
