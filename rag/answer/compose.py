"""Assemble the shown answer from checked model sentences and quoted evidence, numbering citations as used.

The layout: the short answer first (the model's sentences that add something, else the value asked for or the
model's short phrase), then the one quote it rests on with the answer highlighted, then a rival source's figure
as one short line. A model sentence that only restates the quote is held back (the quote says it), and one that
repeats what an earlier shown sentence says is dropped. With the packaged models, sentences that add something
are not shown at all (Settings.shows_model_sentences): the short answer is then read off the quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from rag.answer.candidates import Candidate
from rag.answer.checking import CheckedSentence
from rag.answer.conflicts import conflicting_evidence
from rag.answer.evidence import list_items, specifics
from rag.answer.facts import facts_of
from rag.answer.params import DEFAULTS, AnswerParams
from rag.answer.question import STRICT_KINDS, Question
from rag.answer.render import render_quote
from rag.answer.spans import NamedAnswer, Span, answer_span, asked_span, named_answer, stated_spans, value_spans
from rag.text import CITATION_MARKER, find_spaced, fold, same_name_term, trimmed_lines, words
from rag.types import AnswerSentence, Citation, Passage


def with_marker(text: str, n: int) -> str:
    """'Lavrov met Son.' -> 'Lavrov met Son [1].'"""
    if text and text[-1] in ".!?":
        return f"{text[:-1]} [{n}]{text[-1]}"
    if len(text) > 1 and text[-1] in "\"'”’»)" and text[-2] in ".!?":
        return f"{text} [{n}]"  # '"The Ukrainian crisis." [1]': the quotation ends the sentence
    return f"{text} [{n}]."  # a fragment ('The United States') still ends, so the next sentence stays apart


_BRACKETED_NUMBER = re.compile(r"\[(\d[\d,\s]*)\]")


def defuse_markers(quote: str) -> str:
    """A quoted '[0]' (code indexing a list, a footnote) is not one of our citation markers: a word joiner after
    the bracket keeps it from being read as one, and it looks the same."""
    return _BRACKETED_NUMBER.sub("[\u2060\\1]", quote)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def said(text: str) -> frozenset[str]:
    """What a sentence states, for comparing sentences: its content terms and its numbers."""
    return facts_of(text).said


@dataclass
class AnswerBuilder:
    """The answer so far. Each ``add_*`` returns the text to append to what is shown (with its leading space or
    line break), or None when nothing is added; citations are numbered 1, 2, ... in the order the answer first
    uses them. ``quote`` is the evidence index of the unit quoted, the best holding the kind of fact asked for;
    a model sentence resting on another unit is shown with its own citation above it, so when the model chose
    the wrong unit, the best one is still in sight. A model sentence that says nothing the quoted unit does not
    is held back, since the quote shows it."""

    evidence: list[Candidate]
    quote: int = 0
    asked: frozenset[str] = frozenset()  # the question's terms and values: restating them adds nothing
    params: AnswerParams = DEFAULTS
    sentences: list[AnswerSentence] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # rejected model sentences, with the reason
    held: list[CheckedSentence] = field(default_factory=list)  # accepted model sentences the quote already says
    # Whether accepted model sentences that say more than the quote are shown (Settings.shows_model_sentences);
    # when not, they are kept in ``unshown``: they held up against the evidence, and are not shown.
    show_model: bool = True
    unshown: list[CheckedSentence] = field(default_factory=list)
    supports: set[int] = field(default_factory=set)  # evidence indexes (0-based) that model sentences rest on
    # A who- or which-question's name, as the evidence gives it next to the question's words (rag.answer.spans.
    # named_answer), with its evidence index; and what the question says. A model sentence naming someone else
    # instead is not shown.
    named: tuple[int, NamedAnswer] | None = None
    known: frozenset[str] = frozenset()
    # The quote as shown and cited when it is not the unit ``evidence[quote]`` itself: that unit joined with the
    # sentence next to it (with_neighbour). What the answer reads off the quote is read off the unit.
    quoted: Candidate | None = None
    _numbers: dict[int, int] = field(default_factory=dict)

    def number(self, evidence_index: int) -> int:
        """The citation number of an evidence unit; a unit a joined quote holds whole is cited as that quote."""
        if self.quoted is not None and self.quoted.passage.holds(self.evidence[evidence_index].passage):
            evidence_index = self.quote
        return self._numbers.setdefault(evidence_index, len(self._numbers) + 1)

    def _append(self, sentence: AnswerSentence) -> str:
        delta = (sentence.separator if self.sentences else "") + sentence.text
        self.sentences.append(sentence)
        return delta

    @property
    def parts(self) -> list[str]:
        return [s.text for s in self.sentences]

    def model_claims(self) -> list[str]:
        """What the model's accepted sentences say, shown or held back."""
        return [s.claim for s in self.sentences if s.origin == "model"] + [c.text for c in self.held]

    def shown_model(self) -> list[AnswerSentence]:
        return [s for s in self.sentences if s.origin == "model"]

    def add_model_sentence(self, sentence: CheckedSentence) -> str | None:
        if sentence.support is None:
            self.removed.append(f"{sentence.text} ({sentence.reason})")
            return None
        index = sentence.support - 1
        if self.named is not None:
            name = facts_of(self.named[1].span.text).names
            others = facts_of(sentence.text).names - self.known - name
            if others and not facts_of(sentence.text).names & name:
                self.removed.append(f"{sentence.text} (names {', '.join(sorted(others))}, not "
                                    f"{self.named[1].span.text}, whom the sources name next to the question's words)")
                return None
        claim = said(sentence.text) - self.asked
        if index == self.quote and claim <= said(self.evidence[index].shown):
            self.supports.add(index)
            self.held.append(sentence)  # the quote will say it
            return None
        if not self.show_model:
            self.unshown.append(sentence)
            return None
        self.supports.add(index)
        if claim <= set().union(*(said(s.claim) for s in self.sentences)):
            return None  # an earlier sentence already says it
        return self._model_line(sentence.text, index)

    def _model_line(self, text: str, index: int) -> str:
        n = self.number(index)
        return self._append(AnswerSentence(with_marker(text, n), text, (n,), "model"))

    def add_notice(self, text: str, origin: str) -> str:
        """A line of the answer's own ('Not sure — ...'): no claim, no citation."""
        return self._append(AnswerSentence(text, "", (), origin))

    def add_short_phrase(self, sentence: CheckedSentence) -> str | None:
        """Show a held model sentence as the short answer when it is short enough to read as one."""
        if len(sentence.text.split()) > self.params.short_phrase_words:
            return None
        return self.show_held(sentence)

    def show_held(self, sentence: CheckedSentence) -> str:
        """Show a held model sentence with its citation."""
        assert sentence.support is not None
        self.held.remove(sentence)
        return self._model_line(sentence.text, sentence.support - 1)

    def add_short(self, evidence_index: int, span: Span) -> str:
        """The value asked for, read off the unit it rests on: '$5.54 billion [1].'"""
        n = self.number(evidence_index)
        text = span.text.rstrip(".")
        return self._append(AnswerSentence(f"{text} [{n}].", text, (n,), "short", (0, len(text))))

    def add_quote(self, evidence_index: int, highlight: Span | None = None, origin: str = "quote",
                  lines: bool = False) -> str:
        """Quote an evidence unit as shown, on its own line, with the answer's span highlighted: '"..." [2]'. With
        ``lines`` the shown text keeps its line breaks (a passage's blocks, render.render_passage); otherwise it is
        one line."""
        unit, cited = self.evidence[evidence_index], self._cited(evidence_index)
        quote = defuse_markers(trimmed_lines(cited.shown) if lines else " ".join(cited.shown.split()))
        # joined: the span is searched from where the best unit stands, not among its neighbour's words
        own = find_spaced(quote, defuse_markers(unit.shown)) if cited is not unit else None
        phrase = defuse_markers(highlight.text) if highlight is not None else ""
        found = (own and find_spaced(quote, phrase, own[0])) or find_spaced(quote, phrase)
        mark = (found[0] + 1, found[1] + 1) if found else None  # + 1: the opening quote mark
        n = self.number(evidence_index)
        return self._append(AnswerSentence(f'"{quote}" [{n}]', quote, (n,), origin, mark))

    def add_rival(self, evidence_index: int, span: Span | None) -> str:
        """A source that disagrees, as one short line with its own citation: '[2] gives $7.1 billion.'"""
        if span is None:
            return self.add_quote(evidence_index, origin="conflict")
        n = self.number(evidence_index)
        value = span.text.rstrip(".")
        text = f"[{n}] gives {value}."
        at = text.index(value)
        return self._append(AnswerSentence(text, value, (n,), "conflict", (at, at + len(value))))

    def add_list(self, evidence_index: int, items: list[str]) -> str:
        """A count read off a sentence that lists the items: 'The documents list 3: A, B and C [1].'"""
        n = self.number(evidence_index)
        claim = f"{len(items)}: {_listed(items)}"
        return self._append(AnswerSentence(f"The documents list {claim} [{n}].", claim, (n,), "list"))

    def deltas(self) -> Iterator[tuple[str, AnswerSentence]]:
        """Each sentence with the text that shows it after the ones before (its separator, then itself)."""
        for i, s in enumerate(self.sentences):
            yield (s.separator if i else "") + s.text, s

    @property
    def text(self) -> str:
        return "".join(delta for delta, _ in self.deltas())

    def _cited(self, evidence_index: int) -> Candidate:
        """The unit as quoted and cited: the joined quote for the quote's index, else the evidence unit."""
        if evidence_index == self.quote and self.quoted is not None:
            return self.quoted
        return self.evidence[evidence_index]

    def citations(self) -> list[Citation]:
        out = []
        for index, n in sorted(self._numbers.items(), key=lambda kv: kv[1]):
            item = self._cited(index)
            p = item.passage
            out.append(Citation(n=n, source=p.source, start=p.start, end=p.end, quote=p.text,
                                score=round(item.score, 4), page=p.page, shown=item.shown,
                                breadcrumb=p.breadcrumb))
        return out


