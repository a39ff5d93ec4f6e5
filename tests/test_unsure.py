"""What a "not sure" answer shows: the passages holding the likeliest units, each unit highlighted."""

from __future__ import annotations

import pytest
from conftest import at_shipped_point

from rag.answer.candidates import candidate
from rag.answer.params import DEFAULTS
from rag.answer.question import analyse
from rag.answer.unsure import NOT_SURE_TEXT, holding_passage, nearest_builder, not_sure_builder, not_sure_units
from rag.evaluation import has_facts
from rag.types import Passage

Q = analyse("How much was trade between Vietnam and Russia in 2021?")
FIRST = "Lavrov visited Hanoi in July 2022. Two-way trade grew after the pandemic. It reached $5.54 billion in 2021."
SECOND = "Trade with Mongolia was smaller. Russia sells fuel to Mongolia."
PASSAGES = [Passage("a.txt", 100, 100 + len(FIRST), FIRST, score=0.6), Passage("b.txt", 0, len(SECOND), SECOND)]


def _unit(passage: Passage, sentence: str, dense: float):
    at = passage.text.index(sentence)
    return candidate(Passage(passage.source, passage.start + at, passage.start + at + len(sentence), sentence),
                     dense, 0.5)


GROWTH = _unit(PASSAGES[0], "Two-way trade grew after the pandemic.", 0.9)  # the top unit lacks the figure
FIGURE = _unit(PASSAGES[0], "It reached $5.54 billion in 2021.", 0.8)  # beside it, in the same passage
FUEL = _unit(PASSAGES[1], "Russia sells fuel to Mongolia.", 0.7)


def test_a_unit_is_held_by_the_passage_it_was_cut_from():
    assert holding_passage(FIGURE, PASSAGES) == PASSAGES[0]
    assert holding_passage(FUEL, PASSAGES) == PASSAGES[1]
    assert holding_passage(FUEL, PASSAGES[:1]) is None


def test_the_second_passage_shown_is_another_passage_not_the_top_units_neighbour():
    chosen = not_sure_units([GROWTH, FIGURE, FUEL], PASSAGES)
    assert [(c, p) for c, p in chosen] == [(GROWTH, PASSAGES[0]), (FUEL, PASSAGES[1])]
    assert not_sure_units([GROWTH, FIGURE], PASSAGES) == [(GROWTH, PASSAGES[0])]  # one passage: one shown


def test_the_passages_are_quoted_whole_and_cited_with_their_characters_and_the_unit_highlighted():
    builder = not_sure_builder(Q, [GROWTH, FIGURE, FUEL], PASSAGES, DEFAULTS)
    assert builder.sentences[0].text == NOT_SURE_TEXT
    quotes = [s for s in builder.sentences if s.origin == "quote"]
    assert [s.claim for s in quotes] == [FIRST, SECOND]
    assert "$5.54 billion" in builder.text  # the top unit alone would not have shown the figure
    assert [s.highlighted for s in quotes] == [GROWTH.passage.text, FUEL.passage.text]
    cited = builder.citations()
    assert [(c.n, c.source, c.start, c.end, c.quote) for c in cited] == [
        (1, "a.txt", PASSAGES[0].start, PASSAGES[0].end, FIRST), (2, "b.txt", 0, len(SECOND), SECOND)]


def test_a_refusal_lists_the_nearest_passages_cited_and_not_quoted():
    builder = nearest_builder([GROWTH, FIGURE, FUEL], PASSAGES, DEFAULTS)
    assert builder.sentences == []
    assert [(c.source, c.quote) for c in builder.citations()] == [("a.txt", FIRST), ("b.txt", SECOND)]


def test_a_unit_no_passage_holds_is_quoted_alone():
    builder = not_sure_builder(Q, [FIGURE], PASSAGES[1:], DEFAULTS)
    quotes = [s for s in builder.sentences if s.origin == "quote"]
    assert [s.claim for s in quotes] == ["It reached $5.54 billion in 2021."]
    assert "5.54" in quotes[0].highlighted  # the value asked for, as a quote of the unit shows it
    assert builder.citations()[0].start == FIGURE.passage.start


def test_a_passage_is_quoted_with_its_heading_and_code_on_their_own_lines_and_the_unit_still_highlighted():
    text = ("Caching\n=======\n\nUse a decorator::\n\n    @cache\n    def f(): ...\n\n"
            "The cached value can be cleared by deleting the attribute.")
    passage = Passage("faq.rst", 0, len(text), text)
    unit = _unit(passage, "The cached value can be cleared by deleting the attribute.", 0.9)
    builder = not_sure_builder(analyse("How do I clear the cached value?"), [unit], [passage], DEFAULTS)
    quote = next(s for s in builder.sentences if s.origin == "quote")
    assert quote.text == ('"Caching\n\nUse a decorator:\n\n@cache\ndef f(): ...\n\n'
                          'The cached value can be cleared by deleting the attribute." [1]')
    assert quote.highlighted == "The cached value can be cleared by deleting the attribute."
    assert builder.citations()[0].quote == text  # the file's characters, as ever


# training/questions/seeds.jsonl seeds-t0036, with the shipped scorer and confidence (0.63 against the point 0.74)
UNSURE = ("Where is Fyodor Lukyanov based?", ["Moscow-based"])


@pytest.mark.slow
def test_with_the_real_packaged_models_not_sure_shows_the_passage_that_holds_the_fact(real_app):
    shipped = at_shipped_point(real_app)
    question, facts = UNSURE
    decision = shipped.decide(question)
    assert decision.status == "not_sure", decision.confidence
    assert not has_facts(" ".join(c.shown for c in decision.candidates[:2]), facts)  # what "not sure" showed before
    answer = shipped.ask(question)
    assert answer.status == "not_sure" and answer.answer.startswith(NOT_SURE_TEXT), answer.answer
    assert has_facts(answer.answer, facts), answer.answer
    quotes = [s for s in answer.sentences if s.origin == "quote"]
    assert quotes and " ".join(decision.candidates[0].passage.text.split()) in quotes[0].highlighted
    first, top = answer.citations[0], decision.candidates[0].passage  # cited: the passage holding the top unit
    assert first.source == top.source and first.start <= top.start and top.end <= first.end and first.quote != top.text
