"""What the whole index holds, for exact lookups and term weights: document frequency of every term and number."""

from __future__ import annotations

import bisect
import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from rag.answer.params import DEFAULTS
from rag.index.paging import ids_fingerprint
from rag.text import index_tokens, terms

log = logging.getLogger(__name__)

CODE_PREFIX = "`"  # df keys of snake_case code names as written ('`lru_cache'); never a term
_SNAKE = re.compile(r"\b[A-Za-z]\w*_\w+\b")


@dataclass(frozen=True)
class CorpusStats:
    """Document frequencies over the indexed chunks."""

    chunks: int
    df: dict[str, int] = field(default_factory=dict)
    _sorted: list[str] | None = field(default=None, repr=False, compare=False)

    @staticmethod
    def build(texts: Iterable[str]) -> CorpusStats:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            seq = terms(text)
            # Adjacent term pairs too ('abel peel'), so a name of two words can be looked up as a whole.
            df.update(index_tokens(text) | {f"{a} {b}" for a, b in pairwise(seq)}
                      | {CODE_PREFIX + w.lower() for w in _SNAKE.findall(text)})
            n += 1
        return CorpusStats(n, dict(df))

    def has(self, token: str) -> bool:
        return self.df.get(token, 0) > 0

    def mentions(self, name: str, prefix: int = DEFAULTS.form_prefix) -> bool:
        """Whether every term of a name occurs somewhere, or a longer or shorter form of it ('Mongolian' is
        known to a corpus that says 'Mongolia'); False for a name with no terms."""
        parts = terms(name)
        return bool(parts) and all(self.has(t) or self._has_form_of(t, prefix) for t in parts)

    def _has_form_of(self, term: str, prefix: int) -> bool:
        if len(term) < prefix:
            return False
        if self._sorted is None:
            object.__setattr__(self, "_sorted", sorted(self.df))
        vocab = self._sorted
        i = bisect.bisect_left(vocab, term[:prefix])
        while i < len(vocab) and vocab[i].startswith(term[:prefix]):
            t = vocab[i]
            if len(t) >= prefix and (t.startswith(term) or term.startswith(t)):
                return True
            i += 1
        return False

    def knows_code(self, name: str) -> bool:
        """Whether a code name's own part ('splitroot' of 'os.path.splitroot', 'delete_on_close') occurs as it is
        written: code names do not inflect, so 'splitroot' is not a form of 'split' as 'Mongolian' is of
        'Mongolia'. A snake_case part must occur verbatim; another part's terms exactly."""
        last = name.removesuffix("()").split(".")[-1]
        if "_" in last.strip("_"):
            return self.has(CODE_PREFIX + last.lower())
        parts = terms(last)
        return all(self.has(t) for t in parts)

    def idf(self, term: str) -> float:
        """Inverse document frequency: a term in every chunk weighs ~0, a rare one log(N)."""
        return math.log((self.chunks + 1) / (self.df.get(term, 0) + 0.5))


STATS_FORMAT = 1  # bump when what CorpusStats.build counts changes: saved statistics are then rebuilt
FOLDER = "corpus"  # beside the index: the statistics of its chunks, by fingerprint of their ids


def stats_fingerprint(ids: list[str]) -> str:
    """Names the chunks' statistics: the same ids (chunk ids hold the file's content hash) give the same file."""
    return ids_fingerprint(ids, f"corpus v{STATS_FORMAT}")


class CorpusCache:
    """CorpusStats of a store, rebuilt when the store's change token changes (any edit, even one that keeps
    the number of chunks). With ``ids`` and ``folder`` the statistics are saved beside the index, named by the
    fingerprint of the chunk ids, so a new process (`rag ask` run once per question) loads them instead of
    reading and counting every chunk again."""

    def __init__(self, token: Callable[[], Any], texts: Callable[[], list[str]],
                 ids: Callable[[], list[str]] | None = None, folder: Path | None = None) -> None:
        self._token_of = token
        self._texts = texts
        self._ids = ids
        self._folder = folder
        self._token: Any = object()
        self._stats = CorpusStats(0)
        self._lock = threading.Lock()

    def get(self) -> CorpusStats:
        token = self._token_of()
        with self._lock:
            if token != self._token:
                self._stats = self._load_or_build()
                self._token = token
            return self._stats

    def _load_or_build(self) -> CorpusStats:
        if self._ids is None or self._folder is None:
            return CorpusStats.build(self._texts())
        path = self._folder / f"{stats_fingerprint(self._ids())}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return CorpusStats(int(data["chunks"]), {str(k): int(v) for k, v in data["df"].items()})
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("corpus statistics %s unreadable (%s); counting them again", path, exc)
        stats = CorpusStats.build(self._texts())
        self._save(path, stats)
        return stats

    def _save(self, path: Path, stats: CorpusStats) -> None:
        """Write the statistics (and drop older ones); a folder that cannot be written only costs speed."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"chunks": stats.chunks, "df": stats.df}, separators=(",", ":")),
                           encoding="utf-8")
            tmp.replace(path)
            for old in path.parent.glob("*.json"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.info("corpus statistics not saved in %s (%s)", path.parent, exc)
