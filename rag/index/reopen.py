"""A running app's index, kept usable when its folder is deleted, replaced or made read-only under it.

Chroma caches one client "System" per index folder for the life of the process, holding the folder's SQLite
connections and segment files. So an app whose folder is deleted and built again (`rag index` in another shell)
would keep reading the deleted files, and a connection opened while the folder was read-only stays read-only.
IndexWatch is asked before each question and upload: it says what to do while the folder is gone, and reopens
the index (through a new System) once the folder was replaced, or after a failed call once it is writable again.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from rag.errors import IndexBroken, IndexMissing
from rag.index.store import ChromaStore

log = logging.getLogger(__name__)

DATABASE = "chroma.sqlite3"


def folder_identity(index_dir: Path) -> tuple[int, int] | None:
    """(device, inode) of the index's database file; None when there is none.

    A database that was replaced has another inode: the old one cannot be reused while this process still holds
    the old file open, which its Chroma connections do.
    """
    try:
        st = (index_dir / DATABASE).stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def forget_cached_client(index_dir: Path) -> None:
    """Make the next Chroma client for ``index_dir`` open the folder afresh instead of reusing the cached System.

    chromadb offers no public call for this (chroma-core/chroma#7565 proposes one); the cache is the
    ``SharedSystemClient`` registry, keyed by the folder path as given. The old System is not stopped: a question
    still reading through it would fail (its bindings are gone once stopped); it is collected, and closes its
    files, when the last collection using it is dropped.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(index_dir)
    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)


class IndexWatch:
    """Watches the index of one ChromaStore for a long-running app (the web chat). Thread-safe. Build it right
    after the store is opened: the folder it records is the one the store reads.

    Writers of the store (uploads) hold ``write_lock``: a reopen waits for them, questions do not.
    """

    def __init__(self, store: ChromaStore) -> None:
        self.store = store
        self.write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._opened = folder_identity(store.index_dir)
        self._stale = False  # a call failed: reopen at the next ensure() if the index can be opened again

    def failed(self) -> None:
        """Note that using the store raised IndexBroken or IndexMissing: the next ``ensure`` reopens the index."""
        self._stale = True

    def ensure(self) -> None:
        """Call before using the store. Reopens the index when its folder was replaced, or after a failed call
        once the folder is usable again; raises IndexMissing with what to do while the folder is gone."""
        if self.store.url is not None:
            if self._stale:
                self._reopen()
            return
        now = folder_identity(self.store.index_dir)
        if now is None:
            raise IndexMissing(
                f"The index folder {self.store.index_dir} was deleted or moved while the app was running. Run "
                "`rag index` in another shell (with the same --docs and --index as this app), or put the folder "
                "back; the next question then uses it, no restart needed. Your documents are not touched.")
        if now != self._opened or (self._stale and self._writable()):
            self._reopen()

    def _writable(self) -> bool:
        index_dir = self.store.index_dir
        return os.access(index_dir, os.W_OK) and os.access(index_dir / DATABASE, os.W_OK)

    def _reopen(self) -> None:
        with self.write_lock, self._lock:
            now = folder_identity(self.store.index_dir)
            if self.store.url is None and now == self._opened and not self._stale:
                return  # another thread reopened it meanwhile
            if self.store.url is None:
                forget_cached_client(self.store.index_dir)
            try:
                self.store.open(create=False)
            except (IndexBroken, IndexMissing):
                self._stale = True  # e.g. `rag index` still building it: try again at the next question
                raise
            self._opened, self._stale = now, False
        log.warning("reopened the index in %s", self.store.location)
