"""Where a unit's answer stands: value and name spans, as the short answer and the quote's highlight use them."""

from __future__ import annotations

from rag.answer.question import analyse
from rag.answer.spans import answer_span, name_spans, value_spans

TRADE = ("Despite COVID-19, bilateral trade between Vietnam and Russia reached U.S. $5.54 billion in 2021, a 14 "
         "percent increase from the previous year.")


def test_an_amount_keeps_its_currency_and_scale_and_a_number_inside_a_name_is_none():
    q = analyse("How much was bilateral trade between Vietnam and Russia in 2021?")
    assert [s.text for s in value_spans(q, TRADE)] == ["U.S. $5.54 billion", "14 percent"]
    span = value_spans(q, TRADE)[0]
    assert TRADE[span.start : span.end] == span.text  # offsets into the text as given


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
