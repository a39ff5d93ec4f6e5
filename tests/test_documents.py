"""Finding and reading documents: which files count, and a clear reason for each one that cannot be read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import unreadable_reason

from rag.errors import DocsFolderMissing
from rag.ingest.documents import list_documents, read_document


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_list_documents_finds_supported_files_sorted_and_recursively(tmp_path: Path) -> None:
    for name in ["b.txt", "a.md", "sub/c.markdown", "sub/deeper/d.rst", "e.text", "UPPER.TXT"]:
        _write(tmp_path / name, "text")
    found = [p.relative_to(tmp_path).as_posix() for p in list_documents(tmp_path)]
    assert found == sorted(found)
    assert set(found) == {"b.txt", "a.md", "sub/c.markdown", "sub/deeper/d.rst", "e.text", "UPPER.TXT"}


def test_list_documents_skips_hidden_files_and_folders(tmp_path: Path) -> None:
    _write(tmp_path / "visible.txt", "text")
    _write(tmp_path / ".hidden.txt", "text")
    _write(tmp_path / ".git" / "notes.txt", "text")
    _write(tmp_path / "sub" / ".cache" / "x.md", "text")
    assert list_documents(tmp_path) == [tmp_path / "visible.txt"]


def test_list_documents_skips_unsupported_suffixes_and_folders(tmp_path: Path) -> None:
    _write(tmp_path / "keep.txt", "text")
    for name in ["data.csv", "sheet.xlsx", "notes.doc", "no_suffix", "archive.txt.gz", "page.pdf.bak"]:
        _write(tmp_path / name, "text")
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "folder.pdf").mkdir()
    assert list_documents(tmp_path) == [tmp_path / "keep.txt"]


def test_list_documents_finds_html_pdf_and_docx(tmp_path: Path) -> None:
    for name in ["a.txt", "b.html", "c.HTM", "d.pdf", "e.docx", "f.PDF"]:
        _write(tmp_path / name, "text")
    found = [p.name for p in list_documents(tmp_path)]
    assert found == ["a.txt", "b.html", "c.HTM", "d.pdf", "e.docx", "f.PDF"]


def test_list_documents_of_an_empty_folder(tmp_path: Path) -> None:
    assert list_documents(tmp_path) == []


def test_missing_folder_raises_docs_folder_missing(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DocsFolderMissing) as info:
        list_documents(missing)
    assert str(missing) in str(info.value)
    assert "RAG_DOCS_DIR" in str(info.value)


def test_read_utf8_document_with_its_hash(tmp_path: Path) -> None:
    text = "Mélanie Joly visited Hanoi.\nPrices rose 5 % — “quietly”.\n"
    path = _write(tmp_path / "doc.txt", text)
    doc = read_document(path, "docs/doc.txt")
    assert doc.text == text
    assert doc.path == path
    assert doc.source == "docs/doc.txt"
    assert doc.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_same_content_gives_the_same_hash(tmp_path: Path) -> None:
    a = read_document(_write(tmp_path / "a.txt", "same"), "a.txt")
    b = read_document(_write(tmp_path / "b.md", "same"), "b.md")
    c = read_document(_write(tmp_path / "c.txt", "other"), "c.txt")
    assert a.sha256 == b.sha256 != c.sha256


def test_zero_byte_file_is_unreadable(tmp_path: Path) -> None:
    assert "empty" in unreadable_reason(_write(tmp_path / "zero.txt", b""))


def test_whitespace_only_file_is_unreadable(tmp_path: Path) -> None:
    assert "empty" in unreadable_reason(_write(tmp_path / "blank.txt", b"  \n\t\r\n  "))


def test_binary_file_with_txt_suffix_is_unreadable(tmp_path: Path) -> None:
    reason = unreadable_reason(_write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"))
    assert "binary" in reason


def test_utf16_file_is_reported_as_binary(tmp_path: Path) -> None:
    assert "binary" in unreadable_reason(_write(tmp_path / "utf16.txt", "hello".encode("utf-16")))


def test_invalid_utf8_is_unreadable_with_the_byte_offset(tmp_path: Path) -> None:
    reason = unreadable_reason(_write(tmp_path / "latin1.txt", "café au lait".encode("latin-1")))
    assert "UTF-8" in reason
    assert "byte 3" in reason


@pytest.mark.parametrize("name", ["report.xlsx", "notes.doc", "no_suffix"])
def test_unsupported_suffix_is_unreadable(tmp_path: Path, name: str) -> None:
    reason = unreadable_reason(_write(tmp_path / name, "plain text"))
    assert "unsupported file type" in reason
    for suffix in (".txt", ".md", ".pdf", ".docx", ".html"):
        assert suffix in reason


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert "cannot be read" in unreadable_reason(tmp_path / "gone.txt")
