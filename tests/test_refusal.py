"""Refusal rules: names the documents never mention, weak evidence, no passage with the kind of fact asked for."""

from __future__ import annotations

from rag.evidence import ScoredSentence
from rag.records import Passage
from rag.refusal import counted_terms, refusal_reason, unknown_names

VOCAB = {"lavrov", "vietnam", "russia", "mongolia", "hanoi", "project", "compan", "trade", "sailor"}


def _s(text: str, dense: float = 0.8, lexical: float = 0.6, typed: bool = True, source: str = "a.txt",
       start: int = 0) -> ScoredSentence:
    return ScoredSentence(passage=Passage(source, start, start + len(text), text), dense=dense, lexical=lexical,
                          typed=typed)


def test_a_question_first_word_is_not_taken_for_an_unknown_name():
    # 'Apart', 'Roughly', 'Near' open the question; they are not names the documents must contain.
    assert unknown_names("Apart from Russia, which countries are Vietnam's partners?", VOCAB) == []
    assert unknown_names("Roughly what share of trade is with Russia?", VOCAB) == []
    assert unknown_names("Did Lavrov visit Cambodia?", VOCAB) == ["cambodia"]


def test_a_lower_case_hyphen_part_is_not_a_name_but_a_capitalised_compound_is():
    assert unknown_names("Vietnam objected to a US-led push, did it not?", VOCAB) == []
    assert unknown_names("What did the Laos-Cambodia committee decide?", VOCAB) == ["laos-cambodia"]


def test_counted_terms_are_the_words_after_how_many():
    assert counted_terms("How many Vietnamese students are studying in Russia?") == ["vietnamese", "student"]
    assert counted_terms("How many projects do Russian companies have?") == ["project"]
    assert counted_terms("Who is Lavrov?") == []


def test_a_how_many_question_is_refused_when_no_sentence_counts_that_thing():
    q = "How many sailors were aboard the destroyer in Vietnam?"
    weak = [_s("Three warships of the Russian Navy visited Vietnam.")]
    assert "sailor" in refusal_reason(q, weak, VOCAB, 0.35)
    strong = [_s("About 300 sailors were aboard when it docked in Vietnam.")]
    assert refusal_reason(q, strong, VOCAB, 0.35) == ""


def test_names_may_come_from_the_sentence_s_paragraph():
    q = "When did Russia and China call their ties a no-limits partnership?"
    chunk = Passage("a.txt", 0, 120, "Russia and China are close. The two countries called it a partnership in February 2022.")
    sentence = _s("The two countries called it a partnership in February 2022.", start=28)
    assert refusal_reason(q, [sentence], VOCAB | {"china"}, 0.35, [chunk]) == ""
    assert "no passage names" in refusal_reason(q, [sentence], VOCAB | {"china"}, 0.35, [])


def test_weak_evidence_is_refused():
    assert "below" in refusal_reason("What did Lavrov say?", [_s("Lavrov spoke.", dense=0.1, lexical=0.0)],
                                     VOCAB, 0.35)


def test_a_who_is_the_role_question_needs_a_passage_naming_that_role():
    from rag.refusal import role_terms

    assert role_terms("Who is the Russian ambassador to Vietnam?") == ["russian", "ambassador"]
    assert role_terms("Who met Lavrov?") == []
    q = "Who is the Russian ambassador to Vietnam?"
    no_role = [_s("Russian Foreign Minister Sergey Lavrov met Bui Thanh Son in Vietnam.")]
    assert "ambassador" in refusal_reason(q, no_role, VOCAB | {"ambassador"}, 0.35)
    with_role = [_s("The Russian ambassador to Vietnam, Gennady Bezdetko, greeted Lavrov.")]
    assert refusal_reason(q, with_role, VOCAB | {"ambassador"}, 0.35) == ""
