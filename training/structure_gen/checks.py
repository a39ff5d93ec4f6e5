"""This package's own rules for a draft, the caps that choose among the drafts, and the JSONL record of one."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from check_questions import norm  # training/check_questions.py, on the path (see __init__.py)

from .drafts import Draft
from .limits import COPY_SHARE, MAX_EVIDENCE_CHARS, MAX_PER_FILE, MAX_PER_STRUCTURE, MAX_PER_UNIT

_MARKUP_IN_QUESTION = re.compile(r"[`*|]|:\w+:|&#?\w+;|\]\(|<[/a-zA-Z]|\\(?![A-Za-z])|\s{2,}|\.\.\s|https?://")


def rejection(item: Draft) -> str:
    """Why a draft is not a good question ('' when it is), by this file's rules; the checker's come after."""
    question, evidence = item.question, norm(item.evidence)
    if not question.endswith("?") or not 12 <= len(question) <= 220:
        return "shape"
    if _MARKUP_IN_QUESTION.search(question):
        return "markup in the question"
    if len(item.evidence) > MAX_EVIDENCE_CHARS:
        return "evidence too long"
    if any(not fact or len(fact) > 80 or norm(fact) not in evidence for fact in item.facts):
        return "fact not in the evidence"
    if norm(item.facts[0]) in norm(question):
        return "answer in the question"
    words = re.findall(r"\w+", evidence)
    asked = set(re.findall(r"\w+", norm(question)))
    if words and sum(w in asked for w in words) / len(words) >= COPY_SHARE:
        return "a copy of the evidence"
    return ""


def shuffled(item: Draft) -> str:
    """A stable pseudo-random order (the same every run), so a cap takes items from all over a file."""
    return hashlib.sha1(f"{item.source}\n{item.question}".encode()).hexdigest()


def capped(items: list[Draft], group: Callable[[Draft], str], lane: Callable[[Draft], str], cap: int) -> list[Draft]:
    """At most ``cap`` items per group, taken in turn from its lanes (structures of a file, files of a
    structure) so that one lane does not fill the group."""
    groups: dict[str, list[Draft]] = defaultdict(list)
    for item in items:
        groups[group(item)].append(item)
    out: list[Draft] = []
    for members in groups.values():
        if len(members) <= cap:
            out.extend(members)
            continue
        lanes: dict[str, list[Draft]] = defaultdict(list)
        for item in sorted(members, key=shuffled):
            lanes[lane(item)].append(item)
        queues = [lanes[name] for name in sorted(lanes)]
        picked: list[Draft] = []
        for turn in range(max(len(q) for q in queues)):
            picked.extend(q[turn] for q in queues if turn < len(q))
        out.extend(picked[:cap])
    return out


def order(item: Draft) -> tuple[str, int, str, str]:
    return item.source, item.start, item.structure, item.question


def choose(drafts: Iterable[Draft]) -> list[Draft]:
    """One question per question text, then the caps per evidence unit, per file and per structure."""
    unique: dict[str, Draft] = {}
    for item in sorted(drafts, key=order):
        unique.setdefault(norm(item.question), item)
    per_unit: Counter[tuple[str, int]] = Counter()
    kept = []
    for item in unique.values():
        per_unit[(item.source, item.start)] += 1
        if per_unit[(item.source, item.start)] <= MAX_PER_UNIT:
            kept.append(item)
    kept = capped(kept, lambda d: d.group, lambda d: d.structure, MAX_PER_FILE)
    kept = capped(kept, lambda d: d.structure, lambda d: d.group, MAX_PER_STRUCTURE)
    return sorted(kept, key=order)


def record(corpus: str, number: int, item: Draft) -> dict:
    return {"id": f"{corpus}-s{number:04d}", "corpus": corpus, "question": item.question, "answerable": True,
            "sources": [item.source], "facts": list(item.facts), "evidence": item.evidence, "kind": item.kind,
            "note": f"structure:{item.structure}"}
