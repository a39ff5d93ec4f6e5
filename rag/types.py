"""Typed records that flow between the stages: ingest (Document), index (ChunkRecord, FileRecord, IndexInfo,
StoredFile, SyncReport), retrieval (Passage) and answering (Citation, AnswerSentence, Answer, AnswerEvent)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


def page_of(pages: tuple[int, ...], offset: int) -> int | None:
    """1-based number of the page holding ``offset``, or None when the document has no pages."""
    if not pages:
        return None
    return max(1, bisect_right(pages, offset))


BLOCK_KINDS = ("heading", "prose", "list_item", "term", "definition", "table_row", "note", "directive", "signature",
               "code", "meta")


@dataclass(frozen=True)
class Block:
    """One structural piece of a document: ``text[start:end]`` of its Document, of one kind, under a heading path.

    ``kind``: 'heading', 'prose', 'list_item', 'term' / 'definition' (a definition list), 'table_row', 'note' (an
    admonition's text), 'directive' (a version note: 'New in version 3.8.'), 'signature' (an API entry's
    '.. function:: name(args)' line), 'code' (a literal block, doctest or code line), 'meta' (markup with nothing
    to read: toctree, index, labels). ``path`` is the titles of the sections holding it and, inside an API entry,
    the entry's name (('functools', 'lru_cache')); a table row carries its table's header row in ``header``.
    """

    start: int
    end: int
    kind: str = "prose"
    path: tuple[str, ...] = ()
    header: str = ""

    def shifted(self, offset: int) -> Block:
        return replace(self, start=self.start + offset, end=self.end + offset)


@dataclass(frozen=True)
class Document:
    """A readable document; citation offsets index into ``text``.

    For a plain-text file ``text`` is the file decoded as UTF-8; for HTML, PDF and DOCX it is the extracted
    text (what `rag text FILE` prints). ``pages`` holds the start offset of each page of a PDF, else is empty.
    """

    path: Path
    source: str  # the name citations use (see Settings.display_path)
    text: str
    sha256: str  # of the file's bytes
    pages: tuple[int, ...] = ()
    blocks: tuple[Block, ...] = ()  # its structure, in order (rag.ingest.structure); empty: paragraphs of prose

    def page_at(self, offset: int) -> int | None:
        """1-based page holding ``offset`` (PDF), or None for documents without pages."""
        return page_of(self.pages, offset)


# 2: per-file records in a `<collection>_files` collection (rag/index/manifest.py); 3: chunks carry their blocks
# and heading path, and the embedding sees the path (rag/ingest/structure.py); 4: a PDF's text has no running
# headers/footers or page numbers, and a sentence cut by a page break is one block (rag/ingest/pdf_pages.py); 5: an
# HTML page's permalink signs after headings and entries ('¶', '[source]') are not text (rag/ingest/formats.py)
SCHEMA_VERSION = 5


# Chroma writes its vector index to disk after this many new vectors (default 1000); until then a vector lives only
# in its write-ahead log, and after a SIGKILL mid-build a stored chunk was sometimes unreachable by its own vector
# (tests/test_crash_resume.py: 2 failures in 5 runs with the default, none in 6 with 256; chroma-core/chroma
# #6975 and #7463 describe the mechanism). Set when a collection is created: older indexes keep theirs.
HNSW_SYNC_THRESHOLD = 256


@dataclass(frozen=True)
class IndexInfo:
    """What an index was built with; opening it with anything else would give wrong answers."""

    embedder: str
    dimension: int
    chunk_chars: int
    schema: int = SCHEMA_VERSION

    def as_metadata(self) -> dict[str, Any]:
        return {
            "hnsw:space": "cosine",
            "hnsw:sync_threshold": HNSW_SYNC_THRESHOLD,
            "embedder": self.embedder,
            "dimension": self.dimension,
            "chunk_chars": self.chunk_chars,
            "schema": self.schema,
        }

    @staticmethod
    def from_metadata(meta: dict[str, Any]) -> IndexInfo:
        """The settings a collection was built with, read back from its metadata (as_metadata's keys)."""
        return IndexInfo(meta["embedder"], meta["dimension"], meta["chunk_chars"], meta["schema"])


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk ready to store."""

    source: str
    sha256: str
    index: int
    total: int  # chunks of this file version; a file is complete when all are stored
    start: int
    end: int
    text: str
    page: int | None = None  # 1-based page of a PDF
    blocks: tuple[Block, ...] = ()  # the blocks of the chunk, offsets into the file's text
    path: tuple[str, ...] = ()  # heading path of the chunk (its first block that is not a heading)

    @property
    def id(self) -> str:
        return f"{self.sha256[:20]}:{self.index}:{self.source}"

    @staticmethod
    def source_of(chunk_id: str) -> str:
        """The source a chunk id names (the inverse of ``id``'s last part)."""
        return chunk_id.split(":", 2)[2]

    @property
    def embedding_text(self) -> str:
        """What the embedder sees: the heading path, then the text ('functools > lru_cache' + the entry)."""
        return f"{' > '.join(self.path)}\n{self.text}" if self.path else self.text


@dataclass
class StoredFile:
    """The versions of one source file found in the index."""

    complete: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)

    def is_exactly(self, sha256: str) -> bool:
        return self.complete == {sha256} and not self.partial


@dataclass(frozen=True)
class FileRecord:
    """What the index holds for one source file."""

    source: str
    sha256: str  # the complete version stored; "" when none is (a new file being added)
    total: int  # chunks of that version
    dirty: bool = False  # other chunks of this source may be stored: clean up before trusting the record

    def marked(self) -> FileRecord:
        return replace(self, dirty=True)

    def as_metadata(self) -> dict[str, Any]:
        return {"source": self.source, "sha256": self.sha256, "total": self.total, "dirty": self.dirty}

    @staticmethod
    def from_metadata(meta: dict[str, Any]) -> FileRecord:
        return FileRecord(source=str(meta["source"]), sha256=str(meta["sha256"]), total=int(meta["total"]),
                          dirty=bool(meta["dirty"]))


@dataclass
class SyncReport:
    """What one sync changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # source -> reason
    recovered: list[str] = field(default_factory=list)  # files an interrupted run left half-written, now fixed
    chunks_embedded: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0  # of ``seconds``, loading the embedding model (only when something needed it)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.recovered)

    @property
    def chunks_per_second(self) -> float:
        """Indexing rate, model loading excluded."""
        busy = self.seconds - self.load_seconds
        return self.chunks_embedded / busy if busy > 0 else 0.0

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.skipped)} skipped",
        ]
        if self.recovered:
            parts.append(f"{len(self.recovered)} interrupted file(s) cleaned up")
        rate = f" ({self.chunks_per_second:.1f} chunks/s" if self.chunks_embedded else ""
        if rate and self.load_seconds >= 0.05:
            rate += f", after {self.load_seconds:.1f}s loading the embedder"
        rate += ")" if rate else ""
        parts.append(f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f}s{rate}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation: the question, and the answer shown for it ('' when not known)."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Passage:
    """A piece of a source file: ``file_text[start:end] == text`` (for HTML/PDF/DOCX, the extracted text)."""

    source: str
    start: int
    end: int
    text: str
    score: float = 0.0
    page: int | None = None  # 1-based page of a PDF; None for files without pages
    blocks: tuple[Block, ...] = ()  # its structure (offsets into the file's text); empty: paragraphs of prose
    path: tuple[str, ...] = ()  # heading path ('functools', 'lru_cache')

    @property
    def breadcrumb(self) -> str:
        return " > ".join(self.path)

    def holds(self, other: Passage) -> bool:
        """Whether ``other``'s characters are all within this passage of the same file."""
        return self.source == other.source and self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer, as printed and returned in JSON."""

    n: int
    source: str
    start: int
    end: int
    quote: str  # exactly the file's characters start:end (for HTML/PDF/DOCX, of the extracted text)
    score: float
    page: int | None = None  # 1-based page of a PDF; None (JSON null) for files without pages
    shown: str = ""  # the quote as a reader of the rendered page sees it (markup resolved); what is displayed
    breadcrumb: str = ""  # the heading path of the quote ('functools > lru_cache')

    @property
    def display(self) -> str:
        """The text to show for the quote: its rendering, one line."""
        return " ".join((self.shown or self.quote).split())

    @property
    def location(self) -> str:
        """'file.pdf, p. 3' for a PDF page, else the source."""
        return self.source if self.page is None else f"{self.source}, p. {self.page}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


SHORT_ORIGINS = ("model", "short", "list")  # the sentences that make an answer's short answer


@dataclass(frozen=True)
class AnswerSentence:
    """One shown sentence of an answer. ``origin``: 'model' (a checked model sentence), 'short' (the value asked
    for, read off a cited unit), 'quote' (evidence quoted verbatim), 'list' (a count or list read off a cited
    sentence), 'conflict' (a rival source's figure), 'refusal' or 'not_sure' (the line before the passages
    most likely to answer). ``claim`` is what it asserts: the model's words
    or the quoted evidence, without lead-in."""

    text: str  # as shown, with its citation markers
    claim: str
    citations: tuple[int, ...]
    origin: str
    highlight: tuple[int, int] | None = None  # [start, end) of ``text`` that is the answer ('$5.54 billion')

    def marked(self, before: str, after: str) -> str:
        """``text`` with its highlight wrapped: marked('**', '**') for Markdown, ANSI bold for a terminal."""
        if self.highlight is None:
            return self.text
        a, b = self.highlight
        return f"{self.text[:a]}{before}{self.text[a:b]}{after}{self.text[b:]}"

    @property
    def separator(self) -> str:
        """What stands before it in the answer: a quote and a rival's figure have lines of their own."""
        return "\n" if self.origin in ("quote", "conflict") else " "

    @property
    def highlighted(self) -> str:
        """The highlighted part of ``text``; empty when none is."""
        return self.text[self.highlight[0] : self.highlight[1]] if self.highlight else ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "claim": self.claim, "citations": list(self.citations), "origin": self.origin,
                "highlight": list(self.highlight) if self.highlight else None}


