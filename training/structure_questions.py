"""The old name of `.venv/bin/python -m training.structure_gen` (the package's __main__.py says what it makes).

  .venv/bin/python training/structure_questions.py [--corpus NAME ...] [--out training/structure]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from structure_gen.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
