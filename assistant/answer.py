"""The answer stage, default engine: extractive answers with verified citations (no LLM).

`AnswerEngine(index, embedder, settings).ask(question, mode, filters, history)`:
1. resolve a follow-up against the conversation (conversation.py);
2. read the question: speakers it names (matched against the index's speakers), stances its verbs
   ask for ("who denied" -> deny), topic words, timeline wording (answer_evidence.py);
3. answer in the mode asked (answer_modes.py, answer_compare.py): retrieve, score stored sentences and statements,
   decide whether the coverage answers at all (refusal.py), then quote the chosen sentences
   verbatim, each followed by its citation.

Every citation is a span of the stored article text and its text is that span (CitationBook checks
it when numbering), so the UI can highlight exactly what was quoted.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from typing import Callable, Sequence

from . import conversation
from .answer_evidence import COVERAGE_OVER_TIME, SentenceStore, read_question
from .answer_compare import answer_compare
from .answer_modes import (
    Turn, answer_ask, answer_summarize, answer_who, asks_each_outlet, asks_whether_outlets_agree, collect_evidence, judge,
)
from .refusal import Answerability
from .embed import Embedder
from .errors import NewsdeskError
from .index import Index
from .records import Answer, Filters
from .retrieve import Retriever
from .settings import Settings

log = logging.getLogger(__name__)

MODES: dict[str, Callable[[Turn], Answer]] = {
    "ask": answer_ask,
    "who": answer_who,
    "compare": answer_compare,
    "summarize": answer_summarize,
}


def _mode_for(turn: Turn, mode: str) -> str:
    """The mode that answers the question: as asked, except in ask mode a question for what each
    of several outlets reported, or whether the outlets agree, is answered as a comparison,
    "Who said (denied) what about ...?" as who-said-what and "Summarize ...", "a timeline of ..."
    as a summary (the answer says so: Answer.mode)."""
    if mode != "ask":
        return mode
    if asks_each_outlet(turn) or asks_whether_outlets_agree(turn):
        return "compare"
    if _WHO_SAID_WHAT.match(turn.question.text):
        return "who"
    if _ASKS_SUMMARY.search(turn.question.text):
        return "summarize"
    return mode


_WHO_SAID_WHAT = re.compile(r"^\s*(?:and\s+|so\s+)?who\s+(?:has\s+|have\s+)?[a-z]+\s+what\b", re.IGNORECASE)
# "Give me a sourced summary of the spill", "Summarize the fish deaths", "a timeline of the leak".
# ("a different timeline for the release" is no request for one.)
_SUMMARY_WORDS = r"(?:time ?line|chronology|overview|recap|rundown)"
# ("How did the coverage change over time?" asks for the story's timeline too.)
_ASKS_SUMMARY = re.compile(r"\bsummar(?:y|ies|ize|ise|izing|ising)\b|\b" + _SUMMARY_WORDS + r"\s+of\b|"
                           + COVERAGE_OVER_TIME
                           + r"|^\s*(?:please\s+)?(?:give|make|build|show|write|create|draw up)\b.*\b" + _SUMMARY_WORDS
                           + r"\b", re.IGNORECASE)


class AnswerEngine:
    """Extractive answers: verbatim, de-duplicated, cited source sentences and statements."""

    name = "extractive"

    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.retriever = Retriever(index, embedder, settings)
        self.store = SentenceStore(index)

    def ask(
        self,
        question: str,
        mode: str = "ask",
        filters: Filters = Filters(),
        history: Sequence[tuple[str, str]] = (),
    ) -> Answer:
        started = time.perf_counter()
        asked = " ".join((question or "").split())
        if not asked:
            raise NewsdeskError("The question is empty. Type a question about the coverage.")
        if mode not in MODES:
            raise NewsdeskError(f"Unknown mode '{mode}'. Choose one of: {', '.join(MODES)}.")
        self.store.refresh()
        speakers = [name for name, _ in self.store.speakers()]
        outlets = [name for name, _ in self.store.outlets()]  # for "what about <outlet>?"
        resolved = conversation.resolve(asked, history, speakers, outlets)
        turn = self._turn(resolved.question, mode, filters)
        turn.previous_answer = history[-1][1] if history else ""
        turn.mode = _mode_for(turn, mode)
        answer = MODES[turn.mode](turn)
        notices = [answer.notice]
        if resolved.rewritten:
            notices.append(f"Answered as: “{resolved.question}”")
        if turn.bridges:  # say why sources name what the question did not
            names = " and ".join(f"“{name}”" for name in turn.bridges)
            what = "the name" if len(turn.bridges) == 1 else "names"
            notices.append(f"Also searched for {names}: {what} the best sources share.")
        log.info("%s answer (%s) in %.0f ms: %d citations, answerable=%s", mode, self.name,
                 (time.perf_counter() - started) * 1000, len(answer.citations), answer.answerable)
        return dataclasses.replace(answer, question=asked, notice=" ".join(n for n in notices if n))

    def answerability(self, question: str, filters: Filters = Filters()) -> Answerability:
        """Whether the coverage answers `question` (ask mode), with the signals behind the verdict."""
        self.store.refresh()
        turn = self._turn(" ".join(question.split()), "ask", filters)
        retrieval = turn.retrieve(k=max(turn.top_k, 10))
        return judge(turn, collect_evidence(turn, retrieval))

    def _turn(self, question: str, mode: str, filters: Filters) -> Turn:
        speakers = [name for name, _ in self.store.speakers()]
        return Turn(
            index=self.index,
            embedder=self.embedder,
            retriever=self.retriever,
            store=self.store,
            question=read_question(question, speakers),
            filters=filters,
            mode=mode,
            top_k=self.settings.top_k or 10,
        )


__all__ = ["AnswerEngine"]