# ------------------------------------------------------------------------------------------------- the layout


def named_in(q: Question, evidence: list[Candidate], answers: dict[int, NamedAnswer]) -> tuple[int, NamedAnswer] | None:
    """Of the names the evidence units give (``answers``, by evidence index), the one next to most of the
    question's words in a unit about what the question names (the earliest unit of equals); None when none is."""
    found = [(i, a) for i, a in answers.items()
             if about(q, [evidence[i], *(n for n in evidence if neighbours(evidence[i], n))])]
    return max(found, key=lambda f: (len(f[1].covered), -f[0])) if found else None


def about(q: Question, units: list[Candidate]) -> bool:
    """Whether the units (a unit and its neighbours, read with their passages) mention every name the question
    gives: a name given next to 'foreign minister' answers "Who is Mongolia's foreign minister?" only in a passage
    about Mongolia."""
    said = set().union(*(u.facts.term_set | u.context_facts.term_set for u in units)) if units else set()
    return all(any(same_name_term(t, s) for s in said) for t in q.name_terms)


def neighbours(a: Candidate, b: Candidate, gap: int = 4) -> bool:
    """Whether two units are next to each other in their file (a sentence and the one after it)."""
    x, y = a.passage, b.passage
    return x.source == y.source and (0 <= y.start - x.end <= gap or 0 <= x.start - y.end <= gap)


