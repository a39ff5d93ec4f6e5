"""The web chat's logic, kept apart from Gradio widgets so it can be tested by calling it.

Each conversation's history travels with its request (Gradio state), so concurrent users never share answers.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.app import App
from rag.errors import DocumentUnreadable, IndexBroken, IndexMissing, RagError
from rag.ingest.documents import MAX_FILE_BYTES, SUPPORTED_LIST, SUPPORTED_SUFFIXES
from rag.llm.pool import ModelPool
from rag.text import find_spaced, terms, trimmed_lines
from rag.types import Answer, Citation, Turn

log = logging.getLogger(__name__)

Message = dict[str, Any]
MAX_NAME_CHARS = 100
MAX_SUFFIX_CHARS = 16
MAX_NAME_BYTES = 200  # file systems allow 255 bytes per name; leaves room for _free_path's "-N"
# A badge (styled by rag.serve.web.CSS) so a refusal looks different from an answer, not only reads differently.
REFUSED_PREFIX = '<span class="rag-refused">🚫 Not in the documents.</span> '
# And a "not sure" answer (confidence below the operating point): the passages, no short answer.
NOT_SURE_PREFIX = '<span class="rag-not-sure">❔ not sure</span> '
# After the checked sentences of an answer that stopped midway (the model server closed or went quiet).
CUT_OFF_MARK = "⚠️ **Cut off: this answer is incomplete.**"
CUT_OFF_SOURCES = "<p><em>The answer was cut off before it finished, so its sources are not listed.</em></p>"


def safe_filename(name: str) -> str:
    """A plain file name for an upload: no folders, no '..', no odd characters, bounded length."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip(" ._") or "document"
    suffix = re.sub(r"[^\w.]+", "_", suffix)[:MAX_SUFFIX_CHARS]
    stem = stem[:MAX_NAME_CHARS]
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:  # 100 CJK characters are 300 bytes
        stem = stem[:-1]
    return stem + suffix


def _marked(quote: str, sentence_terms: set[str], span: str = "") -> str:
    """HTML of a quote with the answer's span wrapped in <mark> (the value the short answer gives), or, when the
    answer highlights none in it, the words that support the answer."""
    found = find_spaced(quote, span)  # a passage's line breaks are not where the answer's spaces are
    if found:
        at, end = found
        return (f"{html.escape(quote[:at])}<mark class=\"rag-answer\">{html.escape(quote[at:end])}</mark>"
                f"{html.escape(quote[end:])}")
    out = []
    for token in re.split(r"(\W+)", quote):
        escaped = html.escape(token)
        t = terms(token)
        out.append(f"<mark>{escaped}</mark>" if t and t[0] in sentence_terms else escaped)
    return "".join(out)


def sources_html(answer: Answer) -> str:
    """The cited passages, each with its file and the supporting words marked."""
    if not answer.citations:
        return "<p><em>No sources.</em></p>"
    words_by_n: dict[int, set[str]] = {}
    span_by_n: dict[int, str] = {}
    for sentence in answer.sentences:
        for n in sentence.citations:
            words_by_n.setdefault(n, set()).update(terms(sentence.claim))
            if sentence.highlighted:
                span_by_n.setdefault(n, sentence.highlighted)
    title = ("Nearest passages (they do not answer the question)" if answer.refused
             else "Passages that may answer (not sure)" if answer.status == "not_sure" else "Sources")
    parts = [f'<h3 class="rag-refused-sources">{title}</h3>' if answer.refused else f"<h3>{title}</h3>"]
    passages = answer.refused or answer.status == "not_sure"  # whole passages, shown with their lines
    for c in answer.citations:
        parts.append(_citation_html(c, words_by_n.get(c.n, set()), span_by_n.get(c.n, ""), passages))
    return "\n".join(parts)


def _file_and_page(c: Citation) -> str:
    """'report.pdf, p. 3' for a PDF page, else the file name."""
    name = Path(c.source).name
    return name if c.page is None else f"{name}, p. {c.page}"


