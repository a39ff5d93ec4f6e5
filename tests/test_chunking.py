"""Offsets of paragraphs, sentences and chunks: ``text[start:end]`` is always the piece."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.ingest.chunking import Span, chunk_blocks, chunk_text, paragraphs, sentences
from rag.types import Block, page_of

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test-only dependency
    given = None

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))

TRICKY = [
    "",
    "   \n\n \t ",
    "The U.S. Secretary of State met Mr. Smith on Tuesday. They talked for an hour.",
    'He said "Go home." Then he left. She shouted "Stop!" Nobody did.',
    "Headline without a stop\nBody text here. More text.\n\n\nAnother paragraph.\r\n\r\nWindows lines.",
    "word " * 400,
    "x" * 1234,
    "A paragraph. " * 80 + "\n\n" + "Second one, short.",
    "Mélanie Joly visited Hanoi – the capital – in 2022… Then “she left.” Done!",
    "\n\n  Leading and trailing blank lines.  \n\n",
]


def _pieces(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


def _assert_well_formed(text: str, spans: list[Span]) -> None:
    """Spans are non-empty, stripped, inside the text, ordered and non-overlapping."""
    previous_end = 0
    for span in spans:
        piece = text[span.start : span.end]
        assert 0 <= span.start < span.end <= len(text)
        assert piece == piece.strip(), f"piece not stripped: {piece!r}"
        assert span.start >= previous_end, f"span {span} overlaps or precedes the one before"
        previous_end = span.end


def _non_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _assert_covers(text: str, spans: list[Span]) -> None:
    """Every non-whitespace character of the text is inside some span (spans are ordered)."""
    assert _non_whitespace("".join(_pieces(text, spans))) == _non_whitespace(text)


def test_seed_files_exist() -> None:
    assert len(SEEDS) >= 1


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seed_paragraphs_and_sentences_round_trip(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    paras = paragraphs(text)
    _assert_well_formed(text, paras)
    _assert_covers(text, paras)
    for para in paras:
        sents = sentences(text, para.start, para.end)
        _assert_well_formed(text, sents)
        assert all(para.start <= s.start and s.end <= para.end for s in sents)
        assert _non_whitespace("".join(_pieces(text, sents))) == _non_whitespace(text[para.start : para.end])


@pytest.mark.parametrize("max_chars", [50, 120, 300, 700, 2000])
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seed_chunks_round_trip(path: Path, max_chars: int) -> None:
    text = path.read_text(encoding="utf-8")
    chunks = chunk_text(text, max_chars)
    assert chunks
    _assert_well_formed(text, chunks)
    _assert_covers(text, chunks)
    assert all(c.end - c.start <= max_chars for c in chunks)


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
@pytest.mark.parametrize("max_chars", [50, 80, 200])
def test_tricky_strings_round_trip(text: str, max_chars: int) -> None:
    for spans in (paragraphs(text), sentences(text), chunk_text(text, max_chars)):
        _assert_well_formed(text, spans)
        _assert_covers(text, spans)
    assert all(c.end - c.start <= max_chars for c in chunk_text(text, max_chars))


def test_abbreviations_do_not_end_a_sentence() -> None:
    text = "The U.S. Secretary of State met Mr. Smith and Dr. Jones. They talked."
    assert _pieces(text, sentences(text)) == [
        "The U.S. Secretary of State met Mr. Smith and Dr. Jones.",
        "They talked.",
    ]


def test_decimal_numbers_do_not_end_a_sentence() -> None:
    text = "It costs 5.54 dollars. Next one."
    assert _pieces(text, sentences(text)) == ["It costs 5.54 dollars.", "Next one."]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = 'He said "Go home." Then he left. She shouted \u201cStop!\u201d Nobody moved.'
    assert _pieces(text, sentences(text)) == [
        'He said "Go home."',
        "Then he left.",
        "She shouted \u201cStop!\u201d",
        "Nobody moved.",
    ]


def test_lower_case_after_quote_is_the_same_sentence() -> None:
    text = 'He said "Go home." then he left.'
    assert _pieces(text, sentences(text)) == [text]


def test_single_newline_ends_a_sentence() -> None:
    text = "Russian minister in Vietnam\nLavrov visited Hanoi. He met Chinh."
    assert _pieces(text, sentences(text)) == [
        "Russian minister in Vietnam",
        "Lavrov visited Hanoi.",
        "He met Chinh.",
    ]


def test_sentences_of_a_range_are_spans_of_the_whole_text() -> None:
    text = "Intro.\n\nFirst sentence here. Second one there.\n\nOutro."
    para = paragraphs(text)[1]
    spans = sentences(text, para.start, para.end)
    assert _pieces(text, spans) == ["First sentence here.", "Second one there."]
    assert spans[0].start == text.index("First")


def test_paragraphs_split_on_blank_lines_only() -> None:
    text = "  One line\nsame paragraph.\n \n\t\nTwo.\r\n\r\nThree.  "
    assert _pieces(text, paragraphs(text)) == ["One line\nsame paragraph.", "Two.", "Three."]


def test_empty_and_blank_text_give_no_pieces() -> None:
    for text in ("", "   ", "\n\n\n", " \t\r\n "):
        assert paragraphs(text) == []
        assert sentences(text) == []
        assert chunk_text(text, 100) == []


def test_long_paragraph_without_punctuation_is_wrapped_at_spaces() -> None:
    text = " ".join(f"word{i:03d}" for i in range(300))  # 2399 characters, no sentence end
    chunks = chunk_text(text, 100)
    assert len(chunks) > 1
    assert all(c.end - c.start <= 100 for c in chunks)
    # Wrapping at spaces never cuts a word in two.
    assert all(re.fullmatch(r"word\d{3}( word\d{3})*", text[c.start : c.end]) for c in chunks)
    _assert_covers(text, chunks)


def test_long_run_without_spaces_is_hard_cut() -> None:
    text = "x" * 1000
    chunks = chunk_text(text, 100)
    assert [(c.start, c.end) for c in chunks] == [(i, i + 100) for i in range(0, 1000, 100)]


def test_small_paragraphs_are_packed_together() -> None:
    text = "Alpha one.\n\nBeta two.\n\nGamma three."
    chunks = chunk_text(text, 200)
    assert len(chunks) == 1
    assert text[chunks[0].start : chunks[0].end] == text


def test_chunk_text_never_splits_a_paragraph_that_fits() -> None:
    para_a = "A" * 60 + "."
    para_b = "B" * 60 + "."
    text = f"{para_a}\n\n{para_b}"
    assert _pieces(text, chunk_text(text, 100)) == [para_a, para_b]


@pytest.mark.parametrize("max_chars", [-1, 0, 1, 49])
def test_too_small_chunk_size_raises_config_error(max_chars: int) -> None:
    with pytest.raises(ConfigError, match="too small"):
        chunk_text("Some text.", max_chars)


def test_smallest_allowed_chunk_size_works() -> None:
    assert chunk_text("Some text.", 50) == [Span(0, 10)]


def _chunk_texts(text: str, chunks: list[tuple[Span, tuple[Block, ...]]]) -> list[str]:
    return [text[span.start : span.end] for span, _ in chunks]


def test_a_block_running_over_a_page_is_one_chunk_and_the_next_page_block_starts_another() -> None:
    # A PDF sentence cut by a page break is one block that starts on page 1 (rag.ingest.pdf_pages).
    text = "Alpha is first. Beta runs over\nthe page. Gamma ends it.\n\nDelta."
    pages = (0, text.index("the page"))
    blocks = (Block(0, text.index("\n\n")), Block(text.index("Delta"), len(text)))
    chunks = chunk_blocks(text, blocks, 200, pages)
    # Delta would fit in the first chunk, but it is a block of its own on page 2.
    assert _chunk_texts(text, chunks) == ["Alpha is first. Beta runs over\nthe page. Gamma ends it.", "Delta."]
    assert [page_of(pages, span.start) for span, _ in chunks] == [1, 2]


def test_pieces_of_a_long_block_over_a_page_may_share_a_chunk() -> None:
    text = "Alpha is first. Beta runs over\nthe page. Gamma ends it. Delta is a longer sentence at the end."
    pages = (0, text.index("the page"))
    chunks = chunk_blocks(text, (Block(0, len(text)),), 60, pages)
    # Gamma starts on page 2 but is a piece of the block that started on page 1: only size ends the chunk.
    assert _chunk_texts(text, chunks) == ["Alpha is first. Beta runs over\nthe page. Gamma ends it.",
                                          "Delta is a longer sentence at the end."]
    assert [held[0].start for _, held in chunks] == [0, text.index("Delta")]


if given is not None:
    _ALPHABET = st.sampled_from(list("ab Z.!?\"')[\n\t\r") + ["U.S.", "Mr.", "é", "”", "“", "5.4", "  ", "\n\n"])

    @settings(max_examples=300, deadline=None)
    @given(text=st.lists(_ALPHABET, max_size=200).map("".join), max_chars=st.integers(min_value=50, max_value=150))
    def test_chunk_text_offsets_property(text: str, max_chars: int) -> None:
        chunks = chunk_text(text, max_chars)
        _assert_well_formed(text, chunks)
        _assert_covers(text, chunks)
        assert all(c.end - c.start <= max_chars for c in chunks)

    @settings(max_examples=200, deadline=None)
    @given(text=st.text(max_size=400), max_chars=st.integers(min_value=50, max_value=400))
    def test_chunk_text_offsets_property_any_unicode(text: str, max_chars: int) -> None:
        chunks = chunk_text(text, max_chars)
        _assert_well_formed(text, chunks)
        _assert_covers(text, chunks)
        assert all(c.end - c.start <= max_chars for c in chunks)

else:  # pragma: no cover

    @pytest.mark.skip(reason="hypothesis is not installed")
    def test_chunk_text_offsets_property() -> None:
        pass
