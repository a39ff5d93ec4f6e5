"""The caps and thresholds of the generator: every tuning number of it, in one place."""

from __future__ import annotations

# Caps: no more than this many questions from one evidence unit, one file (a PDF: one section of the outline's
# first two levels, a PDF manual being a book of chapters), and one kind of structure in one corpus.
MAX_PER_UNIT = 3
MAX_PER_FILE = 60
MAX_PER_STRUCTURE = 700
# A fact is the value, or the first FACT_WORDS words of a description (cut at a word boundary).
FACT_WORDS = (3, 8)
# A question is a copy of its evidence when this share of the evidence's words stands in it.
COPY_SHARE = 0.8
MAX_EVIDENCE_CHARS = 700
# A heading's subject is looked for in this many sentences at the start of its section.
OUTLINE_SENTENCES = 3
