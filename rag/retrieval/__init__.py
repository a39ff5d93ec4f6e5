"""Retrieval: a question (with its conversation) becomes ranked passages, dense, lexical (BM25) or hybrid."""
