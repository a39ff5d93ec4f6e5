"""Score the pipeline on a question set: retrieval, facts, citations, refusals, unsupported sentences."""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.answer.candidates import Candidate
from rag.answer.checking import split_answer, unsupported_reason
from rag.answer.refusal import fired
from rag.answer.threshold import confidence_point, refusal_threshold
from rag.answer.unsure import not_sure_builder
from rag.config import RETRIEVAL_MODES
from rag.errors import ConfigError
from rag.pipeline import Decision, Pipeline
from rag.retrieval.followup import contextual_query
from rag.retrieval.retriever import Retriever
from rag.text import fold
from rag.types import Answer, Turn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answerable: bool
    sources: list[str]
    facts: list[str]
    follow_up_of: str | None = None
    conflict: bool = False


def load_questions(path: Path) -> list[EvalQuestion]:
    if not path.is_file():
        raise ConfigError(f"Question set {path} not found.")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(EvalQuestion(id=row["id"], question=row["question"], answerable=bool(row["answerable"]),
                                    sources=list(row.get("sources", [])), facts=list(row.get("facts", [])),
                                    follow_up_of=row.get("follow_up_of"), conflict=bool(row.get("conflict"))))
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{path}:{n}: not a valid question row ({exc}).") from exc
    return out


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


def has_facts(answer: str, facts: list[str]) -> bool:
    norm = _norm(answer)
    return all(_norm(f) in norm for f in facts)


def is_gold(source: str, gold: list[str]) -> bool:
    """Whether a cited file is one of the gold files: the same path, or a path ending in a gold path relative to
    the documents folder ('tests/data/wiki/docs/X.txt' is 'X.txt')."""
    return any(source == g or source.endswith("/" + g) for g in gold)


def _rank_of_gold(sources: list[str], gold: list[str]) -> int | None:
    for rank, source in enumerate(sources, start=1):
        if is_gold(source, gold):
            return rank
    return None


def _answer_sentences(answer: Answer) -> list[tuple[str, list[int]]]:
    """(claim, cited numbers) of each shown sentence, from the answer's structured sentences."""
    return [(s.claim, list(s.citations)) for s in answer.sentences if s.origin != "refusal"]


def citation_checks(answer: Answer, gold: list[str], facts: list[str]) -> list[bool]:
    """For each [n] in the answer: is its passage from a gold file, and does it hold every key fact the sentence
    states? Judged with the gold facts alone, independently of the checker that filtered the answer."""
    by_n = {c.n: c for c in answer.citations}
    out = []
    for claim, cited in _answer_sentences(answer):
        stated = [f for f in facts if _norm(f) in _norm(claim)]
        for n in cited:
            c = by_n.get(n)
            out.append(c is not None and is_gold(c.source, gold) and all(_norm(f) in _norm(c.quote) for f in stated))
    return out


def _shown_unsupported(answer: Answer) -> tuple[int, int]:
    """(unsupported, total) sentences of the shown answer, judged against the passages they cite."""
    by_n = {c.n: c for c in answer.citations}
    sentences = _answer_sentences(answer)
    bad = sum(1 for text, cited in sentences
              if not any(n in by_n and not unsupported_reason(text, by_n[n].quote) for n in cited))
    return bad, len(sentences)


STAGES = ("in_passages", "in_candidates", "in_top_unit", "in_answer")
STAGE_LABELS = {"in_passages": "fact in the retrieved passages", "in_candidates": "fact in one candidate unit",
                "in_top_unit": "fact in the top unit", "in_answer": "fact in the shown answer"}


def stages(decision: Decision, facts: list[str], answer: str | None = None) -> dict[str, bool | None]:
    """Where an answer is lost: every key fact in the retrieved passages (each fact in some passage), all of them
    in one candidate unit, in the top-ranked unit, in the shown answer (None when no answer was made)."""
    passages = [_norm(p.text) for p in decision.passages]
    wanted = [_norm(f) for f in facts]
    held = [unit_holds(s, facts) for s in decision.candidates]  # each unit as shown (a version note with its entry)
    return {
        "in_passages": all(any(f in p for p in passages) for f in wanted),
        "in_candidates": any(held),
        "in_top_unit": bool(held) and held[0],
        "in_answer": None if answer is None else has_facts(answer, facts),
    }


