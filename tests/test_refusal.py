"""Refusal rules: names the documents never mention, weak evidence, no passage with the kind of fact asked for."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag.answer.candidates import Candidate, candidate
from rag.answer.corpus import CorpusStats
from rag.answer.params import DEFAULTS
from rag.answer.question import Question, analyse
from rag.answer.refusal import CODES, Evidence, Refusal, best_score, fired, names_in_context, refusal, unknown
from rag.text import terms
from rag.types import Passage

# The indexed documents (what used to be a hand-written vocabulary of crude stems).
STATS = CorpusStats.build([
    "Lavrov visited Vietnam and Russia.",
    "Mongolia and Hanoi.",
    "Russian companies run many projects; trade grew. The sailors came home.",
    "Russia and China call it a partnership.",
])


def _s(text: str, dense: float = 0.8, lexical: float = 0.6, typed: bool = True, source: str = "a.txt",
       start: int = 0, context: str = "") -> Candidate:
    return candidate(Passage(source, start, start + len(text), text), dense, lexical, typed=typed, context=context)


ALL_RULES = replace(DEFAULTS, refusal_rules=CODES)  # the retired rules too, to test each rule as it is


def _refusal(q: Question, candidates: list[Candidate]) -> Refusal | None:
    return refusal(Evidence(q, candidates, STATS, [], 0.35, params=ALL_RULES))


def _code(q: Question, candidates: list[Candidate]) -> str | None:
    found = _refusal(q, candidates)
    return None if found is None else found.code


def _unknown(question: str) -> list[str]:
    return unknown(analyse(question), STATS)


def test_a_question_first_word_is_not_taken_for_an_unknown_name():
    # 'Apart', 'Roughly', 'Near' open the question; they are not names the documents must contain.
    assert _unknown("Apart from Russia, which countries are Vietnam's partners?") == []
    assert _unknown("Roughly what share of trade is with Russia?") == []
    assert _unknown("Did Lavrov visit Cambodia?") == ["cambodia"]


def test_a_lower_case_hyphen_part_is_not_a_name_but_a_capitalised_compound_is():
    assert _unknown("Vietnam objected to a US-led push, did it not?") == []
    assert _unknown("What did the Laos-Cambodia committee decide?") == ["laos-cambodia"]


def test_exact_values_and_code_names_must_occur_in_some_document():
    assert _unknown("Did Lavrov visit Vietnam in 1999?") == ["1999"]
    assert _unknown("What does functools.lru_cache do?") == ["functools.lru_cache"]
    stats = CorpusStats.build(["functools.lru_cache(maxsize=128) caches calls; added in 1999."])
    assert unknown(analyse("What does functools.lru_cache do in 1999?"), stats) == []


def test_counted_terms_are_the_words_after_how_many():
    assert analyse("How many Vietnamese students are studying in Russia?").counted == tuple(
        terms("vietnamese students"))
    assert analyse("How many projects do Russian companies have?").counted == ("project",)
    assert analyse("Who is Lavrov?").counted == ()


def test_a_how_many_question_is_refused_when_no_sentence_counts_that_thing():
    q = analyse("How many sailors were aboard the destroyer in Vietnam?")
    weak = [_s("Three warships of the Russian Navy visited Vietnam.")]
    refused = _refusal(q, weak)
    assert refused is not None and refused.code == "no_count" and "sailor" in refused.detail
    strong = [_s("About 300 sailors were aboard when it docked in Vietnam.")]
    assert _refusal(q, strong) is None


def test_names_may_come_from_the_sentence_s_paragraph():
    q = analyse("When did Russia and China call their ties a no-limits partnership?")
    chunk = "Russia and China are close. The two countries called it a partnership in February 2022."
    text = "The two countries called it a partnership in February 2022."
    assert _refusal(q, [_s(text, start=28, context=chunk)]) is None
    assert _code(q, [_s(text, start=28)]) == "no_typed_unit"


def test_weak_evidence_is_refused():
    q = analyse("What did Lavrov say?")
    assert _code(q, [_s("Lavrov spoke.", dense=0.1, lexical=0.0)]) == "low_score"


def test_nothing_retrieved_is_refused():
    assert _code(analyse("What did Lavrov say?"), []) == "no_passage"
    assert set(CODES) == {"no_passage", "unknown_terms", "unmeant_words", "names_apart", "no_typed_unit",
                          "no_count", "relation_untied", "low_score"}


# The old rule 'a who-is-the-ROLE question needs a passage naming that role' (role_terms) was dropped on purpose.
# The role is now a relation term of the question, and the answer checker holds a cited sentence to it
# (tests/test_checking.py): refusal no longer looks at it.


def test_a_who_is_the_role_question_is_not_refused_for_the_role_alone():
    q = analyse("Who is the Russian ambassador to Vietnam?")
    assert "ambassador" in q.relation_terms
    no_role = [_s("Russian Foreign Minister Sergey Lavrov met Bui Thanh Son in Vietnam.")]
    assert _refusal(q, no_role) is None


def test_names_in_context_allows_one_missing_name_of_three():
    q = analyse("Did Lavrov, Son and Chinh meet in Hanoi?")
    assert len(q.names) >= 3
    assert names_in_context(q, _s("Lavrov met Son in Hanoi."))
    assert not names_in_context(q, _s("Lavrov arrived on Wednesday."))


def test_best_score_counts_only_typed_sentences_that_name_the_subject():
    q = analyse("When did Lavrov visit Hanoi?")
    untyped = _s("Lavrov visited Hanoi.", dense=0.9, lexical=1.0, typed=False)
    unnamed = _s("The visit took place in 2022.", dense=0.9, lexical=1.0)
    fit = _s("Lavrov visited Hanoi in 2022.", dense=0.5, lexical=0.5)
    assert best_score(q, [untyped, unnamed, fit]) == fit.score
    assert best_score(q, [untyped, unnamed]) == 0.0
    # A question that asks for no kind of fact takes the best sentence as it is.
    assert best_score(analyse("Why did Lavrov visit Hanoi?"), [untyped]) == untyped.score


def test_only_the_rules_in_force_refuse_but_every_rule_that_would_is_listed():
    q = analyse("Did Lavrov visit Cambodia?")
    weak = [_s("Lavrov visited Vietnam.", dense=0.1, lexical=0.1)]
    shipped = Evidence(q, weak, STATS, [], 0.35)
    assert DEFAULTS.refusal_rules[1] == "unknown_terms"
    assert refusal(shipped).code == "unknown_terms"
    assert fired(shipped)[:1] == ("unknown_terms",) and "low_score" in fired(shipped)
    without = Evidence(q, weak, STATS, [], 0.35, params=replace(DEFAULTS, refusal_rules=("low_score",)))
    assert refusal(without).code == "low_score"
    assert fired(without) == fired(shipped)  # what would refuse does not depend on what is in force
    assert refusal(Evidence(q, weak, STATS, [], 0.35, params=replace(DEFAULTS, refusal_rules=()))) is None


def test_the_shipped_rules_keep_their_order_without_the_retired_ones_and_an_unknown_code_is_an_error():
    # no_typed_unit was retired by measurement (scripts/ablate_refusal.py, docs/quality.md)
    assert DEFAULTS.refusal_rules == tuple(c for c in CODES if c != "no_typed_unit")
    q = analyse("Did Lavrov visit Vietnam?")
    bad = Evidence(q, [_s("Lavrov visited Vietnam.")], STATS, [], 0.35,
                   params=replace(DEFAULTS, refusal_rules=("no_such_rule",)))
    with pytest.raises(ValueError, match="no_such_rule"):
        refusal(bad)


PYDOCS = Path(__file__).parent / "data" / "pydocs" / "docs"


@pytest.mark.slow
def test_a_when_question_asking_for_a_condition_is_answered_not_refused_for_want_of_a_date(indexed_folder, tmp_path):
    """A training question (pydocs-t0395) of the kind that read as a date was refused by low_score (no unit holding a
    date names its subject), with the real embedder, scorer and model over the file that answers it."""
    folder = indexed_folder(tmp_path, docs=None,
                            files={"functions.rst.txt": (PYDOCS / "library/functions.rst.txt").read_text("utf-8")})
    question = ("When zipping lists of different lengths, how can I pad the shorter ones instead of cutting the "
                "result to the shortest?")
    decision = folder.app.pipeline.decide(question)
    assert decision.refusal is None, decision.refusal
    assert "zip_longest" in decision.candidates[0].passage.text  # the unit that answers, first
    answer = folder.app.pipeline.ask(question)
    assert answer.status != "refused", answer.decision
    shown = answer.answer if answer.status == "answered" else " ".join(c.quote for c in answer.citations)
    assert "zip_longest" in shown
