"""Offline retrieval-augmented Q&A over a folder of documents, with checked citations."""

from __future__ import annotations

__version__ = "0.1.0"
