"""Reading a model fitted by a script (models/*.json): one place for the errors that say what to do."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rag.errors import ConfigError

T = TypeVar("T")


def load_fitted(path: Path, what: str, features: tuple[str, ...], make: Callable[[dict[str, Any]], T],
                redo: str, missing_hint: str = "", subset: bool = False) -> T:
    """``make`` applied to the JSON object at ``path``, fitted on ``features``. Raises ConfigError naming ``what``
    and ``redo`` (how to restore or refit it) when the file is missing (plus ``missing_hint``), unreadable, or
    fitted on other features than this code computes (with ``subset``, on features it does not compute: such a
    model reads the columns it names)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = tuple(data["names"])
        model = make(data)
    except FileNotFoundError as exc:
        raise ConfigError(f"The {what} {path} is missing; {redo}{missing_hint}.") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"The {what} {path} cannot be read ({exc}); {redo}.") from exc
    if names != features and not (subset and set(names) <= set(features) and len(set(names)) == len(names)):
        raise ConfigError(f"The {what} {path} was fitted on other features than this version computes; {redo}.")
    return model
