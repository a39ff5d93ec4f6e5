"""chromadb imported without the `overrides` package's import-time checks (rag/index/chroma_import.py)."""

from __future__ import annotations

import importlib
import threading

import overrides
import pytest

from rag.index.chroma_import import unchecked_overrides


class Base(overrides.EnforceOverrides):
    def size(self, unit: str) -> int:
        """The size in ``unit``."""
        return 0


def _subclass() -> type:
    """A subclass as chromadb writes them: the override decorated, imported from the package at class creation
    (``from overrides import override`` binds whatever the package holds then)."""
    from overrides import override

    class Sub(Base):
        @override
        def size(self, unit: str) -> int:
            return 1

    return Sub


def _mismatched() -> type:
    from overrides import override

    class Wrong(Base):
        @override
        def size(self) -> int:  # type: ignore[override]  # the unit dropped: what the checks catch
            return 1

    return Wrong


def test_inside_overrides_are_marked_not_checked_and_the_package_is_restored_after():
    originals = (overrides.override, overrides.overrides, importlib.import_module("overrides.overrides").override)
    with unchecked_overrides():
        assert overrides.override is not originals[0]
        sub = _subclass()
        wrong = _mismatched()  # a signature the package would refuse: not read here
    assert sub().size("kB") == 1 and sub.size.__override__ is True  # marked, as EnforceOverrides asks
    assert wrong().size() == 1
    assert (overrides.override, overrides.overrides,
            importlib.import_module("overrides.overrides").override) == originals
    with pytest.raises(TypeError):  # outside, the package checks again
        _mismatched()


def test_an_unmarked_override_is_still_refused_inside():
    """EnforceOverrides itself still runs: a method overriding without the decorator fails as before."""
    with unchecked_overrides(), pytest.raises(TypeError):

        class Unmarked(Base):
            def size(self, unit: str) -> int:
                return 2


def test_threads_patching_at_once_leave_the_package_as_it_was():
    original = overrides.override
    start = threading.Barrier(4)

    def enter() -> None:
        start.wait()
        for _ in range(50):
            with unchecked_overrides():
                _subclass()

    threads = [threading.Thread(target=enter) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overrides.override is original
