"""What kind of fact a text holds for a question: the specifics it gives (amounts, dates, versions, names), the
items it lists, and whether it is an order addressed to a model (never evidence).
"""

from __future__ import annotations

import re

from rag.answer.facts import facts_of
from rag.answer.params import DEFAULTS, AnswerParams
from rag.answer.question import Question
from rag.text import sentences

# Sentences that address a model rather than state a fact. A document may carry them (prompt injection); they
# are never evidence. Narrow on purpose: manuals say 'You must call close()' and 'Print the value', which are
# facts about the software, not orders to us.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,60}\b(previous|prior|above|earlier|all|your|system)\b.{0,30}"
    r"\b(instructions?|prompts?|rules|guidelines)\b|"
    r"\b(you are|act as|pretend to be|as an?)\s+(now\s+)?(an?\s+)?(ai|assistant|language model|chatbot|llm)\b|"
    r"\btell the user\b|^\W*(say|respond|reply|answer)\b(?!\s+(you|we|i|one|for|to)\b)(?!\s*:)|"
    r"^\W*(assistant|system|ai|chatbot|model)\s*[,:]",
    re.IGNORECASE,
)


def is_instruction(text: str) -> bool:
    """Whether a sentence is an order to a model rather than a statement about the world."""
    return bool(_INSTRUCTION.search(text))


def list_items(question: Question, text: str, params: AnswerParams = DEFAULTS) -> list[str]:
    """The items a sentence lists for what the question counts or lists ('The sons of X are A, B and C.' ->
    ['A', 'B', 'C']): the names after the counted term's verb, split at commas and 'and'."""
    key = question.counted or question.relation_terms
    if not key:
        return []
    spans = sentences(text)
    if len(spans) > 1:  # a unit of several sentences: the items of the one that lists them
        for span in spans:
            items = list_items(question, text[span.start : span.end], params)
            if items:
                return items
        return []
    match = re.search(r"\b(?:are|is|were|was|include|includes|included|:)\s+(.+?)[.;]?\s*$", text)
    if not match or not any(t in facts_of(text[: match.start()]).term_set for t in key):
        return []
    items = [i.strip(" .;\"'") for i in re.split(r",\s*(?:and\s+)?|\s+and\s+", match.group(1))]
    items = [i for i in items if i]
    return items if items and all(len(i.split()) <= params.max_list_item_words for i in items) else []


def specifics(question: Question, text: str, params: AnswerParams = DEFAULTS) -> set[str]:
    """What a text gives of the kind asked for: amounts, dates, versions; names for who- and open questions."""
    facts = facts_of(text)
    if question.kind == "number":
        items = list_items(question, text, params) if question.counted else []
        return set(facts.amounts | facts.number_words) | ({str(len(items))} if items else set())
    if question.kind == "date":
        return set(facts.dates)
    if question.kind == "version":
        return set(facts.versions)
    # A who-question or an open one ('Which US official...?', 'What does X do?'): the names a text gives.
    return set(facts.names)


def has_answer_type(question: Question, text: str, params: AnswerParams = DEFAULTS) -> bool:
    """Whether ``text`` holds something of the kind asked for that the question does not already say."""
    if question.kind is None:
        return True
    return bool(specifics(question, text, params) - question.asked_specifics)
