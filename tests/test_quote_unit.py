"""scripts/quote_unit.py and scripts/compare_pools.py: which unit is quoted, and two decisions of the same pools."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from rag.answer.candidates import candidate
from rag.answer.params import AnswerParams
from rag.answer.question import analyse
from rag.types import Passage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import compare_pools
import quote_unit
from pools import Pool, pool_file

RELEASE_Q = analyse("In which Debian release did systemd become the default init system?")
JESSIE = candidate(Passage("a.html", 0, 60, "systemd has only become the default in Debian Jessie."), 0.9, 1.0,
                   typed=False)
SECTION = candidate(Passage("a.html", 100, 160, "Booting from the network (see Section 4.1) is possible."), 0.5,
                    0.2, typed=True)


def test_the_old_rule_quotes_the_unit_holding_a_version_and_todays_the_top_one():
    table = [JESSIE, SECTION]
    assert quote_unit.quoted(RELEASE_Q, table, 4, AnswerParams(), typed_first=True) is SECTION
    assert quote_unit.quoted(RELEASE_Q, table, 4, AnswerParams(), typed_first=False) is JESSIE
    # a typed unit below the first k was moved into the evidence by the old rule
    assert quote_unit.quoted(RELEASE_Q, table, 1, AnswerParams(), typed_first=True) is SECTION


def _root(tmp: Path, name: str, tables: dict[str, tuple]) -> Path:
    root = tmp / name
    pools = [Pool("handbook", "training", qid, RELEASE_Q.text, True, ("Jessie",), RELEASE_Q, (), table, None)
             for qid, table in tables.items()]
    pool_file(root, "handbook").parent.mkdir(parents=True)
    pool_file(root, "handbook").write_bytes(pickle.dumps(pools))
    return root


def test_two_decisions_of_the_same_pools_are_compared_by_their_top_unit(tmp_path, monkeypatch, capsys):
    before = _root(tmp_path, "before", {"q1": (SECTION, JESSIE), "q2": (JESSIE,), "q3": (SECTION,)})
    after = _root(tmp_path, "after", {"q1": (JESSIE, SECTION), "q2": (SECTION,), "q3": (SECTION,)})
    monkeypatch.setattr(sys, "argv", ["compare_pools.py", str(before), str(after)])
    assert compare_pools.main() == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| handbook | training"))
    # q1 gained the top unit, q2 lost it (and its only candidate with the fact), q3 never had it
    assert row == "| handbook | training | 3 | 2 -> 1 | 1 -> 1 | 1 / 1 |"