def with_neighbour(evidence: list[Candidate], passages: Sequence[Passage], within: int) -> Candidate:
    """The best unit as the answer quotes it: joined to the unit right next to it in its file when the order put
    that unit among its first ``within``, else alone. Of the learned order's misses two in three are a wrong
    sentence of the right section, a quarter of them the one right next to the top unit (docs/quality.md, "The
    quote takes in the sentence next to it"). The joined unit is one span of the retrieved passage holding both, and
    keeps the best unit's scores and features; what the answer reads off it is read off the best unit
    (builder_for)."""
    top = evidence[0]
    for other in evidence[1:within]:
        if not neighbours(top, other):
            continue
        first, second = sorted((top, other), key=lambda c: c.passage.start)
        holder = next((p for p in passages if p.holds(first.passage) and p.holds(second.passage)), None)
        if holder is None:
            return top
        start, end, source = first.passage.start, second.passage.end, top.passage.source
        text = holder.text[start - holder.start : end - holder.start]
        # two sentences of one entry are led by its name once ('str.casefold: Casefolding ... Since it is ...')
        tail = render_quote(source, second.passage.text) if second.label == first.label else second.shown
        return replace(top, passage=replace(top.passage, start=start, end=end, text=text, page=first.passage.page),
                       shown=f"{first.shown} {tail}", facts=facts_of(text), before=first.before, label=first.label)
    return top