def stage_summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Per stage, the answerable questions whose facts got that far (rows without the stage are not counted)."""
    answerable = [r for r in rows if r["answerable"] and r.get("stages")]
    return {name: sum(1 for r in answerable if r["stages"].get(name)) for name in STAGES
            if any(r["stages"].get(name) is not None for r in answerable)}


def answerable_decisions(pipeline: Pipeline, questions: list[EvalQuestion]) -> Iterator[tuple[EvalQuestion,
                                                                                            Decision]]:
    """Each answerable question with the pipeline's decision (no model call); a follow-up after its question."""
    by_id = {q.id: q for q in questions}
    quoted: dict[str, str] = {}  # what each decision would quote: the answer a follow-up reads, without a model
    for q in questions:
        if q.answerable:
            decision = pipeline.decide(q.question, previous_turn(q, by_id, quoted))
            if decision.candidates:
                quoted[q.id] = f'"{decision.candidates[0].shown}"'
            yield q, decision


def previous_turn(q: EvalQuestion, by_id: dict[str, EvalQuestion], answers: dict[str, str]) -> list[Turn]:
    """A follow-up's conversation: the question it follows, with the answer shown for it."""
    if q.follow_up_of not in by_id:
        return []
    return [Turn(by_id[q.follow_up_of].question, answers.get(q.follow_up_of, ""))]


def rules_fired(pipeline: Pipeline, decision: Decision) -> tuple[str, ...]:
    """Every refusal rule, in force or not, that would refuse this decision's question (measurement only)."""
    return fired(pipeline.evidence(decision.question, decision.candidates, decision.stats, decision.passages,
                                   decision.threshold))


def unit_holds(scored: Candidate, facts: list[str]) -> bool:
    """Whether an evidence unit, as shown, holds every key fact."""
    shown = _norm(scored.shown)
    return all(_norm(f) in shown for f in facts)


def evaluate_stages(pipeline: Pipeline, questions: list[EvalQuestion]) -> dict[str, Any]:
    """The stage table alone (no model): retrieval, candidate units and the top unit of every answerable
    question, and what the top unit was."""
    rows = []
    for q, decision in answerable_decisions(pipeline, questions):
        top = decision.candidates[0] if decision.candidates else None
        rows.append({"id": q.id, "question": q.question, "answerable": True, "stages": stages(decision, q.facts),
                     "refused": decision.refusal is not None, "top_unit": top.passage.text if top else "",
                     "top_kind": top.kind if top else "", "facts": q.facts})
    return {"answerable": len(rows), "stages": stage_summary(rows), "questions": rows}


def lost_at(rows: list[dict[str, Any]]) -> list[str]:
    """Per stage, the answerable questions whose facts got no further: the per-question view of the table."""
    out = []
    for i, name in enumerate(STAGES):
        ids = [r["id"] for r in rows if r.get("answerable") and r.get("stages")
               and all(r["stages"].get(prev) for prev in STAGES[:i]) and r["stages"].get(name) is False]
        if ids:
            out.append(f"  lost before '{STAGE_LABELS[name]}': {', '.join(ids)}")
    return out


def format_stages(report: dict[str, Any]) -> str:
    total = report["answerable"]
    lines = [f"where answers are lost ({total} answerable questions):"]
    for name, count in report["stages"].items():
        lines.append(f"  {STAGE_LABELS[name]:32} {count:>3} / {total}")
    return "\n".join(lines + lost_at(report["questions"]))


