"""Question in, checked answer out: retrieve, select evidence, decide whether to answer, generate, check, cite."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import numpy as np

from rag.answer.candidates import Candidate, build_candidates
from rag.answer.checking import Checks, check_sentence, relation_terms_used, split_answer
from rag.answer.compose import AnswerBuilder, builder_for, complete
from rag.answer.confidence import ConfidenceModel, features
from rag.answer.corpus import FOLDER as CORPUS_FOLDER
from rag.answer.corpus import CorpusCache, CorpusStats
from rag.answer.facts import facts_of
from rag.answer.question import Question, analyse
from rag.answer.rank import Ranker
from rag.answer.refusal import Evidence, Refusal, refusal
from rag.answer.scorer import LearnedScorer
from rag.answer.threshold import confidence_point, refusal_threshold
from rag.answer.unsure import nearest_builder, not_sure_builder
from rag.config import HAND_ORDER, Settings
from rag.errors import AnswerCutOff, EmptyQuestion, RagError
from rag.index.embedding import Embedder
from rag.index.store import ChromaStore
from rag.llm.llama import TextGenerator
from rag.llm.prompting import build_prompt
from rag.retrieval.retriever import Retriever
from rag.types import Answer, AnswerEvent, AnswerSentence, Passage, Turn

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
REFUSAL_TEXT = "The documents do not answer this question."


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


@dataclass(frozen=True)
class Decision:
    """What the pipeline knows before generating: the analysed question, its evidence, answer or refuse."""

    question: Question
    passages: list[Passage]
    candidates: list[Candidate]  # the candidate table, best first
    refusal: Refusal | None  # why it is refused; None when it is answered
    threshold: float
    threshold_source: str
    stats: CorpusStats  # the index's term statistics the decision was made with
    seconds: float = 0.0  # how long deciding took (retrieval, evidence, refusal)
    confidence: float = 1.0  # the probability that the answer it would show holds the asked fact
    min_confidence: float = 0.0  # the operating point: below it the answer is shown as "not sure"
    confidence_source: str = ""  # how the operating point was set
    confidence_features: tuple[float, ...] = ()  # what the confidence was computed from (rag.answer.confidence)
    # The confidence once the model's draft is checked, if no sentence of it holds up and if one does (None: the
    # confidence model has no draft stage, and ``confidence`` is final).
    after_draft: tuple[float, float] | None = None

    @property
    def status(self) -> str:
        """'refused' (a refusal rule), 'not_sure' (below the operating point even if the draft holds up: the model
        is not asked) or 'answered' (which the draft may still turn into 'not_sure': ``draft_decides``)."""
        if self.refusal is not None:
            return "refused"
        return "not_sure" if self.highest_confidence < self.min_confidence else "answered"

    @property
    def highest_confidence(self) -> float:
        """The most the confidence can be once the draft is checked (the confidence itself with no draft stage)."""
        return self.confidence if self.after_draft is None else max(self.after_draft)

    @property
    def draft_decides(self) -> bool:
        """Whether the answer is shown only if a sentence of the model's draft holds up (the checked text is held
        back until the draft is done)."""
        return (self.status == "answered" and self.after_draft is not None
                and min(self.after_draft) < self.min_confidence)

    def final_confidence(self, held_up: bool) -> float:
        """The confidence of the answer once its draft is checked."""
        return self.confidence if self.after_draft is None else self.after_draft[1 if held_up else 0]


_MARKER_ONLY = re.compile(r"^\s*\[[\d,\s]*\]?[.!?]?\s*$")


def complete_sentences(raw: str, final: bool) -> list[str]:
    """The sentences of a streamed draft that are finished. A sentence is finished once text other than a
    citation marker follows it: '... Hanoi. [' may still become '... Hanoi. [1]', whose marker belongs to it."""
    parts = split_answer(raw)
    if final or not parts:
        return [p for p in parts if p.strip()]
    done = parts[:-1]
    if done and _MARKER_ONLY.match(parts[-1]):
        done = done[:-1]
    return done


def _shown(builder: AnswerBuilder, delta: str) -> AnswerEvent:
    """The event that shows ``delta``, the text of the builder's newest sentence."""
    return AnswerEvent("text", delta, sentence=builder.sentences[-1])


