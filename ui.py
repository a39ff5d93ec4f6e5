"""The Gradio chat app: `python ui.py` syncs the index with the documents folder and serves the chat.

Same as `rag serve` (flags such as --port and --host are accepted). The page itself is built in rag/serve/web.py;
settings come from RAG_* environment variables (see README).
"""

from __future__ import annotations

import sys

from rag.serve.cli import main
from rag.serve.web import build_ui, serve

__all__ = ["build_ui", "main", "serve"]

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
