"""Importing chromadb without the checks its classes ask for at import time, which cost every cold start.

chromadb marks each method that overrides a base class's with ``@override`` from the ``overrides`` package. At
class creation that decorator reads the calling frame's bytecode to find the base classes and compares the two
signatures: a development aid for chromadb's authors, about 0.15 s of every cold `rag ask` on this 2-core machine
(importing chromadb and opening a folder, docs/performance.md). Inside :func:`unchecked_overrides` the decorator
only marks the method, which is all ``EnforceOverrides`` (chromadb's base classes) asks of it; chromadb's classes
are the same either way. Only chromadb uses the package among the project's dependencies.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

_LOCK = threading.RLock()  # one patch at a time: a second thread's would save the first's stand-in as the original


def _mark(method: Callable[..., Any] | None = None, *, check_signature: bool = True,
          check_at_runtime: bool = False) -> Any:
    """``overrides.override`` without its checks: the method marked as an override (``__override__``), as the
    real decorator marks it, used bare (``@override``) or with arguments (``@override(check_signature=False)``)."""
    if method is None:
        return _mark
    method.__override__ = True  # type: ignore[attr-defined]
    return method


@contextlib.contextmanager
def unchecked_overrides() -> Iterator[None]:
    """While inside, modules imported (chromadb's, and those its client imports when built) get the marking
    decorator; the package's own comes back on leaving. Without the ``overrides`` package, nothing changes."""
    try:
        overrides = importlib.import_module("overrides")
        # the submodule by its full name: the package's attribute of that name is the decorator
        module = importlib.import_module("overrides.overrides")
    except ImportError:  # a chromadb that no longer needs it
        yield
        return
    names = ("override", "overrides")
    with _LOCK:
        saved = [(owner, name, getattr(owner, name)) for owner in (overrides, module) for name in names]
        for owner, name, _ in saved:
            setattr(owner, name, _mark)
        try:
            yield
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)