def evaluate(pipeline: Pipeline, questions: list[EvalQuestion]) -> dict[str, Any]:
    """Ask every question (follow-ups after their first question) and compute the metrics."""
    by_id = {q.id: q for q in questions}
    k = pipeline.settings.top_k
    rows = []
    shown: dict[str, str] = {}
    for q in questions:
        history = previous_turn(q, by_id, shown)
        decision = pipeline.decide(q.question, history)
        # Every question the rules let through is answered, whatever its confidence: the metrics at the operating
        # point, and the risk-coverage table at others, read which of these answers would be shown.
        answer = pipeline.ask(q.question, history, decision=replace(decision, min_confidence=0.0))
        shown[q.id] = answer.answer
        raw_total = len(split_answer(answer.raw_answer)) if answer.raw_answer else 0
        shown_bad, shown_total = _shown_unsupported(answer) if not answer.refused else (0, 0)
        rows.append({
            "id": q.id,
            "question": q.question,
            "understood": answer.understood,
            "follow_up_of": q.follow_up_of,
            "answerable": q.answerable,
            "answer": answer.answer,
            "raw_answer": answer.raw_answer,
            "refused": answer.refused,
            "refusal": answer.refusal or None,
            "rules_fired": list(rules_fired(pipeline, decision)),
            # The status at the operating point, with the confidence once the draft is checked.
            "status": status_at(answer.refused, answer.confidence, decision.min_confidence),
            "confidence": round(answer.confidence, 4),
            "confidence_before_draft": round(decision.confidence, 4),
            "confidence_features": list(decision.confidence_features),
            "fallback": answer.fallback,
            "decision": answer.decision,
            "gold_rank": _rank_of_gold(answer.retrieved_sources, q.sources) if q.answerable else None,
            "facts_ok": q.answerable and not answer.refused and has_facts(answer.answer, q.facts),
            # The short answer a reader takes in first (the line before the quote), and whether it holds the facts
            # on its own: a wrong one over a right quote is a wrong answer to whoever reads only it.
            "short": answer.short,
            "short_origin": answer.short_origin,
            "short_ok": (has_facts(answer.short, q.facts)
                         if q.answerable and not answer.refused and answer.short else None),
            # What "not sure" would show instead (no model): whether its passages hold the facts.
            "not_sure_ok": (has_facts(not_sure_builder(decision.question, decision.candidates, decision.passages,
                                                       pipeline.params).text, q.facts)
                            if q.answerable and not answer.refused else None),
            "citations_ok": (citation_checks(answer, q.sources, q.facts)
                             if q.answerable and not answer.refused else []),
            "raw_sentences": raw_total,
            "removed_sentences": len(answer.removed),
            "shown_unsupported": shown_bad,
            "shown_sentences": shown_total,
            "timings_ms": answer.timings_ms,
            "cited_sources": sorted({c.source for c in answer.citations}),
            "stages": stages(decision, q.facts, None if answer.refused else answer.answer) if q.answerable else None,
        })
        log.info("%s facts_ok=%s refused=%s", q.id, rows[-1]["facts_ok"], answer.refused)
    threshold, how = refusal_threshold(pipeline.settings, pipeline.store)
    point, point_how = confidence_point(pipeline.settings, pipeline.store, pipeline.confidence_model().point)
    return {"settings": {"model": pipeline.generator.name, "top_k": k,
                         "evidence_k": pipeline.settings.evidence_k,
                         "refusal_threshold": threshold, "threshold_source": how,
                         "min_confidence": point, "confidence_source": point_how},
            "metrics": _metrics(rows, k), "stages": stage_summary(rows), "questions": rows,
            "risk_coverage": [risk_coverage(rows, p) for p in POINTS]}


POINTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # operating points of the risk-coverage table


def status_at(refused: bool, confidence: float, point: float) -> str:
    """What a user sees of an answer at operating point ``point``: 'refused', 'not_sure' or 'answered'."""
    return "refused" if refused else ("not_sure" if confidence < point else "answered")


def rescore(report: dict[str, Any], probability: Callable[[dict[str, Any]], float], point: float,
            source: str) -> dict[str, Any]:
    """The report with every question's confidence, status, the metrics at the operating point and the
    risk-coverage table computed again by another confidence model (the answers do not depend on it: every
    question the rules let through was answered)."""
    rows = []
    for r in report["questions"]:
        confidence = probability(r)
        rows.append({**r, "confidence": round(confidence, 4), "status": status_at(r["refused"], confidence, point)})
    k = report["settings"]["top_k"]
    return {**report, "settings": {**report["settings"], "min_confidence": point, "confidence_source": source},
            "metrics": _metrics(rows, k), "questions": rows, "risk_coverage": [risk_coverage(rows, p) for p in POINTS]}