def builder_for(q: Question, evidence: list[Candidate], asked: frozenset[str] = frozenset(),
                params: AnswerParams = DEFAULTS, show_model: bool = True,
                passages: Sequence[Passage] = ()) -> AnswerBuilder:
    """The answer's builder: it quotes the best unit (the first of ``evidence``: the order, learned or by hand,
    already weighs whether a unit holds the kind of fact asked for, and quoting the best unit that holds it instead
    lost more answers than it found; docs/quality.md, "Which unit the answer quotes"); for a who- or
    which-question, the unit naming what is asked next to more of the question's words when there is one, or
    still the best unit when that name stands in the sentence next to it (the neighbour gives the name, the best
    unit the rest: 'Mélanie Joly [2]' after '... her Canadian counterpart has warned she would not shake his
    hand [1]'). Another unit is quoted instead only when its name stands by ``params.named_switch_terms`` of the
    question's terms or more ('Foreign Minister of Mongolia'); a name by one ('meets') is not worth the quote.
    The best unit, quoted, takes in the sentence next to it as :func:`with_neighbour` joins it from ``passages``;
    what the answer reads off the quote (its value, its highlight) is still read off the best unit."""
    quote = 0
    # A who- or which-question's name, read off each evidence unit once.
    answers = ({i: a for i, e in enumerate(evidence) if (a := named_answer(q, e.shown)) is not None}
               if q.asks_name else {})
    named = named_in(q, evidence, answers)
    if named is not None and named[0] != quote and not neighbours(evidence[quote], evidence[named[0]]):
        own = answers.get(quote) if about(q, [evidence[quote]]) else None
        if len(named[1].covered) >= params.named_switch_terms and (own is None
                                                                    or len(own.covered) < len(named[1].covered)):
            quote = named[0]
        else:
            named = (quote, own) if own is not None else None
    known = q.asked_specifics | {fold(w) for w in words(q.text)}
    shown = with_neighbour(evidence, passages, params.quote_neighbour_within) if quote == 0 and passages else None
    return AnswerBuilder(evidence, quote=quote, asked=asked, params=params, named=named, known=known,
                         show_model=show_model, quoted=shown if shown is not evidence[0] else None)


def short_answer(q: Question, builder: AnswerBuilder, unit: str) -> str | None:
    """When no model sentence is shown: the value a number, date or version question asks for, read off the quoted
    unit (the one the held model sentences give, else its first); else the model's short phrase when it gives
    what is asked ('Mélanie Joly', a name the question lacks); else nothing, and the quote stands alone."""
    held = " ".join(c.text for c in builder.held)
    if q.kind in STRICT_KINDS:
        spans = value_spans(q, unit)
        stated = stated_spans(q, held, spans) if held else []
        if len(stated) == 1:
            span: Span | None = stated[0]
        elif stated:  # the draft restates several: the question's words beside each choose among them
            span = asked_span(q, unit, stated, builder.params.span_context_words)
        else:
            given = answer_span(q, held, unit) if held else None
            span = given if given in spans else asked_span(q, unit, spans, builder.params.span_context_words)
        if span is not None:
            return builder.add_short(builder.quote, span)
    if builder.named is not None:  # who- and which-questions: the name the evidence gives next to their words
        return builder.add_short(builder.named[0], builder.named[1].span)
    phrase = next((c for c in builder.held if specifics(q, c.text, builder.params) - q.asked_specifics), None)
    return builder.add_short_phrase(phrase) if phrase is not None else None


def complete(q: Question, builder: AnswerBuilder) -> Iterator[str]:
    """After the model's sentences, the text to append, piece by piece: the short answer when the model's shown
    sentences give none (the count of a list, the value asked for, or the model's short phrase), the one quote
    the answer rests on with the answer highlighted, and a rival source's different figure as one short line."""
    evidence, quote = builder.evidence, builder.quote
    items = list_items(q, evidence[quote].passage.text, builder.params) if q.counted else []
    unit = evidence[quote].shown
    if items and not CITATION_MARKER.sub("", builder.text).count(str(len(items))):
        yield builder.add_list(quote, items)
    elif not builder.shown_model() and (delta := short_answer(q, builder, unit)):
        yield delta
    shorts = [s.claim for s in builder.sentences if s.origin == "short"]
    named = builder.named
    if named is not None and named[0] == quote and shorts == [named[1].span.text]:
        highlight = named[1].span  # the name read off the quote, where it stands ('Joan Peele, Shante Peele')
    else:
        highlight = answer_span(q, " ".join(shorts or builder.model_claims()), unit)  # the short answer's, if any
    yield builder.add_quote(quote, highlight)
    rival = conflicting_evidence(q, evidence, quote, builder.params)
    if rival is not None and rival not in builder.supports:
        # Sources disagree: the other figure, with its own citation, instead of silently picking one.
        mine = facts_of(unit).amounts
        theirs = [s for s in value_spans(q, evidence[rival].shown) if not facts_of(s.text).amounts & mine]
        yield builder.add_rival(rival, theirs[0] if theirs else None)
