"""Re-score a `rag eval --out` results file with today's judge (how the README's "before" rows were made).

    .venv/bin/python scripts/rescore.py RESULTS.json QUESTIONS.jsonl

RESULTS.json must keep each answer's citations (`"citations"` per question row): older code needs
`"citations": [c.to_json() for c in answer.citations]` added to its eval rows, and gold sources matched as paths
ending in the question set's `sources`. Prints: facts, refusals, false refusals, wrong answers shown, citation
precision, as `rag eval` computes them now.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from rag.answer.checking import parse_citations, split_answer
from rag.evaluation import _norm, is_gold, load_questions

_LEAD = re.compile(r"^(The documents say|Another source gives a different figure):\s*")


def rescore(results: dict, questions: Path) -> dict[str, float | None]:
    gold = {q.id: q for q in load_questions(questions)}
    rows = results["questions"]
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    cites = []
    for r in answerable:
        if r["refused"]:
            continue
        by_n = {c["n"]: c for c in r["citations"]}
        q = gold[r["id"]]
        for sentence in split_answer(r["answer"]):
            text, cited = parse_citations(sentence)
            claim = _LEAD.sub("", text).strip('"“” ')
            stated = [f for f in q.facts if _norm(f) in _norm(claim)]
            cites += [n in by_n and is_gold(by_n[n]["source"], q.sources)
                      and all(_norm(f) in _norm(by_n[n]["quote"]) for f in stated) for n in cited]
    share = lambda n, d: n / d if d else None
    return {
        "facts": share(sum(r["facts_ok"] for r in answerable), len(answerable)),
        "refusals": share(sum(r["refused"] for r in unanswerable), len(unanswerable)),
        "false refusals": share(sum(r["refused"] for r in answerable), len(answerable)),
        "wrong answers shown": share(sum(not r["refused"] and not r["facts_ok"] for r in answerable), len(answerable)),
        "citation precision": share(sum(cites), len(cites)),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    metrics = rescore(json.loads(Path(argv[0]).read_text(encoding="utf-8")), Path(argv[1]))
    print("  ".join(f"{k} {'-' if v is None else f'{v:.1%}'}" for k, v in metrics.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