def risk_coverage(rows: list[dict[str, Any]], point: float,
                  confidence: Callable[[dict[str, Any]], float] = lambda r: r["confidence"]) -> dict[str, float]:
    """What users would see at operating point ``point``: a question is answered when no rule refused it and its
    ``confidence`` is at or above the point. Shares: answerable questions answered, answers right (of those
    answered), wrong answers shown (of answerable questions), unanswerable questions answered."""
    answered = [r for r in rows if not r["refused"] and confidence(r) >= point]
    answerable = sum(1 for r in rows if r["answerable"])
    unanswerable = len(rows) - answerable
    shown = [r for r in answered if r["answerable"]]
    right = sum(1 for r in shown if r["facts_ok"])
    return {"point": point, "answered": _ratio(len(shown), answerable) or 0.0,
            "right_of_answered": _ratio(right, len(shown)) or 0.0,
            "wrong_shown": _ratio(len(shown) - right, answerable) or 0.0,
            "unanswerable_answered": _ratio(len(answered) - len(shown), unanswerable) or 0.0}


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _metrics(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    cites = [ok for r in answerable for ok in r["citations_ok"]]
    raw = sum(r["raw_sentences"] for r in rows)
    timings = [r["timings_ms"] for r in rows if not r["refused"]]
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        f"recall@{k}": _ratio(sum(r["gold_rank"] is not None for r in answerable), len(answerable)),
        "mrr": _ratio(sum(1 / r["gold_rank"] for r in answerable if r["gold_rank"]), len(answerable)),
        "fact_accuracy": _ratio(sum(r["facts_ok"] for r in answerable), len(answerable)),
        "citation_precision": _ratio(sum(cites), len(cites)),
        "refusal_accuracy": _ratio(sum(r["refused"] for r in unanswerable), len(unanswerable)),
        "false_refusal_rate": _ratio(sum(r["refused"] for r in answerable), len(answerable)),
        # Answered (not refused) with a key fact missing: a wrong or incomplete answer shown to the user.
        "wrong_answers_shown": _ratio(sum(not r["refused"] and not r["facts_ok"] for r in answerable),
                                      len(answerable)),
        # Short answers (the line before the quote): how many answers have one, how many of those hold every key
        # fact, and how many answerable questions show one without them (whatever the quote under it holds).
        "short_shown": _ratio(sum(r.get("short_ok") is not None for r in answerable),
                              sum(not r["refused"] for r in answerable)),
        "short_right": _ratio(sum(r.get("short_ok") is True for r in answerable),
                              sum(r.get("short_ok") is not None for r in answerable)),
        "wrong_short_shown": _ratio(sum(r.get("short_ok") is False for r in answerable), len(answerable)),
        "unsupported_before_check": _ratio(sum(r["removed_sentences"] for r in rows), raw),
        "unsupported_after_check": _ratio(sum(r["shown_unsupported"] for r in rows),
                                          sum(r["shown_sentences"] for r in rows)),
        "fallback_rate": _ratio(sum(r["fallback"] for r in answerable), len(answerable)),
        # At the operating point: "not sure" shows no answer, so it is neither right nor wrong.
        "facts_at_point": _ratio(sum(r["facts_ok"] and r["status"] == "answered" for r in answerable),
                                 len(answerable)),
        "wrong_shown_at_point": _ratio(sum(not r["facts_ok"] and r["status"] == "answered" for r in answerable),
                                       len(answerable)),
        "wrong_short_at_point": _ratio(sum(r.get("short_ok") is False and r["status"] == "answered"
                                           for r in answerable), len(answerable)),
        "unanswerable_declined_at_point": _ratio(sum(r["status"] != "answered" for r in unanswerable),
                                                 len(unanswerable)),
        "not_sure_rate": _ratio(sum(r["status"] == "not_sure" for r in rows), len(rows)),
        # Of the answerable questions shown "not sure", how many show the facts in its passages (where to read).
        "not_sure_holds_facts": _ratio(sum(r.get("not_sure_ok") is True and r["status"] == "not_sure"
                                           for r in answerable),
                                       sum(r["status"] == "not_sure" and r.get("not_sure_ok") is not None
                                           for r in answerable)),
        "answer_ms_median": round(statistics.median(t["total"] for t in timings), 1) if timings else None,
        "first_token_ms_median": round(statistics.median(t["first_token"] for t in timings), 1) if timings else None,
        "retrieve_ms_median": round(statistics.median(r["timings_ms"]["retrieve"] for r in rows), 1) if rows else None,
    }