class Pipeline:
    """Answers questions from an open index with a local model. Build once, use from many threads."""

    def __init__(self, settings: Settings, store: ChromaStore, embedder: Embedder, generator: TextGenerator) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.generator = generator
        self.corpus = CorpusCache(store.change_token, store.texts, store.ids,
                                  None if store.url else store.index_dir / CORPUS_FOLDER)
        self.retriever = Retriever(store, embedder, settings.retrieval)
        self.params = settings.answer
        self._confidence: ConfidenceModel | None = None
        self._ranker: Ranker | None = None
        self._scorer: LearnedScorer | None = None
        self._models_lock = threading.Lock()

    def confidence_model(self) -> ConfidenceModel:
        """The fitted confidence model named by the settings, read on first use."""
        with self._models_lock:
            if self._confidence is None:
                self._confidence = ConfidenceModel.load(self.settings.confidence_model)
            return self._confidence

    def ranker(self) -> Ranker | None:
        """The fitted ranker named by the settings, read on first use (None: the hand order)."""
        return self._ordering("_ranker", self.settings.ranker, Ranker.load)

    def scorer(self) -> LearnedScorer | None:
        """The learned answer scorer named by the settings (its card read on first use; None: the hand order)."""
        return self._ordering("_scorer", self.settings.scorer, LearnedScorer.load)

    def _ordering(self, attribute: str, setting: str, load: Callable[[Path], T]) -> T | None:
        """What ``setting`` names (``load`` of its path, once), or None when it says the hand order."""
        if setting == HAND_ORDER:
            return None
        with self._models_lock:
            if getattr(self, attribute) is None:
                setattr(self, attribute, load(Path(setting)))
            return getattr(self, attribute)

    def warm_up_scorer(self) -> None:
        """Load the learned scorer's model now, if answering uses one (start-up runs this on its own thread)."""
        scorer = self.scorer()
        if scorer is not None:
            scorer.warm_up()

    def prepare(self) -> None:
        """Load now what answering reads from beside the index: the lexical index and the corpus statistics."""
        if self.retriever.mode != "dense":
            self.retriever.lexical.refresh()
        self.stats()

    def stats(self) -> CorpusStats:
        """Document frequencies of the index, rebuilt after any change of the stored chunks."""
        return self.corpus.get()

    def retrieve(self, query: str, k: int) -> tuple[list[Passage], np.ndarray]:
        """The passages for ``query`` and the query's embedding (retrieval and the candidates share it)."""
        vector = self.embedder.embed([query])[0]
        return self.retriever.search_vector(query, vector, k, self.retriever.mode), vector

    def evidence_pool(self, passages: list[Passage]) -> tuple[list[Passage], list[int]]:
        """The retrieved passages, then the rest of the section or API entry of the best ones (a version note or
        a table row often stands a chunk away from the text that matched); each with its hit's rank."""
        pool = list(passages)
        ranks = list(range(len(passages)))
        seen = {(p.source, p.start) for p in passages}
        for rank, p in enumerate(passages[: self.params.sibling_hits]):
            for sib in self.store.siblings(p, self.params.siblings_per_hit):
                if (sib.source, sib.start) not in seen:
                    seen.add((sib.source, sib.start))
                    pool.append(sib)
                    ranks.append(rank)
        return pool, ranks

    def decide(self, question: str, history: Sequence[Turn | str] = (), k: int | None = None,
               threshold: tuple[float, str] | None = None) -> Decision:
        """Retrieve, score the evidence and decide whether to answer (no model call).

        A follow-up whose pronoun the last answer resolves ('Who is its foreign minister?' -> "Who is Mongolia's
        foreign minister?") is decided both ways, resolved and as before (after the previous question). The resolved
        reading is what was asked, and is kept unless it is refused or the other reading is more confident by
        ``resolved_margin``: a referent taken for the wrong thing ('he' for a country the last answer named) costs
        a second decision, not the answer, and a near tie (which a CPU's numerics can flip) keeps the resolved one.
        The rule does not depend on the operating point: at point 0 every reading is 'answered'."""
        started = time.perf_counter()
        asked = validate_question(question)
        readings = [analyse(asked, history)]
        if readings[0].text != asked:
            readings.append(analyse(asked, history, resolve=False))
        # The index's calibration (threshold and operating point) is read once for every reading.
        value, source = threshold or refusal_threshold(self.settings, self.store)
        point = confidence_point(self.settings, self.store, self.confidence_model().point)
        decisions = [self._decide(q, k, (value, source), point, started) for q in readings]
        bonus = [self.params.resolved_margin] + [0.0] * (len(decisions) - 1)
        return max(zip(decisions, bonus, strict=True), key=lambda t: (t[0].refusal is None, t[0].confidence + t[1]))[0]

    def _decide(self, q: Question, k: int | None, threshold: tuple[float, str], point: tuple[float, str],
                started: float) -> Decision:
        passages, vector = self.retrieve(q.query, k or self.settings.top_k)
        stats = self.stats()
        pool, ranks = self.evidence_pool(passages)
        table = build_candidates(q, pool, self.embedder, stats, self.store.heads([p.source for p in passages]),
                                 ranks, self.params, vector, self.ranker(), self.scorer())
        value, source = threshold
        refused = refusal(self.evidence(q, table, stats, passages, value))
        row = features(q, table, passages, self.settings.evidence_k, self.params)
        model = self.confidence_model()
        before = model.probability(row)
        after = (model.after_draft(before, False), model.after_draft(before, True)) if model.draft else None
        return Decision(q, passages, table, refused, value, source, stats, time.perf_counter() - started,
                        before, point[0], point[1], tuple(row), after)

    def evidence(self, q: Question, table: list[Candidate], stats: CorpusStats, passages: Sequence[Passage],
                 threshold: float) -> Evidence:
        """What the refusal rules read of one reading of a question."""
        return Evidence(q, table, stats, [p.text for p in passages], threshold, self.embedder, self.params)

    def ask(self, question: str, history: Sequence[Turn | str] = (), k: int | None = None,
            generator: TextGenerator | None = None, decision: Decision | None = None) -> Answer:
        answer = None
        for event in self.stream(question, history, k, generator, decision):
            if event.kind == "done":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: Sequence[Turn | str] = (), k: int | None = None,
               generator: TextGenerator | None = None, decision: Decision | None = None) -> Iterator[AnswerEvent]:
        """Answer ``question``; ``history`` holds the conversation's earlier turns (their questions and the answers
        shown), oldest first; a bare string is an earlier question whose answer is not known.

        ``generator`` overrides the pipeline's model for this question only (the web chat's model choice);
        ``decision`` is one ``decide`` already made for this question (`rag eval` reads it too).
        """
        if decision is None:
            decision = self.decide(question, history, k)
        started = time.perf_counter() - decision.seconds  # timings count from the start of deciding
        q = decision.question
        timings = {"retrieve": (time.perf_counter() - started) * 1000}
        evidence = decision.candidates[: self.settings.evidence_k]
        how = f"refusal threshold {decision.threshold:.3f} ({decision.threshold_source})"

        if decision.refusal is not None:
            log.info("refusing %r: %s (%s)", q.text, decision.refusal.detail, decision.refusal.code)
            yield from self._refuse(q, decision, timings, started, f"{decision.refusal}; {how}")
            return
        if decision.status == "not_sure":
            log.info("not sure of %r: confidence %.2f < %.2f", q.text, decision.confidence, decision.min_confidence)
            yield from self._not_sure(q, decision, timings, started, decision.confidence)
            return
        # The model reads, and the checker checks against, each unit as a reader sees it (markup rendered, a
        # version note with its entry's name); citations keep the file's characters.
        passages_shown = [replace(e.passage, text=e.shown) for e in evidence]
        model = generator or self.generator
        # The checker ties a model's answer to what is asked only by relation terms the evidence itself uses:
        # 'meet' cannot be asked of a passage that says 'met'.
        relation = relation_terms_used(q.relation_terms, [e.passage.text for e in evidence])
        asked = frozenset(q.terms) | q.exact
        checks = Checks(relation=relation, asked=asked, weights={t: decision.stats.idf(t) for t in relation},
                        pairs=tuple((a, b) for a, b in pairwise(facts_of(q.text).terms)
                                    if a in relation and b in relation),
                        before=tuple(e.before for e in evidence), params=self.params)
        builder = builder_for(q, evidence, asked, self.params, self.settings.shows_model_sentences(model.name),
                              decision.passages)
        # Between the two confidences the draft decides: its checked text waits until the draft is done.
        hold = decision.draft_decides
        waiting: list[AnswerEvent] = []

        def show(delta: str) -> list[AnswerEvent]:
            event = _shown(builder, delta)
            if hold:
                waiting.append(event)
                return []
            return [event]

        raw = ""
        done = 0
        try:
            for piece in model.stream(build_prompt(q.text, passages_shown), self.settings.max_tokens):
                timings.setdefault("first_token", (time.perf_counter() - started) * 1000)
                raw += piece
                yield AnswerEvent("token", piece)
                # Check and show sentences as they finish (a marker after the full stop still belongs to them).
                finished = complete_sentences(raw, final=False)
                for part in finished[done:]:
                    delta = builder.add_model_sentence(check_sentence(part, passages_shown, checks))
                    if delta:
                        yield from show(delta)
                done = max(done, len(finished))
        except AnswerCutOff:
            # The model stopped midway: the checked sentences held back for the quote are all there is to show.
            for held in list(builder.held):
                yield from show(builder.show_held(held))
            yield from waiting
            raise
        for part in complete_sentences(raw, final=True)[done:]:
            delta = builder.add_model_sentence(check_sentence(part, passages_shown, checks))
            if delta:
                yield from show(delta)
        timings.setdefault("first_token", (time.perf_counter() - started) * 1000)
        fallback = not builder.model_claims() and not builder.unshown  # no model sentence held up
        confidence = decision.final_confidence(not fallback)
        if confidence < decision.min_confidence:
            log.info("not sure of %r: confidence %.2f < %.2f once the draft was checked (a sentence of it held "
                     "up: %s)", q.text, confidence, decision.min_confidence, not fallback)
            yield from self._not_sure(q, decision, timings, started, confidence)
            return
        yield from waiting
        for delta in complete(q, builder):
            yield _shown(builder, delta)
        timings["total"] = (time.perf_counter() - started) * 1000
        answer = Answer(
            question=q.asked,
            understood=q.text,
            answer=builder.text,
            refused=False,
            citations=builder.citations(),
            timings_ms=timings,
            raw_answer=raw.strip(),
            removed=builder.removed,
            unshown=[u.text for u in builder.unshown],
            fallback=fallback,
            retrieved_sources=[p.source for p in decision.passages],
            sentences=list(builder.sentences),
            decision=how,
            status="answered",
            confidence=confidence,
        )
        yield AnswerEvent("done", answer=answer)

    def _not_sure(self, q: Question, decision: Decision, timings: dict[str, float], started: float,
                  confidence: float) -> Iterator[AnswerEvent]:
        """No short answer: the passages most likely to hold it (rag.answer.unsure), each cited, with its best unit
        highlighted. The model is not asked, or its draft is not shown (no sentence of it held up and
        ``confidence``, the confidence after the draft, is too low)."""
        builder = not_sure_builder(q, decision.candidates, decision.passages, self.params)
        for delta, sentence in builder.deltas():  # made whole (no model): shown as they were added
            yield AnswerEvent("text", delta, sentence=sentence)
        timings["first_token"] = timings["total"] = (time.perf_counter() - started) * 1000
        why = (f"confidence {confidence:.2f} is below the operating point {decision.min_confidence:.2f} "
               f"({decision.confidence_source})")
        yield AnswerEvent("done", answer=Answer(
            question=q.asked, understood=q.text, answer=builder.text, refused=False, citations=builder.citations(),
            timings_ms=timings, retrieved_sources=[p.source for p in decision.passages],
            sentences=list(builder.sentences), decision=why, status="not_sure", confidence=confidence))

    def _refuse(self, q: Question, decision: Decision, timings: dict[str, float], started: float,
                why: str) -> Iterator[AnswerEvent]:
        nearest = nearest_builder(decision.candidates, decision.passages, self.params)
        text = REFUSAL_TEXT
        if nearest.evidence:
            text += " The nearest passages are listed below so you can check."
        yield AnswerEvent("text", text)
        timings["first_token"] = timings["total"] = (time.perf_counter() - started) * 1000
        yield AnswerEvent(
            "done",
            answer=Answer(question=q.asked, understood=q.text, answer=text, refused=True, citations=nearest.citations(),
                          timings_ms=timings, retrieved_sources=[p.source for p in decision.passages],
                          sentences=[AnswerSentence(text, "", (), "refusal")], decision=why,
                          refusal=decision.refusal.code if decision.refusal else "", status="refused",
                          confidence=decision.confidence),
        )
