"""Evidence units cut along the documents' structure, and the signal table computed once per candidate."""

from __future__ import annotations

import numpy as np

from rag.answer.candidates import candidate, feature_rows, local_coverage
from rag.answer.corpus import CorpusStats
from rag.answer.question import analyse
from rag.answer.rank import FEATURES
from rag.answer.units import passage_units
from rag.ingest.structure import rst_blocks
from rag.types import Passage

REST = """Caching
=======

.. decorator:: cached_property(func)

   Transform a method into a cached property. The cached value can be cleared by deleting the attribute.

   .. versionadded:: 3.8

+--------+-------+
| Level  | Value |
+========+=======+
| ERROR  | 40    |
+--------+-------+
"""


def _passage() -> Passage:
    return Passage("f.rst", 0, len(REST), REST, score=0.5, blocks=tuple(rst_blocks(REST)))


def test_units_skip_headings_keep_offsets_and_carry_path_header_and_signature() -> None:
    units = passage_units(_passage(), rank=0)
    got = [(u.kind, u.passage.text) for u in units]
    assert ("signature", ".. decorator:: cached_property(func)") in got
    assert ("prose", "The cached value can be cleared by deleting the attribute.") in got
    assert ("directive", ".. versionadded:: 3.8") in got
    assert ("table_row", "| ERROR  | 40    |") in got
    assert not any(t == "Caching" for _, t in got)  # a heading is context, not a unit
    for u in units:
        assert REST[u.passage.start : u.passage.end] == u.passage.text
    version = next(u for u in units if u.kind == "directive")
    assert version.passage.path == ("Caching", "cached_property")
    assert ".. decorator:: cached_property(func)" in version.context  # read with its entry's signature
    row = next(u for u in units if u.kind == "table_row")
    assert "Level | Value" in row.context  # read with the table's header row


def test_a_term_every_candidate_holds_weighs_nothing_among_them() -> None:
    # 'occupation' is in both units; only 'hobby' / 'job' tell them apart.
    got = local_coverage(["occup", "hobbi"], [frozenset({"occup", "hobbi"}), frozenset({"occup", "job"})])
    assert got[0] == 1.0 and got[1] < 0.5


def test_feature_rows_have_one_row_per_candidate_and_read_the_heading_path() -> None:
    q = analyse("When was cached_property added?")
    units = passage_units(_passage(), rank=0)
    scored = [candidate(u.passage, dense=0.5, lexical=0.2, kind=u.kind, context=u.context) for u in units]
    table = np.asarray(feature_rows(q, scored, CorpusStats.build([REST])))
    assert table.shape == (len(scored), len(FEATURES))
    col = {n: i for i, n in enumerate(FEATURES)}
    version = next(i for i, u in enumerate(units) if u.kind == "directive")
    assert table[version, col["path"]] > 0  # 'cached_property' stands in its path
    assert table[version, col["kind_directive"]] == 1.0
    assert np.all(table[:, col["dense"]] == 0.5)


def test_a_prose_unit_knows_the_sentence_before_it_in_its_section() -> None:
    text = ("In Bali his Canadian counterpart has warned she would not shake his hand.\n\n"
            "Canada's Foreign Affairs Minister Mélanie Joly told Canadian media she would confront him. "
            "She spoke on Monday and again on Tuesday to several reporters.\n")
    units = passage_units(Passage("news.txt", 0, len(text), text), 0)
    assert units[0].before == ""
    assert units[1].before == "In Bali his Canadian counterpart has warned she would not shake his hand."
    assert units[2].before.startswith("Canada's Foreign Affairs Minister Mélanie Joly told")
    rst = "Title\n=====\n\nFirst section ends here.\n\nOther\n=====\n\nA new section starts here.\n"
    blocks = rst_blocks(rst)
    units = passage_units(Passage("x.rst", 0, len(rst), rst, blocks=blocks), 0)
    assert [u.before for u in units] == ["", ""]  # a heading between them: not the same section


def test_a_sentence_is_shown_with_the_api_entry_or_the_term_it_stands_under() -> None:
    rst = """Exceptions
==========

Errors are raised as follows.

.. exception:: JSONDecodeError(msg, doc, pos)

   Subclass of :exc:`ValueError` with the following additional attributes:

   .. attribute:: msg

      The unformatted error message.

Options
=======

--threshold=<0--100>
   Functions are printed until their costs add up to this share. The default is 99%.

LONG_TERM
   Never shown with its term.
""".replace("LONG_TERM", "x" * 81)
    units = passage_units(Passage("json.rst", 0, len(rst), rst, blocks=tuple(rst_blocks(rst))), 0)
    shown = {u.passage.text: candidate(u.passage, 0.5, 0.2, kind=u.kind, label=u.label).shown for u in units}
    assert shown["Errors are raised as follows."] == "Errors are raised as follows."  # no entry: no name
    assert shown["Subclass of :exc:`ValueError` with the following additional attributes:"] == (
        "JSONDecodeError: Subclass of ValueError with the following additional attributes:")
    assert shown["The unformatted error message."] == "msg: The unformatted error message."
    assert shown["The default is 99%."] == "--threshold=<0--100>: The default is 99%."
    assert shown["Never shown with its term."] == "Never shown with its term."  # a term too long to lead it


def test_a_definition_in_a_web_page_is_shown_with_its_term_without_the_pages_link_signs() -> None:
    from rag.ingest.formats import extract_html

    page = (b"<html><body><main><h1>Paginator</h1><dl><dt>exception PageNotAnInteger<a href='#x'>[source]</a>"
            b"<a class='headerlink' href='#p'>\xc2\xb6</a></dt><dd><p>Raised when page() is given a value that "
            b"isn't an integer.</p><p>It subclasses InvalidPage.</p></dd><dt>Other</dt></dl><p>After the list, "
            b"nothing leads this sentence.</p></main></body></html>")
    ex = extract_html(page, "paginator.html")
    units = passage_units(Passage("paginator.html", 0, len(ex.text), ex.text, blocks=tuple(ex.blocks)), 0)
    shown = {u.passage.text: candidate(u.passage, 0.5, 0.2, kind=u.kind, label=u.label).shown for u in units}
    assert shown["Raised when page() is given a value that isn't an integer."] == (
        "exception PageNotAnInteger: Raised when page() is given a value that isn't an integer.")
    # its second paragraph too
    assert shown["It subclasses InvalidPage."] == "exception PageNotAnInteger: It subclasses InvalidPage."
    assert shown["After the list, nothing leads this sentence."] == "After the list, nothing leads this sentence."

