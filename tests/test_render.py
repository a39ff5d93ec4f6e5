"""Markup rendered for reading: the shown text of a quote, while the quote itself stays the file's characters."""

from __future__ import annotations

from rag.answer.render import render, render_quote


def test_rest_roles_literals_and_emphasis_render_as_the_page_shows_them() -> None:
    assert render("Use :func:`md5` or :meth:`str.lower`.") == "Use md5() or str.lower()."
    assert render("Returns ``None`` when *maxsize* is **unbounded**.") == "Returns None when maxsize is unbounded."
    assert render("See :ref:`the tutorial <tut-intro>` and :class:`~collections.abc.Mapping`.") == (
        "See the tutorial and Mapping.")
    assert render("`Cython <https://cython.org/>`_ compiles Python.") == "Cython compiles Python."


def test_directives_render_as_the_sentence_a_reader_sees() -> None:
    assert render(".. versionadded:: 3.8") == "New in version 3.8."
    assert render(".. versionchanged:: 3.2\n   Added the *typed* option.") == (
        "Changed in version 3.2: Added the typed option.")
    assert render(".. deprecated:: 3.12 Use X instead.") == "Deprecated since version 3.12: Use X instead."
    assert render(".. method:: Path.unlink(missing_ok=False)") == "Path.unlink(missing_ok=False)"
    assert render(".. note:: Careful.") == "Note: Careful."


def test_a_literal_block_opener_shows_as_the_page_shows_it() -> None:
    assert render("leaving maxsize at its default value of 128::") == "leaving maxsize at its default value of 128:"
    assert render("For example: ::") == "For example:"
    assert render("Call ``a::b`` in C++.") == "Call a::b in C++."


def test_markdown_links_and_headings() -> None:
    assert render("## Install\nSee [the guide](http://x/y) for **details**.") == "Install\nSee the guide for details."


def test_plain_text_is_shown_as_it_is() -> None:
    assert render_quote("notes.txt", "5*3*2 is 30: see [1].") == "5*3*2 is 30: see [1]."
    assert render_quote("library/re.rst.txt", "Returns ``None``.") == "Returns None."
    assert render_quote("page.txt", "Call :func:`open` first.") == "Call open() first."


def test_units_that_say_little_alone_are_shown_with_what_they_belong_to() -> None:
    from rag.answer.render import shown_unit, table_row

    assert shown_unit("functools.rst.txt", ".. versionadded:: 3.8", "cached_property") == (
        "cached_property: New in version 3.8.")
    assert shown_unit("logging.rst.txt", "| ``ERROR``    | 40 |", "Level | Numeric value") == (
        "Level | Numeric value: ERROR | 40")
    assert table_row("| args | You shouldn't need to |\n|      | format this yourself. |") == (
        "args | You shouldn't need to format this yourself.")
    assert shown_unit("news.txt", "Lavrov met Son.") == "Lavrov met Son."


def test_a_passage_keeps_its_blocks_apart_and_its_code_line_by_line() -> None:
    from rag.answer.render import render_passage

    rest = ("How do I cache method calls?\n----------------------------\n\nThe two tools are\n"
            ":func:`functools.cached_property` and\n:func:`functools.lru_cache`.\n\nRoughly equivalent to::\n\n"
            "      def f(x):\n          return x\n\n   See :func:`itertools.accumulate` for\n   more.")
    assert render_passage("faq.rst.txt", rest) == (
        "How do I cache method calls?\n\nThe two tools are functools.cached_property() and functools.lru_cache()."
        "\n\nRoughly equivalent to:\n\ndef f(x):\n    return x\n\nSee itertools.accumulate() for more.")
    html_text = "1.6.5. The Oldstable Status\n\nEach Stable release has an\nexpected lifetime of 5 years."
    assert render_passage("handbook.html", html_text) == (
        "1.6.5. The Oldstable Status\n\nEach Stable release has an expected lifetime of 5 years.")
    markdown = "Run this:\n\n```sh\n$ cargo new hello\n\n$ cd hello\n```\n\nThen *build* it."
    assert render_passage("book.md", markdown) == "Run this:\n\n$ cargo new hello\n\n$ cd hello\n\nThen build it."
    assert render_passage("s.rst", ">>> 1 +\n... 2\n3") == ">>> 1 +\n... 2\n3"  # a session keeps its lines
    # a directive's body is prose, not code; a literal block inside it is code
    assert render_passage("a.rst", ".. note::\n\n   Careful here.\n\nNext.") == "Note:\n\nCareful here.\n\nNext."
    assert render_passage("a.rst", "   Does it::\n\n      f(1)\n\n   Then more.") == "Does it:\n\nf(1)\n\nThen more."
