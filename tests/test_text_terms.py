"""Word-level helpers of rag.text (fold, stem, words, terms, numbers, names, contains_term) and the follow-up rule
built on them. Sentence splitting, markup and identifiers are in test_text.py."""

from __future__ import annotations

import pytest

from rag.retrieval.followup import contextual_query, is_follow_up
from rag.text import contains_term, fold, mentions, names, numbers, question_names, stem, terms, words

# fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Mélanie", "melanie"),
        ("CAFÉ Crème", "cafe creme"),
        ("Ångström", "angstrom"),
        ("Lavrov’s", "lavrov's"),  # typographic apostrophe becomes a plain one
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_makes_accented_and_plain_spellings_equal() -> None:
    assert fold("Mélanie Joly") == fold("MELANIE JOLY")


# stem


@pytest.mark.parametrize("word", ["visits", "visited", "visiting", "visit"])
def test_stem_matches_inflections(word: str) -> None:
    assert stem(word) == "visit"


@pytest.mark.parametrize(
    ("word", "stemmed"),
    # Snowball: 'statements' -> 'statement' (the old suffix stripper cut it to 'state', merging it with 'states').
    [("nations", "nation"), ("statements", "statement"), ("reports", "report"), ("talks", "talk")],
)
def test_stem_strips_inflection_suffixes(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


@pytest.mark.parametrize("word", ["is", "bus", "gas", "was", "red"])
def test_stem_keeps_short_words(word: str) -> None:
    assert stem(word) == word


def test_stem_leaves_numbers_and_other_scripts_alone() -> None:
    assert stem("2022") == "2022"
    assert stem("hà") == "hà"
    assert stem("министрами") == stem("министры")  # Cyrillic goes through the Russian stemmer


# words and terms


def test_words_keep_inner_hyphens_apostrophes_and_periods() -> None:
    assert words("G-20 talks, Lavrov's visit; U.S. policy_x") == [
        "G-20", "talks", "Lavrov's", "visit", "U.S", "policy", "x"
    ]


def test_terms_drop_stopwords_digits_and_single_letters_and_stem() -> None:
    # Snowball stems ('minister' -> 'minist'); 'according' (to) is a stopword, reporting verbs are not.
    text = "The Russian foreign minister visited Vietnam in 2022, according to a few reports, he said."
    assert terms(text) == ["russian", "foreign", "minist", "visit", "vietnam", "few", "report", "said"]
    assert terms("ministers") == terms("minister")


def test_terms_are_folded() -> None:
    assert terms("Mélanie VISITED Hanoi") == [stem("melanie"), "visit", "hanoi"]
    assert terms("Mélanie") == terms("MELANIE") == terms("melanie")


def test_terms_split_dotted_identifiers_and_drop_possessives() -> None:
    assert terms("os.path.join") == ["os", "path", "join"]
    assert terms("Lavrov's visit") == ["lavrov", "visit"]
    assert terms("in 2022 and 12,000") == []  # whole numbers are not terms


def test_terms_of_stopwords_only_is_empty() -> None:
    assert terms("What is it that they did?") == []
    assert terms("") == []


# numbers


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("It carries 12,000 cars a day.", {"12000"}),
        ("Inflation was 5.54 percent.", {"5.54"}),
        ("In 2022, 1,500,000 people came.", {"2022", "1500000"}),
        ("Chapter 5. Then chapter 6,", {"5", "6"}),
        ("No numbers here.", set()),
    ],
)
def test_numbers(text: str, found: set[str]) -> None:
    assert numbers(text) == found


def test_numbers_with_and_without_separator_are_equal() -> None:
    assert numbers("12,000 cars") == numbers("12000 cars")


def test_numbers_drop_thousands_separators_before_a_decimal_part() -> None:
    assert numbers("It cost 1,234,567.89 dollars.") == numbers("It cost 1234567.89 dollars.") == {"1234567.89"}


def test_citation_markers_are_not_numbers() -> None:
    assert numbers("He went to Hanoi [1].") == set()
    assert numbers("Trade was 5.54 billion [2, 3].") == {"5.54"}


