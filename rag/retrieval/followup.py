"""Follow-up questions: retrieve with the conversation's context, by a cheap rule instead of a model call."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import names, terms

# Words that point back to something said before ("its prime minister", "what about there").
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|there|that|this|those|these|the country|the city|"
    r"the same|the other|then)\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(r"^\s*(and|also|what about|how about|and what|and who|and when|and where|so)\b",
                          re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    """Whether a question leans on an earlier one: it starts with 'and'/'what about', or it refers back
    with a pronoun and names nothing itself."""
    if _CONTINUATION.search(question):
        return True
    return bool(_ANAPHORA.search(question)) and not names(question) and len(terms(question)) <= 6


def contextual_query(question: str, history: Sequence[str]) -> str:
    """The text to retrieve with: the question, preceded by the previous question when it is a follow-up."""
    if history and is_follow_up(question):
        return f"{history[-1]} {question}"
    return question
