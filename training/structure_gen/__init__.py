"""Training questions made from the structure of the corpora's documents, with no model and no network.

The command and what it makes: __main__.py. The modules, in the order a file flows through them: corpora (what is
read), drafts (a page, a draft question, its evidence unit), the templates (api, versions, definitions, tables,
faq, options; on text and describe), checks (the rules and the caps), build (one corpus, and its JSONL file);
limits holds every cap and threshold.
"""

import sys
from pathlib import Path

# training/check_questions.py, the checker every question must pass as it is, is imported as a top-level module.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
