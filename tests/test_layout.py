"""The layout rules as functions of hand-made candidates (no index, no model): which units the model sees, which
one is quoted, and what stands around the quote."""

from __future__ import annotations

from rag.answer.candidates import candidate
from rag.answer.checking import CheckedSentence
from rag.answer.compose import AnswerBuilder, builder_for, complete
from rag.answer.question import analyse
from rag.types import Passage

TRADE_Q = analyse("How much was trade between Vietnam and Russia in 2021?")


def _c(text: str, dense: float, typed: bool = True, source: str = "a.txt"):
    return candidate(Passage(source, 0, len(text), text), dense, 0.5, typed=typed, strict=True)


TALK = _c("Lavrov and Son talked about trade.", 0.9, typed=False)
THEIRS = _c("Trade between Vietnam and Russia reached $7.1 billion in 2021.", 0.7, source="b.txt")
OURS = _c("Bilateral trade between Vietnam and Russia reached $5.54 billion in 2021.", 0.6, source="c.txt")


def test_the_answer_quotes_the_best_unit_even_when_a_lower_one_holds_the_kind_of_fact_asked_for():
    # The order already weighs 'typed'; a lower unit with a figure (a section number, a version) is no better.
    assert builder_for(TRADE_Q, [TALK, THEIRS]).quote == 0
    assert builder_for(TRADE_Q, [THEIRS, TALK]).quote == 0


def test_with_no_model_sentence_the_value_leads_and_the_quote_highlights_it():
    builder = AnswerBuilder([OURS, TALK], quote=0)
    shown = list(complete(TRADE_Q, builder))
    assert shown[0] == "$5.54 billion [1]."  # the value asked for, read off the quote
    assert shown[1].startswith('\n"Bilateral trade') and builder.sentences[1].highlighted == "$5.54 billion"


def test_a_rival_figure_from_another_file_is_one_line_of_its_own():
    builder = AnswerBuilder([OURS, THEIRS], quote=0)
    shown = list(complete(TRADE_Q, builder))
    assert shown[-1] == "\n[2] gives $7.1 billion."
    assert [s.origin for s in builder.sentences] == ["short", "quote", "conflict"]


def test_a_model_sentence_shown_above_leaves_no_short_value():
    builder = AnswerBuilder([OURS, TALK], quote=0)
    builder.add_model_sentence(CheckedSentence("Trade was worth $5.54 billion that year.", [1], support=1))
    shown = list(complete(TRADE_Q, builder))
    assert [s.origin for s in builder.sentences] == ["model", "quote"] and len(shown) == 1
