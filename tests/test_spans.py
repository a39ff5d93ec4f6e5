"""Where a unit's answer stands: value and name spans, as the short answer and the quote's highlight use them."""

from __future__ import annotations

from rag.answer.question import analyse
from rag.answer.spans import answer_span, name_spans, named_answer, value_spans

TRADE = ("Despite COVID-19, bilateral trade between Vietnam and Russia reached U.S. $5.54 billion in 2021, a 14 "
         "percent increase from the previous year.")


def test_an_amount_keeps_its_currency_and_scale_and_a_number_inside_a_name_is_none():
    q = analyse("How much was bilateral trade between Vietnam and Russia in 2021?")
    assert [s.text for s in value_spans(q, TRADE)] == ["U.S. $5.54 billion", "14 percent"]
    span = value_spans(q, TRADE)[0]
    assert TRADE[span.start : span.end] == span.text  # offsets into the text as given


def test_a_bare_number_keeps_the_word_it_counts_and_no_word_of_grammar():
    q = analyse("How long can a line sent to syslog be?")
    assert [s.text for s in value_spans(q, "Lines longer than 1024 bytes are split.")] == ["1024 bytes"]
    assert [s.text for s in value_spans(q, "A buffer of 64 KiB, kept for 24 hours.")] == ["64 KiB", "24 hours"]
    assert [s.text for s in value_spans(q, "It keeps 128 by default, between 2 and 3.")] == ["128", "2", "3"]
    assert [s.text for s in value_spans(q, "Pass 7\nparameters.")] == ["7"]  # not across a line break
    assert [s.text for s in value_spans(q, TRADE)] == ["U.S. $5.54 billion", "14 percent"]  # a scale says it


def test_a_date_span_is_the_whole_date_and_not_the_year_the_question_gives():
    q = analyse("When did Lavrov arrive in Hanoi in 2022?")
    text = "Lavrov met his counterpart in Hanoi, July 6, 2022, and left for Bali."
    assert [s.text for s in value_spans(q, text)] == ["July 6, 2022"]
    assert [s.text for s in value_spans(q, "His two-day visit to Hanoi (5-6 July) ended.")] == ["5-6 July"]


def test_a_version_span():
    q = analyse("In which version was str.removeprefix added?")
    assert [s.text for s in value_spans(q, "New in version 3.9.")] == ["3.9"]


def test_name_spans_join_neighbouring_names_and_drop_the_possessive():
    text = "Canada’s Foreign Affairs Minister Mélanie Joly told Canadian media she would confront him."
    assert [s.text for s in name_spans(text, {"melanie", "joly"})] == ["Mélanie Joly"]
    assert [s.text for s in name_spans(text, {"canada"})] == ["Canada’s"]


def test_answer_span_is_the_value_the_claim_gives_else_its_new_names():
    q = analyse("How much was bilateral trade between Vietnam and Russia in 2021?")
    assert answer_span(q, "It rose 14 percent.", TRADE).text == "14 percent"
    assert answer_span(q, "It was $5.54 billion.", TRADE).text == "U.S. $5.54 billion"
    who = analyse("Which Canadian minister said she would not shake Lavrov's hand?")
    text = "Canada’s Foreign Affairs Minister Mélanie Joly told Canadian media she would confront him."
    assert answer_span(who, "The Canadian Foreign Minister Mélanie Joly.", text).text == "Mélanie Joly"
    assert answer_span(who, "She refused.", text) is None


BATMUNKH = ("Ulaanbaatar, 5 July 2022 (TDI): The Foreign Minister of Russia, Sergey Lavrov, met with the Foreign "
            "Minister of Mongolia, Battsetseg Batmunkh, for international cooperation talks.")


def test_named_answer_is_the_name_set_after_the_question_words():
    found = named_answer(analyse("Who is Mongolia's foreign minister?"), BATMUNKH)
    assert found is not None and found.span.text == "Battsetseg Batmunkh"
    assert BATMUNKH[found.span.start : found.span.end] == "Battsetseg Batmunkh"
    assert found.covered == {"foreign", "minist", "mongolia"}  # Sergey Lavrov's title is of Russia


def test_named_answer_reads_a_title_before_the_name_and_a_copula():
    joly = ("Canada’s Foreign Affairs Minister Mélanie Joly told Canadian media she would instead “confront him "
            "with facts”.")
    q = analyse("Which Canadian minister said she would not shake Lavrov's hand?")
    assert named_answer(q, joly).span.text == "Mélanie Joly"
    mother = "The father of Babette Sides is Joe Bloggs. The mother of Babette Sides is Shawnta Archuleta."
    assert named_answer(analyse("Who is Babette Sides's mother?"), mother).span.text == "Shawnta Archuleta"


def test_named_answer_skips_the_object_of_a_preposition_and_text_without_the_question_words():
    q = analyse("Who is Mongolia's foreign minister?")
    assert named_answer(q, "Lavrov met officials in Ulaanbaatar on Tuesday.") is None
    pm = "the Foreign Minister of Russia also met with the Prime Minister of Mongolia, L. Oyun-Erdene."
    found = named_answer(q, pm)
    assert found.span.text == "L. Oyun-Erdene" and found.covered == {"minist", "mongolia"}  # fewer than Batmunkh's


def test_the_amount_part_of_a_number_span_leaves_the_counted_word_out():
    from rag.answer.spans import amount_part

    q = analyse("How long can a line sent to syslog be?")
    text = "Lines longer than 1024 bytes are split at U.S. $5.54 billion."
    pairs = [(s.text, amount_part(text, s)) for s in value_spans(q, text)]
    assert pairs == [("1024 bytes", "1024"), ("U.S. $5.54 billion", "U.S. $5.54 billion")]


def test_of_several_values_the_one_among_the_question_words_is_the_answer():
    from rag.answer.spans import asked_span

    text = "On June 25 warships visited Cam Ranh, where Russia operated a major naval base until 2002."
    until = analyse("Until what year did Russia run a major naval base there?")
    assert asked_span(until, text, value_spans(until, text), 3).text == "2002"
    visited = analyse("When did the warships visit Cam Ranh?")
    assert asked_span(visited, text, value_spans(visited, text), 3).text == "June 25"
    versions = analyse("In which Python version was enum.StrEnum added?")
    text = "Flag members changed in version 3.6 for speed. The StrEnum class was added in version 3.11."
    assert [s.text for s in value_spans(versions, text)] == ["3.6", "3.11"]
    assert asked_span(versions, text, value_spans(versions, text), 3).text == "3.11"
    assert asked_span(versions, "No version here.", [], 3) is None


def test_names_listed_after_a_plural_are_one_answer():
    daughters = analyse("Who are Alejandro Gruber's daughters?")
    text = "The daughters of Alejandro Gruber are Kate Gruber, Mallie Tinney. His wife is Elicia Gruber."
    assert named_answer(daughters, text).span.text == "Kate Gruber, Mallie Tinney"
    sisters = analyse("Does Otis Halliday have any sisters? Who are they?")  # 'are' says the names are a list
    text = "The sisters of Otis Halliday are Kerrie Rodas and Valentina Mcmillin. His mother is Olivia Halliday."
    assert named_answer(sisters, text).span.text == "Kerrie Rodas and Valentina Mcmillin"
    mother = analyse("Who is the mother of Otis Halliday?")  # one person asked: one name
    text = "The mother of Otis Halliday is Olivia Halliday, Kerrie Rodas said."
    assert named_answer(mother, text).span.text == "Olivia Halliday"