@dataclass
class Answer:
    """The checked answer to a question, with its citations and what was removed on the way."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    timings_ms: dict[str, float] = field(default_factory=dict)
    raw_answer: str = ""  # the model's text before checking
    removed: list[str] = field(default_factory=list)  # model sentences the checker rejected
    # model sentences that held up and were not shown: they said more than the quote, and the model is a packaged
    # one (Settings.shows_model_sentences)
    unshown: list[str] = field(default_factory=list)
    fallback: bool = False  # True when the answer quotes the evidence because no model sentence held up
    retrieved_sources: list[str] = field(default_factory=list)  # files of the retrieved passages, best first
    sentences: list[AnswerSentence] = field(default_factory=list)  # the answer, sentence by sentence
    decision: str = ""  # why it was refused, or how the refusal threshold was set
    refusal: str = ""  # the refusal rule's code when refused (rag.answer.refusal.CODES)
    status: str = "answered"  # 'answered', 'not_sure' (confidence below the operating point) or 'refused'
    confidence: float | None = None  # the probability that the shown answer holds the asked fact
    understood: str = ""  # the question as answered: a follow-up's pronoun resolved by the previous answer

    def marked(self, before: str, after: str) -> str:
        """The answer with each sentence's highlight wrapped in ``before`` and ``after``."""
        if not self.sentences:
            return self.answer
        return "".join((s.separator if i else "") + s.marked(before, after) for i, s in enumerate(self.sentences))

    @property
    def short(self) -> str:
        """The short answer: what stands before the quote (the model's sentences, or the value asked for)."""
        return " ".join(s.text for s in self.sentences if s.origin in SHORT_ORIGINS)

    @property
    def short_origin(self) -> str | None:
        """Where the short answer comes from: 'model' (a checked model sentence or phrase), 'short' (the value or
        name read off a cited unit), 'list' (a count read off one), joined by '+' when mixed; None without one."""
        found = [o for o in SHORT_ORIGINS if any(s.origin == o for s in self.sentences)]
        return "+".join(found) or None

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "understood": self.understood or self.question,
            "answer": self.answer,
            "short": self.short,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "raw_answer": self.raw_answer,
            "removed": self.removed,
            "unshown": self.unshown,
            "sentences": [s.to_json() for s in self.sentences],
            "decision": self.decision,
            "refusal": self.refusal or None,
            "status": self.status,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }


@dataclass(frozen=True)
class AnswerEvent:
    """One step of a streamed answer.

    kind "token": raw model text (a draft, not yet checked); "text": checked answer text to append;
    "done": the final Answer.
    """

    kind: str
    text: str = ""
    answer: Answer | None = None
    sentence: AnswerSentence | None = None  # of a "text" event: the sentence it shows (its highlight), if any

    def marked(self, before: str, after: str) -> str:
        """The text with its sentence's highlight wrapped (see AnswerSentence.marked)."""
        if self.sentence is None or self.sentence.highlight is None or not self.text.endswith(self.sentence.text):
            return self.text
        return self.text[: len(self.text) - len(self.sentence.text)] + self.sentence.marked(before, after)
