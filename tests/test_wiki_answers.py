"""The generated encyclopedia (tests/data/wiki) with the real embedder, the real model and a real index:
relations, counts of listed items, reverse lookups, and refusals of near misses."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import quoted_units

from rag.config import HAND_ORDER, PROJECT_ROOT

WIKI = PROJECT_ROOT / "tests" / "data" / "wiki" / "docs"


@pytest.fixture(scope="module")
def wiki_app(indexed_folder, tmp_path_factory: pytest.TempPathFactory):
    folder = indexed_folder(tmp_path_factory.mktemp("wiki"), docs=WIKI)
    assert len(folder.report.added) == len(list(WIKI.glob("*.txt")))
    return folder.app


def _cited(answer) -> set[str]:
    return {Path(c.source).name for c in answer.citations}


@pytest.mark.slow
def test_a_count_of_listed_items_is_given_with_the_items(wiki_app):
    answer = wiki_app.pipeline.ask("How many daughters does Abel Peele have?")
    assert not answer.refused, answer.decision
    assert "2" in answer.answer and "Joan Peele" in answer.answer and "Shante Peele" in answer.answer
    assert "Abel_Peele.txt" in _cited(answer)


@pytest.mark.slow
def test_a_reverse_lookup_names_the_person_the_cited_sentence_ties_to_the_value(wiki_app):
    answer = wiki_app.pipeline.ask("Who is the person whose occupation is farm manager?")
    assert not answer.refused, answer.decision
    # Two people of the corpus are farm managers (`grep -l "is farm manager" tests/data/wiki/docs/*`); either is
    # right (CI at 595e491 ranked Abel Peele first; this machine ranks Emilie Tower first with the same code). The
    # answer names one of them and cites that person's own file.
    named = [n for n in ("Abel Peele", "Emilie Tower") if n in answer.answer]
    assert named and all(f"{n.replace(' ', '_')}.txt" in _cited(answer) for n in named), answer.answer
    for sentence in answer.sentences:  # every shown name stands in its cited sentence with 'farm manager'
        quotes = [c.quote for c in answer.citations if c.n in sentence.citations]
        assert any("farm manager" in q for q in quotes), (sentence, quotes)


@pytest.mark.slow
def test_the_packaged_models_sentence_about_someone_else_is_not_shown(wiki_app):
    """The real Gemma answered 'The father of Leena Glasgow was Booker Mena [1].' above the right quote (it held up:
    the index says so of Leena Glasgow). The packaged models' sentences that say more than the quote are not shown;
    the answer leads with the name the quoted sentence gives."""
    answer = wiki_app.pipeline.ask("Who was Trina Glasgow's father?")
    assert not answer.refused, answer.decision
    lead, quote = answer.sentences[:2]
    assert lead.origin == "short" and lead.claim == "Doug Glasgow", answer.answer
    assert quote.origin == "quote" and "Trina Glasgow" in quote.claim and "Doug Glasgow" in quote.claim
    assert "Booker Mena" not in answer.answer and all(s.origin != "model" for s in answer.sentences)
    assert "Trina_Glasgow.txt" in _cited(answer)


@pytest.mark.slow
def test_a_question_for_several_people_is_answered_with_every_name_the_sentence_lists(wiki_app):
    """'The daughters of Abel Peele are Joan Peele, Shante Peele.': the short answer was the first name alone."""
    answer = wiki_app.pipeline.ask("Who are Abel Peele's daughters?")
    assert not answer.refused, answer.decision
    lead, quote = answer.sentences[:2]
    assert lead.origin == "short" and lead.claim == "Joan Peele, Shante Peele", answer.answer
    assert quote.origin == "quote" and quote.highlighted == "Joan Peele, Shante Peele"
    assert "Abel_Peele.txt" in _cited(answer)


@pytest.mark.slow
@pytest.mark.parametrize("question, code, why", [
    # other people's mothers are in the index
    ("Who is the mother of Abel Peele?", "relation_untied", "no passage says mother"),
    # no document gives a nationality
    ("What is the nationality of Teresita Gentile?", "unmeant_words", "nationality"),
    # an Abel and a Holtz exist, no Abel Holtz
    ("What is the occupation of Abel Holtz?", "names_apart", "abel holtz"),
])
def test_near_misses_are_refused_with_the_reason(wiki_app, question, code, why):
    answer = wiki_app.pipeline.ask(question)
    assert answer.refused, answer.answer
    assert (answer.refusal, answer.status) == (code, "refused") and why in answer.decision


@pytest.mark.slow
def test_the_fitted_ranker_quotes_the_unit_the_hand_order_ranks_below_a_wrong_one(wiki_app):
    """training/questions/wiki.jsonl wiki-t0035, with the real embedder and model: by the hand order the quoted
    unit is 'The gender of Sofia Wagoner is female.' (the model's sentence says the job, the quote does not);
    the ranker (RAG_RANKER=models/ranker.json) quotes the occupation."""
    import dataclasses

    from rag.pipeline import Pipeline

    question = "What does Sofia Wagoner work as?"
    # a scorer would replace both orders; and the quote is the top unit alone (the hand order puts the occupation
    # right before the top unit, so a quote joined with it would hold the job: rag.answer.compose.with_neighbour)
    alone = dataclasses.replace(wiki_app.settings.answer, quote_neighbour_within=1)
    hand_settings = dataclasses.replace(wiki_app.settings, scorer=HAND_ORDER, answer=alone)
    ranked = Pipeline(dataclasses.replace(hand_settings, ranker=str(PROJECT_ROOT / "models" / "ranker.json")),
                      wiki_app.store, wiki_app.embedder, wiki_app.pipeline.generator)
    answer = ranked.ask(question)
    assert any("lighting technician" in q for q in quoted_units(answer)), answer.answer
    assert "lighting technician" in answer.answer and "Sofia_Wagoner.txt" in _cited(answer)
    assert wiki_app.pipeline.ranker() is None  # the default: no fitted ranker
    hand = Pipeline(hand_settings, wiki_app.store, wiki_app.embedder, wiki_app.pipeline.generator).ask(question)
    assert quoted_units(hand) and not any("lighting technician" in q for q in quoted_units(hand)), hand.answer
