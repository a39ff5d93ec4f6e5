"""`python -m rag` runs the `rag` command."""

from __future__ import annotations

import sys

from rag.serve.cli import main

sys.exit(main())