def _citation_html(c: Citation, sentence_terms: set[str], span: str = "", lines: bool = False) -> str:
    """One cited passage: its file, place and score, and its text with the answer's words marked; with ``lines``
    (the passages of a "not sure" answer or a refusal, rendered by rag.answer.render.render_passage) its headings,
    paragraphs and code keep their lines."""
    crumb = f'<div class="rag-breadcrumb"><small>{html.escape(c.breadcrumb)}</small></div>' if c.breadcrumb else ""
    text = trimmed_lines(c.shown or c.quote) if lines else c.display
    body = _marked(text, sentence_terms, span)
    if lines:
        body = re.sub(r"\n( *)", lambda m: "<br>" + "&nbsp;" * len(m.group(1)), body)
    return (
        f'<div class="rag-source"><b>[{c.n}] {html.escape(_file_and_page(c))}</b> '
        f'<small>{html.escape(c.source)}, characters {c.start}-{c.end}, score {c.score:.2f}</small>{crumb}'
        f"<blockquote>{body}</blockquote></div>"
    )


HIGHLIGHT = ("**", "**")  # the answer's span in the chat: Markdown bold


_BLOCK_MARKER = re.compile(r"^(?:(?=[#>]|[-+*] )|(\d+)(?=[.)] ))")  # what would open a heading, quote or list item


def markdown_lines(text: str) -> str:
    """Text whose line breaks the chat keeps: each one a Markdown line break (two spaces before it), a line's
    leading spaces (a quoted passage's code) as no-break spaces, which Markdown does not strip, and a line that
    would open a heading, quote or list item ('# a comment' in code) escaped, shown as written."""
    return "  \n".join(re.sub(r"^ +", lambda m: "\u00a0" * len(m.group()), _BLOCK_MARKER.sub(r"\1\\", line))
                        for line in text.split("\n"))


def answer_markdown(answer: Answer) -> str:
    """The answer as the chat shows it: the short answer's value and its span in the quote in bold, each quote
    and rival figure on a line of its own."""
    return markdown_lines(answer.marked(*HIGHLIGHT))


def draft_markdown(answer: Answer, model: str = "") -> str:
    """The model's unchecked draft and what the checker removed; ``model`` names the model that wrote it."""
    if not answer.raw_answer and not answer.removed:
        return "_The model was not asked: the documents do not cover the question._" if answer.refused else ""
    label = f"**Model draft** ({html.escape(model)}):" if model else "**Model draft:**"
    lines = [f"{label} {answer.raw_answer or '(empty)'}"]
    if answer.understood and answer.understood != answer.question:  # a follow-up, read with the last answer
        lines.insert(0, f"**Read as:** {html.escape(answer.understood)}")
    if answer.unshown:
        lines.append("**Held up against the passages, not shown** (this small packaged model's own sentences were "
                     "mostly wrong answers; `RAG_MODEL_SENTENCES=on` shows them):")
        lines.extend(f"- {html.escape(s)}" for s in answer.unshown)
    if answer.removed:
        lines.append("**Removed as unsupported by the cited passages:**")
        lines.extend(f"- {s}" for s in answer.removed)
    elif answer.fallback:
        lines.append("The draft had no checkable sentence, so the answer quotes the best evidence.")
    return "\n".join(lines)


