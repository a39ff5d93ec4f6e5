"""Find and read the documents of a folder: text plus a content hash, or a reason it cannot be read."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from rag.errors import DocsFolderMissing, DocumentUnreadable
from rag.ingest.formats import EXTRACTED_SUFFIXES, extract
from rag.ingest.structure import document_blocks, plain_blocks, structure_suffix
from rag.types import Document

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".rst"})
# Every suffix the index reads: plain text as it is, HTML/PDF/DOCX through rag.ingest.formats.
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | EXTRACTED_SUFFIXES
SUPPORTED_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))
MAX_FILE_BYTES = 50 * 1024 * 1024


def list_documents(folder: Path) -> list[Path]:
    """All files under ``folder`` with a supported suffix, sorted, hidden files and folders skipped."""
    if not folder.is_dir():
        raise DocsFolderMissing(
            f"The documents folder {folder} does not exist. Create it and put documents ({SUPPORTED_LIST}) in it, "
            "or point RAG_DOCS_DIR / --docs at another folder."
        )
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            found.append(path)
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_document(path: Path, source: str) -> Document:
    """Read one document (plain text as it is, HTML/PDF/DOCX extracted). Raises DocumentUnreadable with the
    reason when it gives no usable text."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentUnreadable(f"{source}: unsupported file type {path.suffix!r}; use one of {SUPPORTED_LIST}.")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DocumentUnreadable(f"{source}: file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"{source}: cannot be read ({exc.strerror or exc}).") from exc
    if not raw.strip():
        raise DocumentUnreadable(f"{source}: file is empty.")
    sha256 = hashlib.sha256(raw).hexdigest()
    if suffix in EXTRACTED_SUFFIXES:
        extracted = extract(raw, suffix, source)
        blocks = extracted.blocks or tuple(plain_blocks(extracted.text))
        return Document(path=path, source=source, text=extracted.text, sha256=sha256, pages=extracted.pages,
                        blocks=blocks)
    if b"\x00" in raw[:8192]:
        raise DocumentUnreadable(f"{source}: looks like a binary file, not text.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(
            f"{source}: is not valid UTF-8 text (byte {exc.start}); save it as UTF-8 and index again."
        ) from exc
    blocks = tuple(document_blocks(text, structure_suffix(path.name, text)))
    return Document(path=path, source=source, text=text, sha256=sha256, blocks=blocks)
