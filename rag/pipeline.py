"""Question in, checked answer out: retrieve, select evidence, decide whether to answer, generate, check, cite."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rag.answer_type import answer_type, has_answer_type, less_specific
from rag.checking import check_sentence, split_answer
from rag.compose import AnswerBuilder
from rag.config import Settings
from rag.conflicts import conflicting_evidence
from rag.embedding import Embedder
from rag.errors import EmptyQuestion, RagError
from rag.evidence import ScoredSentence, score_sentences, split_passages
from rag.followup import contextual_query
from rag.lexical import terms
from rag.llm import TextGenerator
from rag.prompting import build_prompt
from rag.records import Answer, Passage
from rag.refusal import refusal_reason
from rag.retrieval import Retriever
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
        self.retriever = Retriever(store, embedder, settings.retrieval)

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
        return self.retriever.search(query, k)

    def ask(self, question: str, history: Sequence[str] = (), k: int | None = None,
            generator: TextGenerator | None = None) -> Answer:
        answer = None
        for event in self.stream(question, history, k, generator):
            if event.kind == "done":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: Sequence[str] = (), k: int | None = None,
               generator: TextGenerator | None = None) -> Iterator[AnswerEvent]:
        """Answer ``question``; ``history`` holds the conversation's earlier questions, oldest first.

        ``generator`` overrides the pipeline's model for this question only (the web chat's model choice).
        """
        question = validate_question(question)
        started = time.perf_counter()
        query = contextual_query(question, history)
        passages = self.retrieve(query, k or self.settings.top_k)
        scored = score_sentences(query, split_passages(passages), self.embedder, question)
        timings = {"retrieve": (time.perf_counter() - started) * 1000}
        evidence = scored[: self.settings.evidence_k]

        reason = refusal_reason(question, scored, self.vocabulary(), self.settings.min_evidence_score, passages)
        if reason:
            log.info("refusing %r: %s", question, reason)
            yield from self._refuse(question, evidence, passages, timings, started)
            return

        passages_shown = [e.passage for e in evidence]
        builder = AnswerBuilder(evidence)
        raw = pending = ""
        model = generator or self.generator
        for piece in model.stream(build_prompt(question, passages_shown), self.settings.max_tokens):
            timings.setdefault("first_token", (time.perf_counter() - started) * 1000)
            raw += piece
            pending += piece
            yield AnswerEvent("token", piece)
            parts = split_answer(pending)
            # All but the last part are complete sentences; check and show them as they finish.
            for part in parts[:-1]:
                delta = builder.add_model_sentence(check_sentence(part, passages_shown))
                if delta:
                    yield AnswerEvent("text", delta)
            if len(parts) > 1:
                pending = pending[pending.rfind(parts[-1]) :]
        if pending.strip():
            delta = builder.add_model_sentence(check_sentence(pending, passages_shown))
            if delta:
                yield AnswerEvent("text", delta)
        timings.setdefault("first_token", (time.perf_counter() - started) * 1000)
        fallback = not builder.parts

        # The model's sentences stand when they rest on the best evidence and give the kind of fact asked for;
        # otherwise the best evidence is quoted after them, so the answer never hinges on a weaker passage.
        kind = answer_type(question)
        best = next((i for i, e in enumerate(evidence) if e.typed), 0)
        shown = " ".join(builder.parts)
        if (best not in builder.supports or not any(has_answer_type(kind, s, question) for s in builder.parts)
                or less_specific(kind, shown, evidence[best].passage.text, question)):
            yield AnswerEvent("text", builder.add_quote(best, "The documents say"))
        rival = conflicting_evidence(question, evidence, best, passages)
        if rival is not None and rival not in builder.supports:
            # Sources disagree: show the other figure with its own citation instead of silently picking one.
            yield AnswerEvent("text", builder.add_quote(rival, "Another source gives a different figure"))
        timings["total"] = (time.perf_counter() - started) * 1000
        answer = Answer(
            question=question,
            answer=builder.text,
            refused=False,
            citations=builder.citations(),
            timings_ms=timings,
            raw_answer=raw.strip(),
            removed=builder.removed,
            fallback=fallback,
            retrieved_sources=[p.source for p in passages],
        )
        yield AnswerEvent("done", answer=answer)

    def _refuse(self, question: str, evidence: list[ScoredSentence], passages: list[Passage],
                timings: dict[str, float], started: float) -> Iterator[AnswerEvent]:
        nearest = AnswerBuilder(evidence)
        for i in range(min(3, len(evidence))):
            nearest.number(i)
        text = REFUSAL_TEXT
        if evidence:
            text += " The nearest passages are listed below so you can check."
        yield AnswerEvent("text", text)
        timings["first_token"] = timings["total"] = (time.perf_counter() - started) * 1000
        yield AnswerEvent(
            "done",
            answer=Answer(question=question, answer=text, refused=True, citations=nearest.citations(),
                          timings_ms=timings, retrieved_sources=[p.source for p in passages]),
        )
