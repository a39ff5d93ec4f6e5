"""Index: chunks become vectors in Chroma, with per-file records that make a sync safe to kill."""
