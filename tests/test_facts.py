"""What a text states, analysed once: amounts, dates, and the facts record."""

from __future__ import annotations

from rag.answer.facts import amounts, dates, facts_of

# amounts, dates


def test_amounts_leave_out_dates_and_citation_markers():
    assert amounts("Trade reached $5.54 billion in 2021.") == {"5.54"}
    assert amounts("On 5 July 2022 it rose 3 percent.") == {"3"}
    assert amounts("He went to Hanoi [1].") == set()


def test_dates_of_any_form():
    assert dates("It opened on 2022-02-04, a Friday, in March 1932 or 04/02/2022.") == {
        "2022-02-04", "friday", "march", "1932", "04/02/2022"}
    assert dates("Born in 0262 in Rome.") == {"0262"}  # a year of any century
    assert dates("It grew 1500 percent, or 5.54 and 12,000.") == set()


def test_facts_of_a_text_are_computed_once_and_hold_every_kind():
    text = "Python 3.11 came out on 24 October 2022, Guido said; it cost $5 million."
    facts = facts_of(text)
    assert facts is facts_of(text)  # the same record: the text is analysed once
    assert {"3.11"} == facts.versions
    assert {"5"} <= facts.amounts and "2022" not in facts.amounts
    assert {"october", "2022"} <= facts.dates
    assert "guido" in facts.names
    assert facts.terms[0] == "python" and set(facts.terms) == facts.term_set
    assert facts.said == facts.term_set | facts.numbers


def test_month_names_that_are_everyday_words_are_months_only_when_written_as_months():
    assert dates("Loop statements may have an else clause.") == set()  # the verb: a unit no date question wants
    assert dates("We march on; an august body.") == set()
    assert dates("In May the trade grew.") == {"may"} and dates("may 5") == {"may"} and dates("MAY") == {"may"}
    assert dates("It was signed on March 3, 2021.") >= {"march", "2021"}
    from rag.answer.facts import DATE_SPAN

    assert [m.group() for m in DATE_SPAN.finditer("It may run until August 2024.")] == ["August 2024"]


def test_three_digits_after_in_are_a_count_not_a_year():
    assert facts_of("Russian companies have invested in 151 projects.").amounts == {"151"}
    assert facts_of("Trade rose in 2021 by 14 percent.").amounts == {"14"}
