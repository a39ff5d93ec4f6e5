"""A progress bar on stderr for long work (indexing); silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm


class ProgressBar:
    """Context manager whose ``update(done, total, chunks)`` matches the indexer's progress callback."""

    def __init__(self, label: str, unit: str = "file") -> None:
        self._label = label
        self._unit = unit
        self._bar: tqdm | None = None

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, done: int, total: int, chunks: int) -> None:
        if self._bar is None:
            self._bar = tqdm(total=total, desc=self._label, unit=self._unit, file=sys.stderr,
                             disable=not sys.stderr.isatty(), dynamic_ncols=True)
        self._bar.n = done
        self._bar.set_postfix(chunks=chunks, refresh=False)
        self._bar.refresh()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()