def test_an_iso_date_gives_the_whole_date_and_its_parts() -> None:
    found = numbers("It was signed on 2022-02-04.")
    assert "2022-02-04" in found and "2022" in found


# names


def test_names_are_folded_capitalised_words() -> None:
    assert names("The minister met Pham Minh Chinh in Hanoi.") == {"pham", "minh", "chinh", "hanoi"}


def test_names_skip_question_words_and_stopwords_at_sentence_start() -> None:
    assert names("Who is the prime minister of Mongolia?") == {"mongolia"}
    assert names("What is the capital? The capital is Ulaanbaatar.") == {"ulaanbaatar"}


def test_names_fold_accents() -> None:
    assert names("He met Mélanie Joly.") == {"melanie", "joly"}


def test_names_without_capitals_is_empty() -> None:
    assert names("the minister met the president.") == set()


# contains_term


def test_contains_term_exact() -> None:
    assert contains_term({"hanoi", "visit"}, "visit")
    assert not contains_term({"hanoi", "visit"}, "moscow")


def test_contains_term_is_an_exact_stem_match_not_a_shared_prefix() -> None:
    # Inverted: the old 5-letter prefix rule made 'vietnamese' match 'vietnam' (and 'general' match 'generator');
    # matching is now exact on Snowball stems.
    assert not contains_term({"vietnam"}, "vietnamese")
    assert not contains_term({"vietnamese"}, "vietnam")
    assert not contains_term({stem("general")}, stem("generator"))


def test_contains_term_needs_a_real_prefix_not_just_five_letters() -> None:
    assert not contains_term({"vietcong"}, "vietnam")


def test_contains_term_matches_inflections_through_the_stemmer() -> None:
    assert contains_term(set(terms("Lavrov visited Hanoi.")), stem("visits"))


def test_mentions_needs_a_term_of_the_name() -> None:
    have = set(terms("Sergey Lavrov visited Hanoi."))
    assert mentions(have, "Lavrov")
    assert not mentions(have, "Putin")
    assert not mentions(have, "the")  # a name with no terms is never mentioned


def test_contains_term_short_terms_must_match_exactly() -> None:
    assert not contains_term({"cats"}, "cat")
    assert not contains_term({"cat"}, "cats")
    assert not contains_term(set(), "anything")


# follow-up questions

HISTORY = ["What is the capital of Mongolia?"]


@pytest.mark.parametrize(
    "question",
    [
        "And who is its prime minister?",
        "What about its population?",
        "Who is its president?",
        "Where is it?",
        "also, how big is the country?",
    ],
)
def test_follow_up_questions(question: str) -> None:
    assert is_follow_up(question)
    assert contextual_query(question, HISTORY) == f"{HISTORY[0]} {question}"


@pytest.mark.parametrize(
    "question",
    [
        "Who is the prime minister of Mongolia?",
        "What is the capital of Vietnam?",
        "Where is Mongolia and what is its capital?",  # names its own subject
        "Andorra's capital city?",  # starts with 'And' but is not 'and'
        "Sofia is in which country?",  # starts with 'So' but is not 'so'
    ],
)
def test_standalone_questions(question: str) -> None:
    assert not is_follow_up(question)
    assert contextual_query(question, HISTORY) == question


def test_follow_up_uses_only_the_previous_question() -> None:
    history = ["Who is Lavrov?", "What is the capital of Mongolia?"]
    query = contextual_query("And who is its prime minister?", history)
    assert query == "What is the capital of Mongolia? And who is its prime minister?"
    assert "Lavrov" not in query


def test_follow_up_without_history_is_the_question() -> None:
    assert contextual_query("And who is its prime minister?", []) == "And who is its prime minister?"


def test_question_names_skip_the_opening_word_unless_a_name_continues():
    assert question_names("Near which islands were Chinese warships seen?") == {"chinese"}
    assert question_names("Bui Thanh Son met whom?") == {"bui", "thanh", "son"}
    assert question_names("What did the G-20 and the Vietnam-Russia committee say?") == {"g-20", "vietnam-russia"}
