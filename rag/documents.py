"""Find and read the documents of a folder: text plus a content hash, or a reason it cannot be read."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from rag.errors import DocsFolderMissing, DocumentUnreadable

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".rst"})
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """A readable document. ``text`` is the file decoded as UTF-8; citation offsets index into it."""

    path: Path
    source: str  # the name citations use (see Settings.display_path)
    text: str
    sha256: str


def list_documents(folder: Path) -> list[Path]:
    """All files under ``folder`` with a supported suffix, sorted, hidden files and folders skipped."""
    if not folder.is_dir():
        raise DocsFolderMissing(
            f"The documents folder {folder} does not exist. Create it and put .txt or .md files in it, "
            "or point RAG_DOCS_DIR / --docs at another folder."
        )
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
            found.append(path)
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_document(path: Path, source: str) -> Document:
    """Read one text file. Raises DocumentUnreadable with the reason when it is not usable text."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise DocumentUnreadable(f"{source}: unsupported file type {path.suffix!r}; use .txt or .md.")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DocumentUnreadable(f"{source}: file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"{source}: cannot be read ({exc.strerror or exc}).") from exc
    if not raw.strip():
        raise DocumentUnreadable(f"{source}: file is empty.")
    if b"\x00" in raw[:8192]:
        raise DocumentUnreadable(f"{source}: looks like a binary file, not text.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(
            f"{source}: is not valid UTF-8 text (byte {exc.start}); save it as UTF-8 and index again."
        ) from exc
    return Document(path=path, source=source, text=text, sha256=hashlib.sha256(raw).hexdigest())
