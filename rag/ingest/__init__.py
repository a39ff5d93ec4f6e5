"""Ingest: files become Documents (text extracted from HTML/PDF/DOCX), Documents become chunks with offsets."""