def format_report(report: dict[str, Any]) -> str:
    st = report["settings"]
    lines = [f"model: {st['model']}  top_k: {st['top_k']}  evidence_k: {st['evidence_k']}",
             f"refusal threshold: {st['refusal_threshold']:.3f} ({st['threshold_source']})"]
    for name, value in report["metrics"].items():
        is_share = isinstance(value, float) and name != "mrr" and not name.endswith("_ms_median")
        shown = f"{value:.1%}" if is_share else str(value)
        lines.append(f"  {name:28} {shown}")
    total = report["metrics"]["answerable"]
    if report.get("stages"):
        lines.append("where answers are lost:")
        lines += [f"  {STAGE_LABELS[name]:28} {count} / {total}" for name, count in report["stages"].items()]
        lines += lost_at(report["questions"])
    misses = [r for r in report["questions"] if r["answerable"] and not r["facts_ok"]]
    if misses:
        lines.append("answerable questions without all key facts: " + ", ".join(r["id"] for r in misses))
    wrong = [r for r in report["questions"] if not r["answerable"] and not r["refused"]]
    if wrong:
        lines.append("unanswerable questions that were answered: " + ", ".join(r["id"] for r in wrong))
    if report.get("risk_coverage"):
        lines.append(f"risk and coverage by confidence (operating point {st['min_confidence']:.2f}, "
                     f"{st['confidence_source']}):")
        lines += format_risk_coverage(report["risk_coverage"])
    return "\n".join(lines)


def format_risk_coverage(table: list[dict[str, float]]) -> list[str]:
    lines = ["  point  answerable answered  right of answered  wrong shown  unanswerable answered"]
    lines += [f"  {r['point']:.2f}   {r['answered']:19.1%}  {r['right_of_answered']:17.1%}  {r['wrong_shown']:11.1%}  "
              f"{r['unanswerable_answered']:21.1%}" for r in table]
    return lines


def evaluate_retrieval(retriever: Retriever, questions: list[EvalQuestion], k: int,
                       modes: tuple[str, ...] = RETRIEVAL_MODES) -> dict[str, Any]:
    """Retrieval alone, per mode: recall@k and MRR of a gold file, as ``evaluate`` computes them (no model)."""
    by_id = {q.id: q for q in questions}
    answerable = [q for q in questions if q.answerable]
    out: dict[str, Any] = {"top_k": k, "answerable": len(answerable), "modes": {}}
    for mode in modes:
        ranks = []
        for q in answerable:
            # Retrieval alone has no answers: a follow-up reads the question it follows (resolved in `evaluate`).
            history = [by_id[q.follow_up_of].question] if q.follow_up_of in by_id else []
            passages = retriever.search(contextual_query(q.question, history), k, mode)
            ranks.append(_rank_of_gold([p.source for p in passages], q.sources))
        out["modes"][mode] = {
            f"recall@{k}": _ratio(sum(r is not None for r in ranks), len(ranks)),
            "recall@1": _ratio(sum(r == 1 for r in ranks), len(ranks)),
            "mrr": _ratio(sum(1 / r for r in ranks if r), len(ranks)),
            "misses": [q.id for q, r in zip(answerable, ranks, strict=True) if r is None],
        }
    return out


def format_retrieval_report(report: dict[str, Any]) -> str:
    k = report["top_k"]
    lines = [f"retrieval only, {report['answerable']} answerable questions, top_k {k}",
             f"  {'mode':8} {'recall@' + str(k):>9} {'recall@1':>9} {'MRR':>6}  misses"]
    for mode, m in report["modes"].items():
        lines.append(f"  {mode:8} {m[f'recall@{k}']:>9.1%} {m['recall@1']:>9.1%} {m['mrr']:>6.3f}  "
                     f"{', '.join(m['misses']) or '-'}")
    return "\n".join(lines)
