"""Calibrate the refusal threshold on the user's own documents, and store it with the index.

`rag calibrate` makes probe questions from the indexed text. An answerable probe is a sampled sentence with one
of its facts (a name, number or date) taken out and asked for. An unanswerable probe is the same question with
one of its own names or numbers swapped for another: a *near miss* takes one the index does hold elsewhere (the
relation is then stated nowhere), a *foreign* one takes a value no document holds. The threshold picked is the
highest best-evidence score that refuses at most 5% of the answerable probes the fixed rules let through; it is
written to ``calibration.json`` in the index folder and used by every later question until the next calibration.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rag.answer.params import DEFAULTS, AnswerParams
from rag.answer.threshold import FILE, Calibration, load, refusal_threshold, save
from rag.config import DEFAULT_MIN_EVIDENCE_SCORE
from rag.text import names, numbers, sentences, terms, words

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

__all__ = ["FILE", "Calibration", "calibrate", "load", "make_probes", "refusal_threshold", "save"]

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------------- probes


@dataclass(frozen=True)
class Probe:
    question: str
    answerable: bool
    kind: str  # 'answerable', 'near-miss' or 'foreign'
    answer: str = ""  # of an answerable probe: the fact taken out of its sentence


_WH = {"name": "Who or what", "number": "How many", "date": "When"}


def _facts(sentence: str, params: AnswerParams) -> list[tuple[str, str]]:
    """(kind, value) pieces a probe can ask for: names after the first word, numbers."""
    out = [("name", n) for n in words(sentence)[1:] if n[:1].isupper() and terms(n)]
    out += [("number", n) for n in sorted(numbers(sentence)) if n.isdigit() and len(n) <= params.probe_max_digits]
    return out


def _question_around(sentence: str, value: str, kind: str, params: AnswerParams) -> str:
    """A question-sized probe: the words around ``value`` (taken out), like a user asking about that clause."""
    tokens = sentence.rstrip(".!?").split()
    at = next((i for i, t in enumerate(tokens) if value in t), 0)
    left = tokens[max(0, at - params.probe_window) : at]
    right = [t for t in tokens[at : at + params.probe_window + 1] if value not in t]
    return f"{_WH[kind]}: {' '.join(left + right)}?"


def make_probes(texts: list[str], n: int, seed: int, params: AnswerParams = DEFAULTS) -> list[Probe]:
    """``n`` answerable probes and, for each, a near-miss and a foreign unanswerable one."""
    rng = random.Random(seed)
    vocabulary_names = sorted({nm for t in texts for nm in names(t)})
    vocabulary_numbers = sorted({n for t in texts for n in numbers(t)
                                 if n.isdigit() and len(n) <= params.probe_max_digits})
    pool = []
    for text in texts:
        for span in sentences(text):
            s = " ".join(text[span.start : span.end].split())
            if params.probe_min_words <= len(s.split()) <= params.probe_max_words and _facts(s, params):
                pool.append(s)
    rng.shuffle(pool)
    probes: list[Probe] = []
    for s in pool[:n]:
        kind, value = rng.choice(_facts(s, params))
        asked = _question_around(s, value, kind, params)
        probes.append(Probe(asked, True, "answerable", value))
        others = [p for kd, p in _facts(asked.split(":", 1)[1], params) if p != value]
        if not others or not vocabulary_names:
            continue
        swap = rng.choice(others)
        near = rng.choice(vocabulary_names if not swap.isdigit() else vocabulary_numbers)
        near = near.title() if not swap.isdigit() else near
        foreign = "Qzxwyvr" if not swap.isdigit() else "98765"
        probes.append(Probe(re.sub(rf"(?<!\w){re.escape(swap)}(?!\w)", near, asked, count=1), False, "near-miss"))
        probes.append(Probe(re.sub(rf"(?<!\w){re.escape(swap)}(?!\w)", foreign, asked, count=1), False, "foreign"))
    return probes


def _pick(answerable: list[float], params: AnswerParams = DEFAULTS) -> float:
    """The highest threshold that refuses at most ``params.max_false_refusals`` of the answerable probes the rules
    let through (the rules' own refusals are reported beside it, not traded against it)."""
    ranked = sorted(answerable)
    if not ranked:
        return DEFAULT_MIN_EVIDENCE_SCORE
    allowed = int(params.max_false_refusals * len(ranked))
    # Refusing below ranked[allowed] refuses exactly `allowed` answerable probes (ties aside).
    return ranked[min(allowed, len(ranked) - 1)] - params.probe_epsilon


def calibrate(pipeline: Pipeline, probes_per_kind: int | None = None,
              seed: int = 0) -> tuple[Calibration, dict[str, Any]]:
    """Probe the index, pick the threshold, and report what each probe kind scored."""
    from rag.answer.refusal import best_score

    params = pipeline.params
    texts = pipeline.store.texts()
    probes = make_probes(texts, probes_per_kind or params.probes_per_kind, seed, params)
    rows = []
    answers = []  # (probe, confidence, whether the unit an answer would quote holds the probe's fact)
    for probe in probes:
        # Threshold -1: every rule but the score applies, so the score decides the rest.
        d = pipeline.decide(probe.question, threshold=(-1.0, "probe"))
        rows.append((probe, d.refusal is not None, best_score(d.question, d.candidates, pipeline.params)))
        if d.refusal is None:
            quote = d.candidates[0].passage.text if d.candidates else ""
            # Probes are not drafted (no model call): each counts with the confidence a draft that holds up would
            # give, the highest it can reach, so the point chosen keeps wrong answers shown within bounds whatever
            # the drafts do.
            answers.append((probe, rows[-1][2], d.highest_confidence, probe.answerable and probe.answer in quote))
    a_scores = [score for p, reason, score in rows if p.answerable and not reason]
    total_a = sum(p.answerable for p, _, _ in rows)
    total_u = len(rows) - total_a
    rule_false = sum(1 for p, reason, _ in rows if p.answerable and reason)
    threshold = _pick(a_scores, params)
    false = (rule_false + sum(s < threshold for s in a_scores)) / max(total_a, 1)
    refused = sum(1 for p, reason, score in rows if not p.answerable and (reason or score < threshold))
    shown = [(p, c, right) for p, score, c, right in answers if score >= threshold]
    point = confidence_point_for(shown, total_a, params)
    cal = Calibration(min_score=round(threshold, 4), answerable=total_a, unanswerable=total_u,
                      false_refusals=round(false, 4), refusals=round(refused / max(total_u, 1), 4),
                      chunks=len(texts), seed=seed, min_confidence=point)
    by_kind: dict[str, Any] = {}
    for kind in ("answerable", "near-miss", "foreign"):
        mine = [(reason, score) for p, reason, score in rows if p.kind == kind]
        by_kind[kind] = {"probes": len(mine), "refused_by_rules": sum(1 for r, _ in mine if r),
                         "refused_at_threshold": sum(1 for r, s in mine if r or s < threshold)}
    return cal, {"by_kind": by_kind, "examples": [asdict(p) for p, _, _ in rows[:6]]}


def confidence_point_for(shown: list[tuple[Probe, float, bool]], answerable: int, params: AnswerParams) -> float:
    """The lowest confidence operating point at which the probes' wrong answers shown (an answerable probe answered
    without its fact, or an unanswerable one answered) stay within ``params.max_wrong_shown`` of the answerable
    probes. ``shown``: each probe the rules and the threshold let through, its confidence, whether it is right."""
    allowed = params.max_wrong_shown * max(answerable, 1)
    for point in sorted({round(c, 4) for _, c, _ in shown} | {0.0}):
        wrong = sum(1 for _, c, right in shown if c >= point and not right)
        if wrong <= allowed:
            return point
    return 1.0