def message_text(message: Message) -> str:
    """A chat message's text: Gradio 6 hands content back as a list of blocks ({"type": "text", "text": ...})."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


_TAG = re.compile(r"<[^>]+>")


def conversation_turns(history: list[Message]) -> list[Turn]:
    """The earlier turns of a chat: each question with the answer shown under it (tags and badges dropped)."""
    turns: list[Turn] = []
    for message in history:
        text = message_text(message)
        if message.get("role") == "user":
            turns.append(Turn(text))
        elif message.get("role") == "assistant" and turns and not turns[-1].answer:
            turns[-1] = Turn(turns[-1].question, _TAG.sub("", text).strip())
    return turns


class ChatService:
    """Answers chat messages and takes uploads for one running app.

    Each use of the store first asks ``app.index`` (rag/index/reopen.py), which reopens the index when its folder
    was replaced or fixed under the running app, and tells it of failures: the app recovers with no restart.
    """

    def __init__(self, app: App, models: ModelPool | None = None) -> None:
        self.app = app
        self.models = models or ModelPool(app.settings, app.pipeline.generator)

    def _failed(self, exc: BaseException) -> None:
        """Tell the index watch when ``exc`` is a failure of the index (a bad model name, say, is not)."""
        if isinstance(exc, (IndexBroken, IndexMissing)):
            self.app.index.failed()

    def documents_markdown(self) -> str:
        try:
            self.app.index.ensure()
            sources = self.app.store.sources()
            count = self.app.store.count()
        except RagError as exc:  # the page must still load when the index cannot be read
            self._failed(exc)
            return f"⚠️ {html.escape(str(exc))}"
        listed = "\n".join(f"- {html.escape(s)}" for s in sources)
        return f"**{len(sources)} document(s) indexed** ({count} passages)\n\n{listed}"

    def respond(self, message: str, history: list[Message], k: int | None = None, model: str | None = None
                ) -> Iterator[tuple[list[Message], str, str]]:
        """Stream (conversation, sources HTML, draft markdown) while answering ``message``.

        ``model`` names one of ``self.models.names()`` for this question only (None: the configured model).
        """
        history = [dict(m) for m in (history or [])]
        turns = conversation_turns(history)
        conversation = history + [{"role": "user", "content": message or ""}, {"role": "assistant", "content": "…"}]
        yield [*conversation], "", ""
        shown = ""
        try:
            generator = self.models.get(model)  # an unknown name is refused before the index is touched
            self.app.index.ensure()
            for event in self.app.pipeline.stream(message, turns, int(k) if k else None, generator):
                if event.kind == "text":
                    shown += markdown_lines(event.marked(*HIGHLIGHT))
                    conversation[-1] = {"role": "assistant", "content": shown}
                    yield [*conversation], "", ""
                elif event.kind == "token" and not shown:
                    conversation[-1] = {"role": "assistant", "content": "… _(checking the draft against the sources)_"}
                    yield [*conversation], "", ""
                elif event.kind == "done" and event.answer is not None:
                    answer = event.answer
                    text = (REFUSED_PREFIX + answer.answer) if answer.refused else answer_markdown(answer)
                    if answer.status == "not_sure":
                        text = NOT_SURE_PREFIX + text
                    conversation[-1] = {"role": "assistant", "content": text}
                    yield [*conversation], sources_html(answer), draft_markdown(answer, generator.name)
        except RagError as exc:
            self._failed(exc)
            if shown:  # checked sentences stay, marked as cut off: they are not the whole answer
                conversation[-1] = {"role": "assistant", "content": f"{shown}\n\n{CUT_OFF_MARK} {exc}"}
                yield [*conversation], CUT_OFF_SOURCES, ""
            else:
                conversation[-1] = {"role": "assistant", "content": f"⚠️ {exc}"}
                yield [*conversation], "", ""

    def ask(self, message: str, k: int | None = None, model: str | None = None) -> dict[str, Any]:
        """One question, no history: the answer as `rag ask --json` prints it, or {"error": message}."""
        try:
            generator = self.models.get(model)
            self.app.index.ensure()
            answer = self.app.pipeline.ask(message, (), k, generator)
        except RagError as exc:
            self._failed(exc)
            return {"error": str(exc)}
        return answer.to_json()

    def add_files(self, paths: list[str | Path] | None) -> tuple[str, str]:
        """Copy uploaded files into the documents folder and index them. Returns (status, documents list)."""
        messages = []
        if paths:
            try:
                self.app.index.ensure()
            except RagError as exc:  # the index folder is gone: nothing is copied into the documents folder
                self._failed(exc)
                return f"❌ {html.escape(str(exc))}", self.documents_markdown()
        for tmp in paths or []:
            tmp = Path(tmp)
            name = safe_filename(tmp.name)
            if Path(name).suffix not in SUPPORTED_SUFFIXES:
                messages.append(f"❌ {html.escape(name)}: unsupported type; upload {SUPPORTED_LIST} files.")
                continue
            if tmp.stat().st_size > MAX_FILE_BYTES:  # refuse before copying gigabytes into the documents folder
                messages.append(f"❌ {html.escape(name)}: file is larger than {MAX_FILE_BYTES // 2**20} MB; "
                                "split it into smaller files.")
                continue
            target = self._free_path(name)
            try:
                shutil.copyfile(tmp, target)
                with self.app.index.write_lock:
                    report = self.app.indexer.add_file(target)
                messages.append(f"✅ {html.escape(target.name)}: indexed ({report.chunks_embedded} passages).")
            except (DocumentUnreadable, RagError, OSError) as exc:
                self._failed(exc)
                target.unlink(missing_ok=True)
                messages.append(f"❌ {html.escape(str(exc))}")
        return "\n\n".join(messages), self.documents_markdown()

    def _free_path(self, name: str) -> Path:
        folder = self.app.settings.docs_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        stem, suffix = target.stem, target.suffix
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{stem}-{n}{suffix}"
        return target
