"""Pure helpers of the web chat: upload file names and the sources panel HTML."""

from __future__ import annotations

import dataclasses
import re

import pytest

from rag.serve.chat import MAX_NAME_CHARS, draft_markdown, safe_filename, sources_html
from rag.types import Answer, Citation

# safe_filename


def _assert_plain(name: str) -> None:
    assert name
    assert "/" not in name and "\\" not in name
    assert not name.startswith(".")
    assert ".." not in name


@pytest.mark.parametrize(
    "raw",
    ["../../x.txt", "..\\..\\x.txt", "/etc/../../x.txt", "a/b/../../../x.txt", "C:\\Users\\me\\x.txt"],
)
def test_safe_filename_drops_folders_and_dot_dot(raw: str) -> None:
    name = safe_filename(raw)
    _assert_plain(name)
    assert name == "x.txt"


def test_safe_filename_bounds_a_long_name() -> None:
    raw = "a" * 496 + ".txt"
    assert len(raw) == 500
    name = safe_filename(raw)
    assert name == "a" * MAX_NAME_CHARS + ".txt"
    assert len(name) <= MAX_NAME_CHARS + len(".txt")


@pytest.mark.parametrize("raw", ["x." + "b" * 498, "x.t<x>t"], ids=["long-suffix", "odd-suffix"])
def test_safe_filename_sanitises_and_bounds_the_suffix(raw: str) -> None:
    name = safe_filename(raw)
    assert len(name) <= MAX_NAME_CHARS + 16
    assert re.fullmatch(r"[\w.\- ]+", name)


def test_safe_filename_replaces_odd_characters() -> None:
    name = safe_filename('my <report> & "notes"?|*:.MD')
    assert name.endswith(".md")
    assert re.fullmatch(r"[\w.\- ]+", name)
    assert name.startswith("my _report_")


def test_safe_filename_keeps_unicode_letters_and_lowers_the_suffix() -> None:
    assert safe_filename("Résumé 2022.TXT") == "Résumé 2022.txt"


@pytest.mark.parametrize("raw", ["", ".", "..", "...", "../../", "  "])
def test_safe_filename_of_nothing_but_dots_is_a_default_name(raw: str) -> None:
    assert safe_filename(raw) == "document"


def test_safe_filename_with_only_dots_before_the_suffix() -> None:
    assert safe_filename("....txt") == "document.txt"


def test_safe_filename_does_not_create_hidden_files() -> None:
    assert safe_filename(".bashrc") == "bashrc"
    assert safe_filename(".hidden.txt") == "hidden.txt"


# sources_html


def _answer(answer: str, quote: str, *, refused: bool = False, source: str = "seeds/news.txt") -> Answer:
    from rag.answer.checking import parse_citations, split_answer
    from rag.types import AnswerSentence

    citation = Citation(n=1, source=source, start=10, end=10 + len(quote), quote=quote, score=0.8123)
    sentences = [AnswerSentence(part, *parse_citations(part), "model") for part in split_answer(answer)]
    sentences = [AnswerSentence(s.text, s.claim, tuple(s.citations), s.origin) for s in sentences]
    return Answer(question="Who visited Vietnam?", answer=answer, refused=refused, citations=[citation],
                  sentences=sentences)


