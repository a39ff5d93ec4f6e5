"""The shared text primitives: sentences (wrapped text, markup, other scripts), terms, names, numbers."""

from __future__ import annotations

from rag.text import fold, identifiers, names, numbers, question_names, sentences, stem, strip_markup, terms


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentences(text)]


def test_hard_wrapped_lines_are_one_sentence():
    text = ("   If *maxsize* is set to ``None``, the LRU feature is disabled and the cache can\n"
            "   grow without bound.\n\n   If *typed* is set to true, arguments of different types will be cached.")
    got = _sentences(text)
    assert got[0].startswith("If *maxsize*") and got[0].endswith("grow without bound.")
    assert len(got) == 2


def test_lines_of_their_own_stay_apart():
    text = "The mother of Ann Lee is Eve Lee.\nThe father of Ann Lee is Bob Lee.\nThe friends of Ann Lee are X, Y."
    assert len(_sentences(text)) == 3
    text = "Russian minister visits Hanoi\nLavrov arrived on Wednesday."
    assert _sentences(text) == ["Russian minister visits Hanoi", "Lavrov arrived on Wednesday."]


def test_list_items_and_underlines_break_wrapped_text():
    text = "Options are listed below and\n- first item\n- second item"
    assert len(_sentences(text)) == 3
    text = "Heading\n=======\nbody text here."
    assert _sentences(text)[0] == "Heading"


def test_abbreviations_and_initials_do_not_end_sentences():
    assert len(_sentences("Mr. Lavrov met Dr. Son in the U.S. capital. Then he left.")) == 2
    assert len(_sentences("Use e.g. lists. Or tuples.")) == 2


def test_cyrillic_and_vietnamese_sentences_split():
    ru = "Лавров прибыл в Ханой. Он встретился с министром. Визит длился два дня."
    assert len(_sentences(ru)) == 3
    vi = "Ông Lavrov đến Hà Nội hôm thứ Tư. Ông gặp Bộ trưởng Bùi Thanh Sơn. Đây là chuyến thăm quan trọng."
    assert len(_sentences(vi)) == 3
    assert fold("Ханой") in names(ru)
    assert {"lavrov", "ha", "noi", "son"} <= names(vi)


def test_markup_does_not_stop_matching():
    assert strip_markup(":func:`os.path.join` and ``None`` and *maxsize*") == "os.path.join and None and maxsize"
    assert set(terms(":func:`os.path.join`")) == {"os", "path", "join"}
    assert "valueerror" in names("It raises :exc:`ValueError` when lengths differ.")


def test_stemming_is_a_real_stemmer():
    assert stem("visits") == stem("visited") == stem("visiting")
    assert stem("general") != stem("generator")  # no more 5-letter prefix matches
    assert fold("Mélanie") == "melanie"


def test_numbers_dates_versions_and_markers():
    assert numbers("born 0262-02-18 in 3.11 for 12,000 [1]") >= {"0262-02-18", "3.11", "12000"}
    assert "1" not in numbers("Hanoi [1].")
    assert numbers("born in 1452") == {"1452"}


def test_identifiers_and_question_names():
    assert identifiers("What does functools.lru_cache do with zip()?") == {"functools.lru_cache", "zip"}
    assert question_names("Who is the mother of Ann Lee?") == {"ann", "lee"}
    assert question_names("Apart from Hanoi, where did he go?") == {"hanoi"}


def test_a_phrase_is_found_across_line_breaks_and_runs_of_spaces():
    from rag.text import find_spaced, trimmed_lines

    text = "Heading\n\nThe cached value can be\ncleared  here."
    assert find_spaced(text, "can be cleared here.") == (text.index("can"), len(text))
    assert find_spaced(text, "be removed") is None and find_spaced(text, "  ") is None
    assert trimmed_lines("\n  a  \n\n    b \n") == "a\n\n    b"
