"""Question in, checked answer out: retrieve, select evidence, decide whether to answer, generate, check, cite."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rag.answer_type import answer_type, has_answer_type
from rag.checking import CheckedSentence, check_sentence, split_answer
from rag.config import Settings
from rag.conflicts import conflicting_evidence
from rag.embedding import Embedder
from rag.errors import EmptyQuestion, RagError
from rag.evidence import ScoredSentence, score_sentences, split_passages
from rag.followup import contextual_query
from rag.lexical import terms
from rag.llm import TextGenerator
from rag.prompting import build_prompt
from rag.records import Answer, Citation, Passage
from rag.refusal import refusal_reason
from rag.store import ChromaStore

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
REFUSAL_TEXT = "The documents do not answer this question."


@dataclass(frozen=True)
class AnswerEvent:
    """One step of a streamed answer.

    kind "token": raw model text (a draft, not yet checked); "text": checked answer text to append;
    "done": the final Answer.
    """

    kind: str
    text: str = ""
    answer: Answer | None = None


def validate_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise EmptyQuestion("The question is empty. Type a question about your documents.")
    if len(question) > MAX_QUESTION_CHARS:
        raise RagError(
            f"The question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
            "Ask a shorter question."
        )
    return question


def _with_marker(text: str, n: int) -> str:
    """'Lavrov met Son.' -> 'Lavrov met Son [1].'"""
    if text and text[-1] in ".!?":
        return f"{text[:-1]} [{n}]{text[-1]}"
    return f"{text} [{n}]."  # a fragment ('The United States') still ends, so the next sentence stays apart


class _Citations:
    """Numbers evidence passages 1, 2, ... in the order the answer first cites them."""

    def __init__(self, evidence: list[ScoredSentence]) -> None:
        self._evidence = evidence
        self._numbers: dict[int, int] = {}

    def number(self, evidence_index: int) -> int:
        return self._numbers.setdefault(evidence_index, len(self._numbers) + 1)

    def citations(self) -> list[Citation]:
        out = []
        for idx, n in sorted(self._numbers.items(), key=lambda kv: kv[1]):
            item = self._evidence[idx]
            p = item.passage
            out.append(Citation(n=n, source=p.source, start=p.start, end=p.end, quote=p.text, score=round(item.score, 4)))
        return out


class Pipeline:
    """Answers questions from an open index with a local model. Build once, use from many threads."""

    def __init__(self, settings: Settings, store: ChromaStore, embedder: Embedder, generator: TextGenerator) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.generator = generator
        self._vocab: set[str] = set()
        self._vocab_count = -1
        self._vocab_lock = threading.Lock()

    def vocabulary(self) -> set[str]:
        """Terms of every indexed chunk, rebuilt when the index changes size."""
        count = self.store.count()
        with self._vocab_lock:
            if self._vocab_count != count:
                vocab: set[str] = set()
                for text in self.store.texts():
                    vocab.update(terms(text))
                self._vocab, self._vocab_count = vocab, count
            return self._vocab

    def retrieve(self, query: str, k: int) -> list[Passage]:
        vector = self.embedder.embed([query])[0]
        return self.store.query(vector, k)

    def ask(self, question: str, history: Sequence[str] = (), k: int | None = None) -> Answer:
        answer = None
        for event in self.stream(question, history, k):
            if event.kind == "done":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: Sequence[str] = (), k: int | None = None) -> Iterator[AnswerEvent]:
        """Answer ``question``; ``history`` holds the conversation's earlier questions, oldest first."""
        question = validate_question(question)
        started = time.perf_counter()
        query = contextual_query(question, history)
        passages = self.retrieve(query, k or self.settings.top_k)
        scored = score_sentences(query, split_passages(passages), self.embedder, question)
        timings = {"retrieve": (time.perf_counter() - started) * 1000}
        evidence = scored[: self.settings.evidence_k]

        reason = refusal_reason(question, scored, self.vocabulary(), self.settings.min_evidence_score)
        if reason:
            log.info("refusing %r: %s", question, reason)
            yield from self._refuse(question, evidence, timings, started)
            return

        prompt = build_prompt(question, [e.passage for e in evidence])
        numbering = _Citations(evidence)
        kept: list[str] = []
        removed: list[str] = []
        supports: set[int] = set()  # evidence numbers (1-based) that kept sentences rest on
        raw = ""
        pending = ""

        def accept(sentence: CheckedSentence) -> str | None:
            if sentence.support is None:
                removed.append(f"{sentence.text} ({sentence.reason})")
                return None
            shown = _with_marker(sentence.text, numbering.number(sentence.support - 1))
            kept.append(shown)
            supports.add(sentence.support)
            return shown

        for piece in self.generator.stream(prompt, self.settings.max_tokens):
            if "first_token" not in timings:
                timings["first_token"] = (time.perf_counter() - started) * 1000
            raw += piece
            pending += piece
            yield AnswerEvent("token", piece)
            parts = split_answer(pending)
            # All but the last part are complete sentences; check and show them as they finish.
            for part in parts[:-1]:
                shown = accept(check_sentence(part, [e.passage for e in evidence]))
                if shown:
                    yield AnswerEvent("text", ("" if len(kept) == 1 else " ") + shown)
            if len(parts) > 1:
                pending = pending[pending.rfind(parts[-1]) :]
        if pending.strip():
            shown = accept(check_sentence(pending, [e.passage for e in evidence]))
            if shown:
                yield AnswerEvent("text", ("" if len(kept) == 1 else " ") + shown)
        timings.setdefault("first_token", (time.perf_counter() - started) * 1000)

        # The model's sentences stand when they rest on the best evidence and give the kind of fact asked for;
        # otherwise the best evidence is quoted after them, so the answer never hinges on a weaker passage.
        kind = answer_type(question)
        best = next((i for i, e in enumerate(evidence) if e.typed), 0)
        answered = any(has_answer_type(kind, s, question) for s in kept) and best + 1 in supports
        fallback = not kept
        if not answered:
            quote = " ".join(evidence[best].passage.text.split())
            shown = f'The documents say: "{quote}" [{numbering.number(best)}]'
            yield AnswerEvent("text", (" " if kept else "") + shown)
            kept.append(shown)
        rival = conflicting_evidence(question, evidence, best)
        if rival is not None and rival + 1 not in supports:
            # Sources disagree: show the other figure with its own citation instead of silently picking one.
            quote = " ".join(evidence[rival].passage.text.split())
            shown = f'Another source gives a different figure: "{quote}" [{numbering.number(rival)}]'
            yield AnswerEvent("text", " " + shown)
            kept.append(shown)
        timings["total"] = (time.perf_counter() - started) * 1000
        answer = Answer(
            question=question,
            answer=" ".join(kept),
            refused=False,
            citations=numbering.citations(),
            timings_ms=timings,
            raw_answer=raw.strip(),
            removed=removed,
            fallback=fallback,
        )
        yield AnswerEvent("done", answer=answer)

    def _refuse(self, question: str, evidence: list[ScoredSentence], timings: dict[str, float],
                started: float) -> Iterator[AnswerEvent]:
        numbering = _Citations(evidence)
        for i in range(min(3, len(evidence))):
            numbering.number(i)
        text = REFUSAL_TEXT
        if evidence:
            text += " The nearest passages are listed below so you can check."
        yield AnswerEvent("text", text)
        timings["first_token"] = timings["total"] = (time.perf_counter() - started) * 1000
        yield AnswerEvent(
            "done",
            answer=Answer(question=question, answer=text, refused=True, citations=numbering.citations(),
                          timings_ms=timings),
        )