def test_sources_html_escapes_the_quote_and_the_source() -> None:
    html = sources_html(
        _answer("Lavrov visited Vietnam [1].", 'Lavrov <script>alert("x")</script> & co', source="seeds/a<b>.txt")
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp; co" in html
    assert "&quot;x&quot;" in html
    assert "a&lt;b&gt;.txt" in html
    assert "<b>[1] a&lt;b&gt;.txt</b>" in html


def test_sources_html_marks_the_words_that_support_the_answer() -> None:
    html = sources_html(_answer("Lavrov visited Vietnam [1].", "On Wednesday Lavrov visited Vietnam and Laos."))
    marked = re.findall(r"<mark>(.*?)</mark>", html)
    assert marked == ["Lavrov", "visited", "Vietnam"]
    assert "Laos" in html and "<mark>Laos</mark>" not in html


def test_sources_html_marks_the_answer_span_alone_when_the_answer_highlights_one() -> None:
    from rag.types import AnswerSentence

    quote = "Trade reached U.S. $5.54 billion in 2021, a 14 percent increase."
    answer = _answer("", quote)
    answer.sentences = [AnswerSentence("U.S. $5.54 billion [1].", "U.S. $5.54 billion", (1,), "short", (0, 18)),
                        AnswerSentence(f'"{quote}" [1]', quote, (1,), "quote", (15, 33))]
    html = sources_html(answer)
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", html) == ["U.S. $5.54 billion"]
    assert '<mark class="rag-answer">' in html


def test_answer_markdown_bolds_the_span_and_breaks_lines() -> None:
    from rag.serve.chat import answer_markdown
    from rag.types import AnswerSentence

    quote = "Trade reached $5.54 billion."
    answer = Answer(question="How much?", answer=f'$5.54 billion [1].\n"{quote}" [1]', refused=False, citations=[],
                    sentences=[AnswerSentence("$5.54 billion [1].", "$5.54 billion", (1,), "short", (0, 13)),
                               AnswerSentence(f'"{quote}" [1]', quote, (1,), "quote", (15, 28))])
    assert answer_markdown(answer) == '**$5.54 billion** [1].  \n"Trade reached **$5.54 billion**." [1]'


def test_answer_markdown_keeps_a_quoted_passages_blank_lines_and_code_indentation() -> None:
    from rag.serve.chat import answer_markdown
    from rag.types import AnswerSentence

    quote = "Roughly:\n\ndef f(x):\n    return x"
    answer = Answer(question="How?", answer=f'"{quote}" [1]', refused=False, citations=[],
                    sentences=[AnswerSentence(f'"{quote}" [1]', quote, (1,), "quote", None)])
    assert answer_markdown(answer) == '"Roughly:  \n  \ndef f(x):  \n\u00a0\u00a0\u00a0\u00a0return x" [1]'
    from rag.serve.chat import markdown_lines

    assert markdown_lines("x\n# a comment\n- item\n2. step\n**bold** [1].\n-3") == (
        "x  \n\\# a comment  \n\\- item  \n2\\. step  \n**bold** [1].  \n-3")  # shown as written


def test_sources_html_shows_a_not_sure_answers_passages_with_their_lines() -> None:
    from rag.types import AnswerSentence

    shown = "Caching\n\nThe cached value can be\ncleared.\n\ndef f():\n    pass"
    answer = _answer("", shown)
    answer.citations = [dataclasses.replace(answer.citations[0], shown=shown)]
    answer.status = "not_sure"
    answer.sentences = [AnswerSentence(f'"{shown}" [1]', shown, (1,), "quote", (10, 42))]
    html = sources_html(answer)
    assert "Caching<br><br>" in html and "<br>&nbsp;&nbsp;&nbsp;&nbsp;pass" in html
    assert re.findall(r'<mark class="rag-answer">(.*?)</mark>', html) == ["The cached value can be<br>cleared."]


def test_sources_html_marks_nothing_for_an_uncited_answer() -> None:
    html = sources_html(_answer("Lavrov visited Vietnam.", "Lavrov visited Vietnam."))
    assert "<mark>" not in html


def test_sources_html_shows_offsets_score_and_collapses_whitespace() -> None:
    html = sources_html(_answer("x [1].", "Line one\n\n  line   two."))
    assert "characters 10-33" in html  # start=10, end=10 + len(quote)
    assert "score 0.81" in html
    assert "Line one line two." in html
    assert "<h3>Sources</h3>" in html


def test_sources_html_titles_a_refusal_differently() -> None:
    html = sources_html(_answer("", "Some nearby passage.", refused=True))
    assert '<h3 class="rag-refused-sources">Nearest passages (they do not answer the question)</h3>' in html


def test_sources_html_without_citations() -> None:
    answer = Answer(question="q", answer="", refused=True, citations=[])
    assert sources_html(answer) == "<p><em>No sources.</em></p>"


def test_the_draft_panel_says_how_a_follow_up_was_read():
    answer = Answer(question="Who is its foreign minister?", understood="Who is Mongolia's foreign minister?",
                    answer="Battsetseg Batmunkh [1].", refused=False, citations=[], raw_answer="Batmunkh.")
    assert draft_markdown(answer).startswith("**Read as:** Who is Mongolia&#x27;s foreign minister?")
    alone = Answer(question="Who is Lavrov?", understood="Who is Lavrov?", answer="x", refused=False, citations=[],
                   raw_answer="x")
    assert "Read as" not in draft_markdown(alone)


def test_the_draft_panel_lists_the_sentences_that_held_up_and_were_not_shown():
    answer = Answer(question="Who was Trina Glasgow's father?", answer="Doug Glasgow [1].", refused=False,
                    citations=[], raw_answer="The father of Leena Glasgow was Booker Mena.",
                    unshown=["The father of Leena Glasgow was Booker Mena."])
    panel = draft_markdown(answer)
    assert "**Held up against the passages, not shown**" in panel and "RAG_MODEL_SENTENCES=on" in panel
    assert panel.endswith("- The father of Leena Glasgow was Booker Mena.")
    assert answer.to_json()["unshown"] == ["The father of Leena Glasgow was Booker Mena."]
