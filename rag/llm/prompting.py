"""Prompts for grounded answers: numbered evidence, the question, and an instruction to cite.

Two shapes: a chat (for GGUF files with a chat template, e.g. SmolLM2-Instruct) and a plain completion with a
worked example and stop strings (for base models with no template, e.g. Gemma 3 270M).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.types import Passage

INSTRUCTION = (
    "Answer the question in one or two short sentences using only the numbered sources. "
    "After each sentence put the number of the source it comes from in brackets, like [1]."
)

# A worked example teaches a base model the format; it is about an unrelated topic so it cannot leak facts.
_EXAMPLE = (
    "Sources:\n"
    "[1] The bridge over the river was opened in 1932 by the mayor, Anna Berg.\n"
    "[2] It carries about 12,000 cars a day.\n"
    "Question: Who opened the bridge?\n"
    "Answer: The mayor, Anna Berg, opened the bridge in 1932 [1].\n"
)

COMPLETION_STOPS = ["\n", "Question:", "Sources:", "<end_of_turn>", "<eos>"]


@dataclass(frozen=True)
class Prompt:
    """A prompt in both shapes; the LLM wrapper uses the one its model supports."""

    messages: list[dict[str, str]]
    completion: str
    stops: list[str] = field(default_factory=lambda: list(COMPLETION_STOPS))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def format_evidence(evidence: list[Passage]) -> str:
    return "\n".join(f"[{i}] {_one_line(p.text)}" for i, p in enumerate(evidence, start=1))


def build_prompt(question: str, evidence: list[Passage]) -> Prompt:
    """Number the evidence from 1 in the given order and ask the question."""
    sources = format_evidence(evidence)
    question = _one_line(question)
    messages = [
        {"role": "system", "content": INSTRUCTION},
        {"role": "user", "content": f"Sources:\n{sources}\n\nQuestion: {question}"},
    ]
    completion = f"{INSTRUCTION}\n\n{_EXAMPLE}\nSources:\n{sources}\nQuestion: {question}\nAnswer:"
    return Prompt(messages=messages, completion=completion)
