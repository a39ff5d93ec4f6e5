"""A progress bar on stderr for long work (indexing); silent when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from tqdm import tqdm


class ProgressBar:
    """Context manager whose ``update(done, total, chunks)`` matches the indexer's progress callback.

    Shows files done of total, chunks embedded and the embedding rate, e.g.
    ``indexing:  40%|████      | 20/50 files [00:12<00:18, chunks=310, 25.3 chunks/s]``.
    """

    def __init__(self, label: str, unit: str = "file", stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self._label = label
        self._unit = unit
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._bar: tqdm | None = None
        self._started = 0.0
        self._shown = 0.0
        self._first_chunks = 0
        self.chunks = 0

    def __enter__(self) -> ProgressBar:  # noqa: PYI034 (typing.Self needs Python 3.11; we allow 3.10)
        return self

    def update(self, done: int, total: int, chunks: int) -> None:
        if self._bar is None:
            self._bar = tqdm(total=total, desc=self._label, unit=self._unit, file=self._stream,
                             disable=not self._enabled, dynamic_ncols=True, mininterval=0.2)
            self._started = time.perf_counter()
            self._first_chunks = chunks
        self.chunks = chunks
        self._bar.total = total
        self._bar.n = done
        now = time.perf_counter()
        if done >= total or now - self._shown >= 0.2:  # redrawing on every call would slow a big sync
            self._shown = now
            self._bar.set_postfix_str(f"chunks={chunks}, {self.rate():.1f} chunks/s", refresh=False)
            self._bar.refresh()

    def rate(self) -> float:
        """Chunks embedded per second since the first update."""
        elapsed = time.perf_counter() - self._started
        return (self.chunks - self._first_chunks) / elapsed if elapsed > 0 else 0.0

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()
