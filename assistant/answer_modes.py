"""Extractive answer modes ask, who (said what) and summarize, and what all modes share.

Each mode takes a `Turn` (the question read, the filters, the engine's parts) and returns an
`Answer` whose text quotes stored sentences verbatim, each followed by its citation marker.
Shared pieces (reading the question, scoring sentences, citations) live in answer_evidence.py;
compare mode in answer_compare.py; answerability in refusal.py; what a name is ("Who is X?") in
describe.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from . import refusal
from .answer_evidence import (
    ASKED_WHAT, EMBED_KIND, KIND_DENSE, SPEECH_VERBS, STANCE_ALIKE, STANCE_LABELS, STANCE_WORDS, STOPWORDS,
    WHAT_DID_THE_ROLE_SAY,
    Candidate, CitationBook, QuestionInfo, SentenceStore, attach_statements, cited, content_stems, copies_label,
    date_of, gather_candidates, jaccard, negative_claim, holds_expected, lexical_score, outlet_name, passes_filters,
    remove_near_duplicates, score_candidates, sentence_span_around, source_label, statement_end, statement_start,
    stem, term_weights,
)
from .attribute import cue_class, is_title_word
from .describe import best_described
from .index import Index
from .query import DatesAsked, QueryHints, date_spans
from .records import Answer, ArticleInfo, Filters, Passage, Sentence, Statement, Table
from .retrieve import Retrieval, Retriever

log = logging.getLogger(__name__)

WHO_COLUMNS = ("Speaker", "Stance", "Statement", "Outlet", "Date", "Source")


@dataclass
class Turn:
    """One question being answered, with what every mode needs."""

    index: Index
    embedder: object
    retriever: Retriever
    store: SentenceStore
    question: QuestionInfo
    filters: Filters
    mode: str
    top_k: int = 10
    previous_answer: str = ""  # the last answer's text, for "what did he say next?"
    bridges: list[str] = field(default_factory=list)  # names the retrievals also searched for (bridge.py)
    # Searches already made for this question (a routing check and the mode it hands over to
    # may ask the same): (text, filters, k) -> the retrieval.
    searched: dict[tuple[str, Filters, int], Retrieval] = field(default_factory=dict)

    def retrieve(self, k: int | None = None, filters: Filters | None = None, text: str | None = None) -> Retrieval:
        key = (text or self.question.text, filters or self.filters, k or self.top_k)
        if key not in self.searched:
            self.searched[key] = self.retriever.retrieve(*key[:2], k=key[2])
        result = self.searched[key]
        for name in (result.recognised.bridge, result.recognised.runner_up):
            if name and name not in self.bridges:
                self.bridges.append(name)
        return result

    def known_outlets(self) -> list[str]:
        return [o for o, _ in self.store.outlets()]


def finish_answer(turn: Turn, retrieval: Retrieval | None, book: CitationBook, text: str, *,
            table: Table | None = None, statements: Sequence[Statement] = (),
            answerable: bool = True, notice: str = "") -> Answer:
    """Number the citations (text first, then the table) and build the Answer."""
    rows = table.rows if table else ()
    notes = table.notes if table else ()
    text, rows, notes, citations = book.finish(text, rows, notes)
    if not citations:  # nothing could be quoted: say so rather than show an empty answer
        return not_answered(turn, retrieval, f"{refusal.NOT_ANSWERED} These are the closest passages.")
    return Answer(
        question=turn.question.text,
        mode=turn.mode,
        text=text.strip(),
        answerable=answerable,
        citations=citations,
        passages=retrieval.passages if retrieval else (),
        statements=tuple(statements),
        engine="extractive",
        table=Table(columns=table.columns, rows=rows, notes=notes) if table else None,
        notice=notice,
        filters=retrieval.filters if retrieval else turn.filters,
    )


def not_answered(turn: Turn, retrieval: Retrieval | None, reason: str) -> Answer:
    """Say plainly that the coverage does not answer; the closest passages go with it."""
    return Answer(
        question=turn.question.text,
        mode=turn.mode,
        text=reason or refusal.NOT_ANSWERED,
        answerable=False,
        citations=(),
        passages=tuple(retrieval.passages[:5]) if retrieval else (),
        engine="extractive",
        filters=retrieval.filters if retrieval else turn.filters,
    )


# ----------------------------------------------------------------------------- evidence


@dataclass
class Evidence:
    """Retrieved passages turned into scored sentences (best first) and their statements."""

    retrieval: Retrieval
    candidates: list[Candidate]
    statements: tuple[Statement, ...]
    infos: dict[str, ArticleInfo]


def collect_evidence(turn: Turn, retrieval: Retrieval, extra_leads: bool = False) -> Evidence:
    passages = list(retrieval.passages)
    candidates = gather_candidates(turn.store, passages, retrieval.dense_scores)
    infos = {p.article.id: p.article for p in passages}
    if extra_leads:
        _add_article_leads(turn, candidates, infos, retrieval)
    statements = turn.index.statements(list(infos)) if infos else ()
    attach_statements(candidates, statements)
    score_candidates(candidates, turn.question, retrieval.query_vector, turn.store, turn.embedder)
    return Evidence(retrieval, candidates, tuple(statements), infos)


def _add_article_leads(turn: Turn, candidates: list[Candidate], infos: dict[str, ArticleInfo],
                       retrieval: Retrieval) -> None:
    """A summary needs each article's lead even when its best chunk is further down."""
    have = {c.key for c in candidates}
    best_by_article: dict[str, float] = {}
    top = max((p.score for p in retrieval.passages), default=1.0) or 1.0
    for p in retrieval.passages:
        best_by_article[p.article.id] = max(best_by_article.get(p.article.id, 0.0), p.score / top)
    for article_id, info in infos.items():
        for sentence in turn.store.sentences(article_id)[:2]:
            if (article_id, sentence.index) in have:
                continue
            candidates.append(Candidate(
                sentence=sentence, article=info, position=sentence.index,
                retrieval=best_by_article.get(article_id, 0.0) * 0.8, chunk_dense=0.0,
                stems=frozenset(content_stems(sentence.text)),
            ))


def judge(turn: Turn, evidence: Evidence) -> refusal.Answerability:
    """Whether the evidence answers the question (see refusal.py)."""
    candidates = evidence.candidates
    best_sentence = max((c.dense for c in candidates[:10] if c.dense is not None), default=0.0)
    if not any(c.dense is not None for c in candidates[:10]):
        best_sentence = max((c.chunk_dense for c in candidates[:10]), default=0.0)
    best_chunk = max(evidence.retrieval.dense_scores.get(p.chunk.id, 0.0) for p in evidence.retrieval.passages) \
        if evidence.retrieval.passages else 0.0
    signals = refusal.gather_signals(
        turn.index, turn.question.text, turn.known_outlets(), best_sentence, best_chunk,
        [c.text for c in candidates[:5]], outlet_metadata=turn.store.outlet_metadata(),
    )
    return refusal.decide(signals)


# ----------------------------------------------------------------------------- statements


@dataclass
class ScoredStatement:
    statement: Statement
    article: ArticleInfo
    span: tuple[int, int]  # the citation: whole sentences around the statement
    text: str  # the cited text (stored text of `span`)
    stems: frozenset[str]
    relevance: float = 0.0  # topical + stance bonus: the ranking
    topical: float = 0.0  # how much the statement is about the question's topic
    dense: float | None = None
    referent: Statement | None = None  # the claim a bare "denied that" answers

    @property
    def shown(self) -> str:
        """What a reader sees: the quote; for a bare "denied that", the claim it answers in
        brackets, as an editor would insert it (the cited sentences when none was found)."""
        if not is_anaphoric(self.statement.content):
            return quoted(self.statement)
        if self.referent is None:
            return " ".join(self.text.split())
        claim = self.referent
        return f"{quoted(self.statement)} [{claim.speaker} {claim.cue}: {quoted(claim)}]"

    @property
    def speaker(self) -> str:
        return self.statement.speaker

    @property
    def stance(self) -> str:
        return self.statement.stance

    @property
    def denies(self) -> bool:
        """A denial, or an assertion of a negative ("No product reached the river")."""
        return self.stance == "deny" or (self.stance in ("assert", "claim") and negative_claim(self.statement.content))

    @property
    def order_key(self) -> tuple:
        return (date_of(self.article) or "9999", self.article.id, self.statement.index)


_ANAPHORIC_CONTENT = re.compile(
    r"^(?:that|this|it|those|these|the (?:claim|claims|suggestion|report|reports|account|allegation|"
    r"allegations|accusation|explanation|figures?|idea))\b", re.IGNORECASE,
)


def prepare_statements(turn: Turn, statements: Sequence[Statement],
                       infos: dict[str, ArticleInfo]) -> list[ScoredStatement]:
    """Statements with their citation span; anaphoric ones ("Kessler denied that.") take the
    sentence before them along so the reader sees what was denied."""
    missing = [s.article_id for s in statements if s.article_id not in infos]
    if missing:
        infos.update(turn.index.article_infos(missing))
    prepared = []
    for st in statements:
        info = infos.get(st.article_id)
        if info is None or not passes_filters(info, turn.filters):
            continue
        start, end = sentence_span_around(turn.store, st)
        referent = None
        if is_anaphoric(st.content):
            referent = answered_claim(turn, st, start)
            # The citation runs from the claim answered (else the sentence before) to the denial.
            start = (sentence_span_around(turn.store, referent)[0] if referent
                     else _sentence_before(turn, st, start))
        text = _stored(turn, st.article_id, start, end)
        if not text:
            continue
        stems = frozenset(content_stems(st.content + " " + text))
        prepared.append(ScoredStatement(st, info, (start, end), text, stems, referent=referent))
    return prepared


def is_anaphoric(content: str) -> bool:
    """ "denied that", "rejected that explanation": the content points back at an earlier claim."""
    return bool(_ANAPHORIC_CONTENT.match(content.strip())) and len(content.split()) <= 4


def answered_claim(turn: Turn, statement: Statement, start: int) -> Statement | None:
    """The claim a bare denial ("Kessler denied that.", "Obi rejected that explanation.") answers:
    what the nearest other speaker claimed, at most MAX_CONTEXT_SENTENCES sentences back.

    Plans ("the company would share its data") and denials are passed over: "that explanation"
    explains, it neither promises nor denies. Of several claims its speaker made in a row ("workers
    had reported the valve." "They were told it was on the list," he said.), the first is the
    one the rest support. None when nothing fits."""
    earlier = _statements_shortly_before(turn, statement, start)
    others = [st for st in earlier if st.speaker != statement.speaker and not is_anaphoric(st.content)]
    claims = [st for st in others if _is_claim(st)]
    return _first_of_run(earlier, claims[-1], claims) if claims else None


def _first_of_run(earlier: list[Statement], last: Statement, claims: list[Statement]) -> Statement:
    """The first claim its speaker made in the run of statements ending with `last`."""
    first = last
    for st in reversed(earlier[: earlier.index(last)]):
        if st.speaker != last.speaker:
            break
        if st in claims:
            first = st
    return first


def _statements_shortly_before(turn: Turn, statement: Statement, start: int) -> list[Statement]:
    """The article's statements before `statement` whose sentences are among the few before it."""
    sentences = [s for s in turn.store.sentences(statement.article_id) if s.end <= start]
    if not sentences:
        return []
    earliest = sentences[-min(MAX_CONTEXT_SENTENCES, len(sentences))].start
    return [st for st in turn.index.statements([statement.article_id])
            if st.index < statement.index and sentence_span_around(turn.store, st)[0] >= earliest]


# "the company would share its data with the agency": a plan, not a claim one can reject.
_PLAN = re.compile(r"^(?:\S+\s+){0,3}?(?:would|will)\b", re.IGNORECASE)


def _is_claim(statement: Statement) -> bool:
    return (cue_class(statement.cue) != "deny" and statement.stance != "promise"
            and not _PLAN.match(statement.content))


def _sentence_before(turn: Turn, statement: Statement, start: int) -> int:
    sentences = [s for s in turn.store.sentences(statement.article_id) if s.end <= start]
    return sentences[-1].start if sentences else start


MAX_CONTEXT_SENTENCES = 3


def _stored(turn: Turn, article_id: str, start: int, end: int) -> str:
    text = turn.index.article_text(article_id) or ""
    return text[start:end] if 0 <= start < end <= len(text) else ""


def score_statements(turn: Turn, items: list[ScoredStatement], retrieval: Retrieval | None,
                     embed_top: int = 32) -> list[ScoredStatement]:
    """Relevance of each statement to the question's topic, best first."""
    q = turn.question
    if not items:
        return items
    topic = q.stems or q.all_stems
    weights = term_weights(topic, [i.stems for i in items])
    chunk_score = _chunk_scores(retrieval)
    for item in items:
        lexical = lexical_score(item.stems, weights) if topic else 0.0
        item.topical = 0.6 * lexical + 0.4 * chunk_score(item)
        item.relevance = item.topical + _stance_bonus(item, q)
    items.sort(key=lambda i: i.relevance, reverse=True)
    vector = retrieval.query_vector if retrieval is not None else np.zeros(0)
    if topic and vector.size:
        head = items[:embed_top]
        if q.expects:
            # ... and those holding what the question asks for ("roughly 3,000 liters ... escaped"
            # for "how much leaked"), whatever their words, as score_candidates does
            head += [i for i in items[embed_top:] if holds_expected(i.statement.content, q.expects)][:EMBED_KIND]
        sentences = [Sentence(i.statement.article_id, -1, i.span[0], i.span[1], i.text) for i in head]
        for item, v in zip(head, turn.store.sentence_vectors(turn.embedder, sentences)):
            item.dense = float(np.dot(v, vector)) if v.shape == vector.shape else None
        for item in items:
            lexical = lexical_score(item.stems, weights)
            dense = item.dense if item.dense is not None else 0.0
            item.topical = 0.45 * dense + 0.35 * lexical + 0.2 * chunk_score(item)
            item.relevance = item.topical + _stance_bonus(item, q)
        items.sort(key=lambda i: i.relevance, reverse=True)
    return items


def _chunk_scores(retrieval: Retrieval | None) -> Callable[[ScoredStatement], float]:
    """Scaled retrieval score of the best retrieved chunk holding a statement (0 if none)."""
    spans: dict[str, list[tuple[int, int, float]]] = {}
    if retrieval is not None and retrieval.passages:
        top = max(p.score for p in retrieval.passages) or 1.0
        for p in retrieval.passages:
            spans.setdefault(p.chunk.article_id, []).append((p.chunk.start, p.chunk.end, p.score / top))

    def score(item: ScoredStatement) -> float:
        start, end = item.span
        return max((s for a, b, s in spans.get(item.statement.article_id, ()) if a < end and b > start), default=0.0)

    return score


def _stance_bonus(item: ScoredStatement, q: QuestionInfo) -> float:
    if not q.stances:
        return 0.0
    if item.stance in q.stances:
        return 0.2
    if "deny" in q.stances and item.denies:
        return 0.12  # "No product reached the river" answers "who denied ..."
    return 0.0


def wanted_stance(item: ScoredStatement, q: QuestionInfo) -> bool:
    return not q.stances or item.stance in q.stances or ("deny" in q.stances and item.denies)


def remove_repeated_statements(items: Sequence[ScoredStatement]) -> list[ScoredStatement]:
    """One speaker saying the same thing in two outlets is one row (the first, best ranked)."""
    kept: list[ScoredStatement] = []
    for item in items:
        content = frozenset(content_stems(item.statement.content))
        if any(k.speaker == item.speaker and jaccard(set(content), set(content_stems(k.statement.content))) >= 0.6
               for k in kept):
            continue
        if any(k.span == item.span and k.statement.article_id == item.statement.article_id and k.speaker == item.speaker
               for k in kept):
            continue
        kept.append(item)
    return kept


def quoted(statement: Statement) -> str:
    """The statement's content as shown: direct quotes in quotation marks."""
    content = " ".join(statement.content.split())
    if statement.quote_type == "direct" and not content.startswith(("“", '"')):
        return f"“{content}”"
    return content


def stance_label(stance: str) -> str:
    return STANCE_LABELS.get(stance, stance)


def stance_with_target(statement: Statement) -> str:
    """"accused Kessler Terminals" when the statement names whom it accuses."""
    label = said_as(statement)
    return f"{label} {statement.target}" if statement.target else label


# A stance read from what was said, shown after the verb as written: "said, warning".
_STANCE_PARTICIPLES = {
    "deny": "denying", "accuse": "accusing", "promise": "promising", "warn": "warning",
    "admit": "admitting", "confirm": "confirming", "question": "asking", "claim": "claiming",
}


def said_as(statement: Statement) -> str:
    """How a line introduces the statement: its stance ("denied", "warned"); but a stance read
    from what was said rather than from the verb keeps the verb as written ("said, denying",
    "said, warning"): "the company said the readings may reflect the old depot" is not shown as
    the company denying it, and "“Boiling does not make this water safe,” she said" is not shown
    as "warned", a verb she was not reported to use."""
    participle = _STANCE_PARTICIPLES.get(statement.stance)
    verb = _neutral_verb(statement.cue)
    if participle and verb:
        return f"{verb}, {participle}"
    if _is_past_verb_of(statement.cue, statement.stance):
        return statement.cue.lower()  # "disputed", "rejected", "blamed": the reporter's own verb
    return stance_label(statement.stance)


def _is_past_verb_of(cue: str, stance: str) -> bool:
    word = cue.lower()
    return word.endswith("ed") and word in STANCE_WORDS and stance in STANCE_ALIKE[STANCE_WORDS[word]]


def _neutral_verb(cue: str) -> str | None:
    """The verb to show when the cue itself takes no stance: the cue as written ("said",
    "reportedly said"), or "said" for "according to", which is shown as "said" when it asserts."""
    if cue_class(cue) == "assert":
        # "responded ..., saying, “...”": a participle cue reads as "said" in a line of its own.
        return stance_label("assert") if cue.lower().endswith("ing") else cue
    if cue.lower() == "according to":
        return stance_label("assert")
    return None


# ----------------------------------------------------------------------------- ask


MAX_ASK_SENTENCES = 5
RELATIVE_CUTOFF = 0.72  # supporting sentences score at least this share of the best one


def answer_ask(turn: Turn) -> Answer:
    q = turn.question
    hints = turn.retriever.understand(q.text)  # rules only: no search yet
    named = hints.outlets
    # "How did Kessler's account change?" asks for its statements in order; "Did Kessler change
    # its story?" asks what it did, which others' words answer ("changed its story twice").
    beside_topic = _date_stems(q.text) | (_CHANGE_STEMS if q.asks_speech else frozenset())
    if q.speakers and _no_topic_besides(q, named, beside_topic) and not q.wants_more and not q.expects:
        # "What did Whitcombe say (according to Harbor Ledger) (on March 12)?" asks for a person's
        # statements and nothing else: all of them (of those days), in the order made, as
        # who-said-what lists them ("She said ..." sentences hardly resemble the question).
        # "Where (when) did Whitcombe speak?" asks for a place (time) in them: an answer.
        return answer_who(turn)
    if not q.speakers and not q.wants_more and _describes_a_known_speaker(turn):
        # "What did the union say (about the valve)?" asks for what the union, and the people the
        # articles tie to it, said; who-said-what finds them (a search for "the union" finds
        # sentences about it, and the topic alone finds anyone's).
        return answer_who(turn)
    if named and not turn.filters.outlets and _asks_for_a_slice(turn, hints):
        # "What did Harbor Ledger report (on March 12)?": that outlet's leads (that day's).
        return _outlet_coverage(turn, named, *hints.days_named)
    if hints.only_dates is not None:
        # "What happened on March 13?" asks for that day's coverage; a search for "what happened"
        # finds nothing in particular and is refused.
        return _dates_coverage(turn, hints.only_dates)
    if q.latest and not q.stems and not q.speakers:
        # "What is the latest?" names no topic: the newest articles' leads.
        return _latest_coverage(turn, _named_slice(turn, named, *hints.days_named))
    retrieval = turn.retrieve(k=max(turn.top_k, 10))
    if not retrieval.passages:
        return not_answered(turn, retrieval, nothing_found(turn))
    sources = () if q.speakers else _sources_described(turn, retrieval)
    if sources:
        # "How much leaked, according to the agency?": the agency's words answer it (its
        # statements get the boost a speaker named in the question gives), not the company's.
        q = turn.question = replace(q, speakers=sources)
    evidence = collect_evidence(turn, retrieval, extra_leads=q.latest)
    verdict = judge(turn, evidence)
    if not verdict.answerable:
        return not_answered(turn, retrieval, verdict.reason)
    unquoted = _unquoted_speaker(turn)
    if unquoted:
        # Passages about the story (or about the person) are no answer to what they said.
        return not_answered(turn, retrieval, unquoted)
    on_days = [] if hints.parts else _on_days_named(evidence.candidates, *hints.days_named)
    if on_days:
        # "What did Kessler say on March 13?": what was published then. The named date only
        # boosted the search (it may have been misread), so other days stay when none is of it.
        # A question of several clauses, each with its own date ("Between the report of October 1
        # and the one of October 10, ..."), keeps its evidence: the days span the clauses, not
        # what each asks for (on MultiHop-RAG, narrowing those cited 0.657 of the evidence
        # against 0.673).
        evidence.candidates = on_days
    if q.wants_more and turn.previous_answer:
        # "what else ...?": leave out what the last answer already quoted.
        shown = " ".join(turn.previous_answer.split())
        evidence.candidates = [c for c in evidence.candidates if " ".join(c.text.split()) not in shown]
    book = CitationBook(turn.index)
    lines: list[str] = []
    used: set[tuple[str, int]] = set()
    latest = _latest_report(evidence, q.stems) if q.latest else None
    if latest is not None:
        # "What is the latest on the spill?": the lead of the newest article on it says what is new.
        lines.append(f"**Latest** ({source_label(latest.article)}): {cited(book, latest)}")
        used.add(latest.key)
    described = _describing_sentence(turn, list(evidence.infos.values())) if q.identity else None
    if described is not None:
        # "What is toluene?": the sentence that says what it is ("toluene, an industrial solvent").
        article, sentence = described
        candidate = next((c for c in evidence.candidates if c.key == (sentence.article_id, sentence.index)), None)
        lines.append(cited(book, candidate) if candidate is not None
                     else f"{sentence.text}{book.cite(article, sentence.start, sentence.end)}")
        used.add((sentence.article_id, sentence.index))
    sides = _side_statements(turn, evidence) if described is None and _names_two_sides(q) else []
    statements_used: list[Statement] = []
    for item in sides:
        # "Did the mayor and Kessler disagree about ...?": each side's statement closest to it.
        label = f" {said_as(item.statement)}" if q.asks_speech else ""
        lines.append(f"**{item.speaker}**{label}: {item.text}{book.cite(item.article, *item.span)}")
        statements_used.append(item.statement)
        used.update(_keys_within(evidence, item.statement.article_id, item.span))
    # With two sides named, one side's statement is no lead by itself: the best sentence leads.
    wants_statement = (q.asks_who or q.stances or (q.speakers and q.asks_speech)) and not _names_two_sides(q)
    lead_statement = _lead_statement(turn, evidence) if wants_statement and described is None else None
    if lead_statement is not None:
        st = lead_statement.statement
        marker = book.cite(lead_statement.article, *lead_statement.span)
        # "Who apologized?" is answered by the sentence; a stance label ("disputed") would put
        # another verb in the answer's mouth. Questions about speech keep it.
        label = f" {said_as(st)}" if q.asks_speech else ""
        line = f"**{st.speaker}**{label}: {lead_statement.text}{marker}"
        span = lead_statement.span
        follow = _own_words_next(turn, lead_statement, evidence.statements)
        if follow is not None:
            # "Whitcombe ... disputed the agency's figures." goes on with her own words, which say why.
            sentence, said = follow
            line += f" {sentence.text}{book.cite(lead_statement.article, sentence.start, sentence.end)}"
            statements_used.append(said)
            span = (span[0], sentence.end)
        lines.append(line)
        statements_used.insert(0, st)
        used.update(c.key for c in evidence.candidates
                    if c.sentence.article_id == st.article_id
                    and c.sentence.start < span[1] and c.sentence.end > span[0])
    chosen = select_sentences(
        [c for c in evidence.candidates if c.key not in used],
        limit=MAX_ASK_SENTENCES - len(lines),
        must_cover=retrieval.recognised.outlets if len(retrieval.recognised.outlets) > 1 else (),
    )
    if not lines and chosen and _DEVELOPMENT.search(q.text):
        return _development(turn, retrieval, book, chosen)
    if not lines and chosen:
        lead = chosen.pop(_lead_position(chosen, named))
        lead_paragraph = [lead] + [c for c in chosen if _continues(lead, c)][:1]
        chosen = [c for c in chosen if c not in lead_paragraph]
        lead_paragraph.sort(key=lambda c: c.position)
        lines.append(" ".join(cited(book, c, before=lead_paragraph[i - 1].text if i else "")
                              for i, c in enumerate(lead_paragraph)))
    if latest is not None:
        chosen.sort(key=lambda c: date_of(c.article) or "", reverse=True)  # newest first, like the lead
    shown = [*lines, *(c.text for c in chosen)]  # the lead (statement or paragraph) and the rest
    if chosen:
        lines.append("")
        lines.append("Also in the coverage:")
        for c in chosen:
            lines.append(f"- {source_label(c.article)}: {cited(book, c)}")
    return finish_answer(turn, retrieval, book, "\n".join(lines), statements=statements_used,
                         notice=_lacks_expected(q, shown))


# "How did Kessler's estimate change over time?", "How has the account shifted?": a development,
# told oldest first. ("Did Kessler change its story?" asks whether, and is answered as asked.)
_DEVELOPMENT = re.compile(r"\bover time\b|\bday by day\b|\bfrom day to day\b|^\s*how\s+(?:did|has|have|had)\b[^?]*"
                          r"\b(?:chang(?:e|ed)|shift(?:ed)?|evolv(?:e|ed)|develop(?:ed)?)\b", re.IGNORECASE)


def _development(turn: Turn, retrieval: Retrieval, book: CitationBook, chosen: Sequence[Candidate]) -> Answer:
    """The sentences closest to the question, oldest first, each with its outlet and date."""
    ordered = sorted(chosen, key=lambda c: (date_of(c.article) or "9999", c.article.published_at or "",
                                            c.sentence.article_id, c.position))
    lines = ["How it developed, oldest first:"]
    lines.extend(f"- {source_label(c.article)}: {cited(book, c)}" for c in ordered)
    return finish_answer(turn, retrieval, book, "\n".join(lines),
                         notice=_lacks_expected(turn.question, [c.text for c in ordered]))


# What "how much", "how long", "how many" and "when" ask for, as a notice names it.
# A cause or a place is often told without the words that show one ("Prigozhin accused the
# ministry of an attack on his forces"), so no notice claims that none is given.
_EXPECTED_NAMES = {"amount": "an amount", "duration": "how long", "quantity": "a number", "time": "a time or date"}


def _lacks_expected(q: QuestionInfo, shown: Sequence[str]) -> str:
    """ "When did Prigozhin post the video?" answered by passages with no time in them: a notice
    saying so (the passages are still the closest to the question); "" otherwise."""
    if q.expects not in _EXPECTED_NAMES or any(holds_expected(text, q.expects) for text in shown):
        return ""
    return f"None of these passages gives {_EXPECTED_NAMES[q.expects]}; they are the closest to the question."


# "What did A and B each report ...?", "How did each outlet cover ...?": outlet by outlet.
_EACH_REPORTED = re.compile(r"\beach\s+(?:report|reported|say|said|write|wrote|cover|covered|describe|described)\b"
                            r"|\beach\s+(?:outlet|paper|newspaper|publication|source)\b", re.IGNORECASE)
_EACH_OUTLET = re.compile(r"\beach\s+(?:outlet|paper|newspaper|publication|source)\b", re.IGNORECASE)


def asks_each_outlet(turn: Turn) -> bool:
    """ "What did Harbor Ledger and The Daily Sentinel each report about the leak?" asks for a
    comparison, outlet by outlet, as compare mode gives it (ask mode would give the best
    sentences of any outlet)."""
    if not _EACH_REPORTED.search(turn.question.text):
        return False
    hints = turn.retriever.understand(turn.question.text)  # rules only: no search
    if hints.only_dates is not None or _asks_for_a_slice(turn, hints):
        return False  # "What did each outlet report on March 13?": their leads, as ask mode gives them
    return len(hints.outlets) >= 2 or bool(_EACH_OUTLET.search(turn.question.text))


# "Did the outlets agree on how much leaked?", "How do the accounts differ?": the coverage
# set side by side.
_OUTLETS_AGREE = re.compile(
    r"\b(?:outlets|accounts|coverage|reports)\b[^?]*\b(?:agree|agreed|disagree|disagreed|differ|differed|contradict)\b"
    r"|\b(?:agree|disagree|differ)\b[^?]*\b(?:outlets|accounts|coverage)\b",
    re.IGNORECASE,
)


def asks_whether_outlets_agree(turn: Turn) -> bool:
    """ "Did the outlets agree on how much leaked?" asks for a comparison of whichever outlets
    covered it (a question naming outlets is read as asked: it may set two articles against each
    other, which ask mode answers)."""
    if not _OUTLETS_AGREE.search(turn.question.text):
        return False
    hints = turn.retriever.understand(turn.question.text)  # rules only: no search
    # "How did the coverage differ on March 14?" is that day's coverage, lead by lead, in ask mode.
    return not hints.outlets and hints.only_dates is None


def _on_days_named(candidates: Sequence[Candidate], since: str | None, until: str | None) -> list[Candidate]:
    """The candidates published within the days a question names (none when it names none)."""
    if not (since or until):
        return []
    days = Filters(since=since, until=until)
    return [c for c in candidates if passes_filters(c.article, days)]


def _unquoted_speaker(turn: Turn) -> str:
    """Why "What did Zelensky (Putin) say ...?" has no answer when no statement of theirs is
    recorded (no indexed speaker matched the name): no article mentions them, or none quotes
    them. "" when the question asks for no one's words or names a speaker on record."""
    if turn.question.speakers:
        return ""
    name = _unmatched_speaker(turn.question.text)
    if not name or refusal.outlet_known(name, turn.known_outlets()):  # "What did Fox News say?"
        return ""
    if refusal.missing_from_coverage(turn.index, [name]):
        return f"{refusal.NOT_ANSWERED} No article mentions {name}."
    return f"{refusal.NOT_ANSWERED} The coverage records no statement by {name}."


def _no_topic_besides(q: QuestionInfo, named: Sequence[str], also: frozenset[str] = frozenset()) -> bool:
    """ "What did Fox News report?": the question's topic words are only the outlets it names
    (and the speakers, which QuestionInfo.stems leaves out), and `also`."""
    outlet_stems = {s for outlet in named for s in content_stems(outlet)}
    return all(s in outlet_stems or s in also for s in q.stems)


def _date_stems(text: str) -> frozenset[str]:
    """The stems of the dates a question names ("march", "12" in "... on March 12?")."""
    return frozenset(s for start, end in date_spans(text) for s in content_stems(text[start:end]))


def _outlet_coverage(turn: Turn, named: Sequence[str], since: str | None = None, until: str | None = None,
                     most: int = 0) -> Answer:
    """What the named outlets (or all) reported (between `since` and `until`, days the question
    names): each of their `most` newest articles' first sentences (the lead carries the main
    claim), by outlet, or by date for a timeline."""
    filters = _named_slice(turn, named, since, until)
    retrieval, chosen, _ = _article_leads(turn, filters, most or MAX_OUTLET_ARTICLES)
    if not retrieval.passages:
        if since or until:
            days = since if since == until else f"{since or 'the start'} to {until or 'the end'}"
            source = f" from {_names(named)}" if named else ""
            reason = f"{refusal.NOT_ANSWERED} The coverage holds no article{source} dated {days}."
            return not_answered(turn, retrieval, reason)
        return not_answered(turn, retrieval, nothing_found(turn))
    book = CitationBook(turn.index)
    text = _timeline_text(chosen, book) if turn.question.timeline else _summary_text(chosen, book)
    return finish_answer(turn, retrieval, book, text)


def _latest_coverage(turn: Turn, filters: Filters) -> Answer:
    """The leads of the newest articles (within the filters), newest first."""
    retrieval, chosen, _ = _article_leads(turn, filters, MAX_OUTLET_ARTICLES)
    if not retrieval.passages:
        return not_answered(turn, retrieval, nothing_found(turn))
    by_position = sorted(chosen, key=lambda c: (c.sentence.article_id, c.position))
    newest_first = sorted(by_position, key=lambda c: (date_of(c.article) or "", c.article.published_at or ""),
                          reverse=True)  # a stable sort: each article's sentences stay in order
    book = CitationBook(turn.index)
    text = f"The most recent coverage, newest first:\n\n{_summary_text(newest_first, book)}"
    return finish_answer(turn, retrieval, book, text)


def _named_slice(turn: Turn, named: Sequence[str], since: str | None, until: str | None) -> Filters:
    """The caller's filters narrowed to the outlets and days the question names."""
    f = turn.filters
    return replace(f, outlets=tuple(named) or f.outlets, since=since or f.since, until=until or f.until)


def _asks_for_a_slice(turn: Turn, hints: QueryHints | None = None) -> QueryHints | None:
    """The question's hints when the outlets and days it names are all it asks about besides its
    framing ("Who said what on March 13?", "a sourced summary of what Northbank Daily reported"):
    the whole of that slice of the coverage is the answer, not a search for a topic."""
    hints = hints or turn.retriever.understand(turn.question.text)  # rules only: no search
    if not (hints.outlets or any(hints.days_named)):
        return None
    return hints if _no_topic_besides(turn.question, hints.outlets, _date_stems(turn.question.text)) else None


OUTLET_LEAD_SENTENCES = 2  # "What did X report?" quotes this many opening sentences per article
MAX_OUTLET_ARTICLES = 4  # of its most recent articles
MAX_SLICE_ARTICLES = 8  # a summary of a day's (or an outlet's) coverage


def _dates_coverage(turn: Turn, asked: DatesAsked) -> Answer:
    """What the coverage published on the days a question asks about ("What happened on March
    13?"): each article's first sentences, by outlet; a plain refusal naming the date when no
    article is dated then."""
    days = filters_for_days(turn, asked)
    if isinstance(days, Answer):
        return days
    retrieval, chosen, found = _article_leads(turn, days, MAX_DATE_ARTICLES)
    if not retrieval.passages:
        return not_answered(turn, retrieval, nothing_found(turn))
    shown = len({c.sentence.article_id for c in chosen})
    count = (f"the {shown} most recent of {found} articles found" if found > shown
             else f"{shown} article{'s' if shown != 1 else ''}")
    book = CitationBook(turn.index)
    text = f"Coverage published {asked.described()} ({count}):\n\n{_summary_text(chosen, book)}"
    return finish_answer(turn, retrieval, book, text)


MAX_DATE_ARTICLES = 6  # "What happened on March 13?" quotes the leads of at most this many articles


def filters_for_days(turn: Turn, asked: DatesAsked) -> Filters | Answer:
    """The turn's filters narrowed to the days a question asks about alone (a date filter the
    user set narrows them further); or the refusal to give when no article is dated then."""
    held = turn.index.dates()
    if not any(asked.since <= day <= asked.until for day in held):
        return not_answered(turn, None, _nothing_dated(asked, held))
    since = max(asked.since, (turn.filters.since or "")[:10])
    until = min(asked.until, (turn.filters.until or "9999")[:10])
    if since > until:
        return not_answered(turn, None, nothing_found(turn))
    return replace(turn.filters, since=since, until=until)


def _nothing_dated(asked: DatesAsked, held: Sequence[str]) -> str:
    """Why a question about a date alone has no answer: no article is dated then; the days the
    coverage spans, so the reader can ask again."""
    when = f"{asked.described()} (“{asked.written}”)"
    if not held:
        return f"{refusal.NOT_ANSWERED} No article in the coverage was published {when}: none of its articles is dated."
    span = held[0] if held[0] == held[-1] else f"{held[0]} to {held[-1]}"
    return f"{refusal.NOT_ANSWERED} No article in the coverage was published {when}; its articles are dated {span}."


def _article_leads(turn: Turn, filters: Filters, most: int) -> tuple[Retrieval, list[Candidate], int]:
    """The first sentences of the `most` most recent articles passing `filters`, in date order
    (the lead carries the main claim), near-duplicates out; with the retrieval and the number
    of articles it found."""
    retrieval = turn.retrieve(k=max(turn.top_k, 24), filters=filters)
    if not retrieval.passages:
        return retrieval, [], 0
    evidence = collect_evidence(turn, retrieval, extra_leads=True)
    leads = [c for c in evidence.candidates if c.position < OUTLET_LEAD_SENTENCES]
    newest_first = sorted({c.sentence.article_id: c.article for c in leads}.values(),
                          key=lambda a: date_of(a) or "", reverse=True)
    shown = {a.id for a in newest_first[:most]}
    chosen = sorted((c for c in leads if c.sentence.article_id in shown),
                    key=lambda c: (date_of(c.article) or "9999", c.sentence.article_id, c.position))
    return retrieval, remove_near_duplicates(chosen), len(newest_first)


def _lead_position(chosen: Sequence[Candidate], named: Sequence[str]) -> int:
    """Where the lead is among `chosen` (best first): a question naming one outlet leads with that
    outlet's best sentence when it is nearly as good as the best of all."""
    if len(named) != 1:
        return 0
    for i, c in enumerate(chosen):
        if named[0] in (c.article.outlet, *c.article.also_published_by):
            return i if c.score >= NAMED_OUTLET_LEAD * chosen[0].score else 0
    return 0


NAMED_OUTLET_LEAD = 0.6


LATEST_CLOSE = 0.9  # of the best passage's closeness in meaning: on the story whatever its words


def _latest_report(evidence: Evidence, topic: Sequence[str] = ()) -> Candidate | None:
    """The lead sentence of the most recently published article on the question."""
    retrieval = evidence.retrieval
    top_dense = max(retrieval.dense_scores.values(), default=0.0)
    # The newest report on a story often shares few of the question's words ("What is the latest
    # on the spill?" against Friday's "Kessler said a gauge reading ... showed more product was
    # missing"), so its fused score can fall below the on-question share while it is the passage
    # closest in meaning; being that close is enough here.
    close = [p for p in retrieval.passages
             if top_dense > 0 and retrieval.dense_scores.get(p.chunk.id, 0.0) >= LATEST_CLOSE * top_dense]
    on_question = {p.article.id: p.article for p in [*passages_on_question(retrieval, topic), *close]
                   if date_of(p.article)}
    if not on_question:
        return None
    newest = max(on_question.values(), key=lambda a: (date_of(a), a.published_at or "", a.id))
    sentences = [c for c in evidence.candidates if c.sentence.article_id == newest.id]
    return min(sentences, key=lambda c: c.position, default=None)


def passages_on_question(retrieval: Retrieval, topic: Sequence[str] = ()) -> list[Passage]:
    """The passages close to the best one. The fused score alone lets a keyword match in an
    unrelated story in ("the accounts of the strike" matching a port story's "accounts"), so a
    passage must also be close to the best in meaning.

    With the question's topic stems (`topic`), the story's own word then decides instead of the
    fused score: besides the best passage, a passage close in meaning is on the question when it
    holds a topic word that the passages close by both measures hold, and not when it holds none.
    Ratios of scores move with the model; the word does not. ("the accounts of the strike": a
    port passage close in meaning is no account of the strike; "Did the outlets agree on how much
    leaked?": every outlet's report of the leak is one, however far ahead the best one's keyword
    score is.)"""
    if not retrieval.passages:
        return []
    top = retrieval.passages[0].score
    top_dense = max(retrieval.dense_scores.values(), default=0.0)

    def close(p: Passage) -> bool:
        return retrieval.dense_scores.get(p.chunk.id, top_dense) >= top_dense * 0.6

    core = [p for p in retrieval.passages if p.score >= top * 0.6 and close(p)]
    if not topic:
        return core
    words = {p.chunk.id: set(content_stems(p.chunk.text)) for p in retrieval.passages}
    anchors = set(topic) & set().union(*(words[p.chunk.id] for p in core))
    if not anchors:
        return core
    best = retrieval.passages[0]
    return [p for p in retrieval.passages if p is best or (close(p) and anchors & words[p.chunk.id])]


def nothing_found(turn: Turn) -> str:
    if turn.filters.active:
        return f"{refusal.NOT_ANSWERED} Nothing in the coverage matches the filters you set."
    return f"{refusal.NOT_ANSWERED} The index holds no matching articles."


def _continues(lead: Candidate, other: Candidate) -> bool:
    """A sentence right next to the lead in the same article reads as one paragraph with it."""
    return other.sentence.article_id == lead.sentence.article_id and abs(other.position - lead.position) == 1


def select_sentences(candidates: Sequence[Candidate], limit: int, must_cover: Sequence[str] = (),
                     per_article: int = 2) -> list[Candidate]:
    """The best sentences: near-duplicates out, at most `per_article` per article, a score cut-off
    relative to the best, and (when the question names outlets) the best sentence of each."""
    ranked = remove_near_duplicates(candidates)
    if not ranked or limit <= 0:
        return []
    best = ranked[0].score
    chosen: list[Candidate] = []
    per: dict[str, int] = {}
    for outlet in must_cover:
        match = next((c for c in ranked if c.article.outlet == outlet and c not in chosen), None)
        if match is not None:
            chosen.append(match)
            per[match.sentence.article_id] = per.get(match.sentence.article_id, 0) + 1
    for c in ranked:
        if len(chosen) >= limit:
            break
        if c in chosen or c.score < best * RELATIVE_CUTOFF:
            continue
        if per.get(c.sentence.article_id, 0) >= per_article:
            continue
        chosen.append(c)
        per[c.sentence.article_id] = per.get(c.sentence.article_id, 0) + 1
    chosen.sort(key=lambda c: -c.score)
    return chosen[:max(limit, len(must_cover))]


def _own_words_next(turn: Turn, lead: ScoredStatement,
                    statements: Sequence[Statement]) -> tuple[Sentence, Statement] | None:
    """The sentence right after a lead statement when it holds a quote of the same speaker (a
    report of what someone did, then their words: "X disputed the figures. “That number has no
    basis,” she said."), with that statement; None otherwise."""
    if lead.statement.quote_type == "direct":
        return None  # the lead is their words already
    after = next((s for s in turn.store.sentences(lead.statement.article_id) if s.start >= lead.span[1]), None)
    if after is None:
        return None
    said = next((st for st in statements if st.article_id == lead.statement.article_id
                 and st.speaker == lead.speaker and st.quote_type == "direct"
                 and statement_start(st) >= after.start and statement_end(st) <= after.end), None)
    return (after, said) if said is not None else None


def _lead_statement(turn: Turn, evidence: Evidence) -> ScoredStatement | None:
    """For "who denied ..." / "what did X say about ...": the statement that answers it best."""
    q = turn.question
    items = prepare_statements(turn, evidence.statements, dict(evidence.infos))
    items = [i for i in items if wanted_stance(i, q) and (not q.speakers or i.speaker in q.speakers)]
    if not items:
        return None
    items = score_statements(turn, items, evidence.retrieval, embed_top=8)
    # Lead with a statement only when its sentence is among the best answers anyway: the right
    # verb ("who ...") does not make an off-topic statement an answer.
    # A stance asked for ("who denied ...") is what makes a statement the answer; without one
    # ("who is paying ...?"), its sentence must also score near the best.
    share = 0.0 if q.stances else LEAD_STATEMENT_SHARE
    best = evidence.candidates[0].score if evidence.candidates else 0.0
    top = [c for c in evidence.candidates[:LEAD_STATEMENT_WITHIN] if c.score >= share * best]
    for item in items[:5]:
        if not credible_speaker(item.speaker) or _is_outlet(turn, item.speaker):
            continue
        if any(c.sentence.article_id == item.statement.article_id and c.sentence.start < item.span[1]
               and c.sentence.end > item.span[0] for c in top):
            return item
    return None


def _side_statements(turn: Turn, evidence: Evidence) -> list[ScoredStatement]:
    """The statement closest to the question of each side it names (a speaker, or the people a
    role word describes: "the mayor"); [] unless two sides have one."""
    q = turn.question
    roles = _roles_named(q)

    def side_of(item: ScoredStatement) -> str:
        if item.speaker in q.speakers:
            return item.speaker
        return "described" if roles & _words_around_mention(turn, item) else ""

    items = [i for i in prepare_statements(turn, evidence.statements, dict(evidence.infos))
             if credible_speaker(i.speaker) and not _is_outlet(turn, i.speaker) and side_of(i)
             and not is_anaphoric(i.statement.content)]  # "Kessler denied that." quotes another's claim
    best: dict[str, ScoredStatement] = {}
    holds = (lambda i: holds_expected(i.statement.content, q.expects)) if q.expects else (lambda i: False)

    def close_to(item: ScoredStatement, reference: ScoredStatement) -> bool:
        # as close to the question as `reference`, nearly; or holding the figure (time) asked for
        # and close to the question in meaning
        return item.topical >= SIDE_SHARE * reference.topical or (holds(item) and (item.dense or 0.0) >= KIND_DENSE)

    for item in score_statements(turn, items, evidence.retrieval, embed_top=12):
        side = side_of(item)
        held = best.get(side)
        if held is None or (not holds(held) and holds(item) and close_to(item, held)):
            # "Did the agency and Kessler agree on how much leaked?": each side's figure, if it
            # gave one, over its closest words without one ("denied that its leak was the source")
            best[side] = item
    if not best:
        return []
    top = max(best.values(), key=lambda i: i.topical)
    close = [i for i in best.values() if close_to(i, top)]
    return close if len(close) >= 2 else []


SIDE_SHARE = 0.6  # a side's statement must be this close to the question as the best side's


def _keys_within(evidence: Evidence, article_id: str, span: tuple[int, int]) -> set[tuple[str, int]]:
    """The candidate sentences inside a span of an article (quoted already, not to repeat)."""
    return {c.key for c in evidence.candidates
            if c.sentence.article_id == article_id and c.sentence.start < span[1] and c.sentence.end > span[0]}


def _roles_named(q: QuestionInfo) -> set[str]:
    """The title or role words of the question that are not part of a speaker's name ("mayor" in
    "Did the mayor and Kessler disagree ...?"; not "Mayor" in "Mayor Elena Varga")."""
    return {w for w in re.findall(r"[a-z]+", q.text.lower()) if is_title_word(w) and stem(w) not in q.speaker_words}


def _names_two_sides(q: QuestionInfo) -> bool:
    """ "Did the mayor and Kessler disagree about ...?", "What did Varga and Whitcombe say ...?":
    one side's statement is no answer by itself, so the best sentence leads (a role counts as one
    side: "the health minister")."""
    described = bool(_roles_named(q))
    return len(q.speakers) + described >= 2 and bool(re.search(r"\b(?:and|vs|versus)\b", q.text.lower()))


LEAD_STATEMENT_WITHIN = 3  # the lead statement's sentence must rank among the best this many
# ... and, when the question asks for no stance, score this share of the best: "Who is paying for
# the bottled water?" is answered by "Kessler Terminals is paying for the water.", not by the
# minister's "it will pay the maximum fine".
LEAD_STATEMENT_SHARE = 0.8


def _is_outlet(turn: Turn, name: str) -> bool:
    """ "The Verge reports ..." is attribution to a source, not a statement by a party."""
    wanted = name.lower().removeprefix("the ")
    return any(wanted and wanted in outlet.lower() for outlet in turn.known_outlets())


_NOT_A_SPEAKER_START = frozenset(
    "he she it they we i you him her them this that these those because when while after before if "
    "although though as since who which what where there here one someone".split()
)


def credible_speaker(name: str) -> bool:
    """A resolved name, not a pronoun or a clause fragment the attribution rules picked up."""
    tokens = name.split()
    if not tokens or not tokens[0][:1].isupper():
        return False
    return tokens[0].lower() not in _NOT_A_SPEAKER_START


# ----------------------------------------------------------------------------- who said what


MAX_WHO_ROWS = 15


# "How did Kessler's account change over time?": words asking for a speaker's statements in
# order, not a topic to rank them by.
_CHANGE_STEMS = frozenset(content_stems("change changed changes changing over time evolve evolved evolving shift "
                                        "shifted shifting"))


def answer_who(turn: Turn) -> Answer:
    q = turn.question
    if q.speakers and q.stems and set(q.stems) <= _CHANGE_STEMS:
        q = turn.question = replace(q, stems=())  # all their statements, in the order made
    named = _asks_for_a_slice(turn) if not q.speakers else None
    if named is not None:
        # "Who said what on March 13?": every statement of that slice, in the order made.
        turn.filters = _named_slice(turn, named.outlets, *named.days_named)
        q = turn.question = replace(q, stems=())
    retrieval = turn.retrieve(k=max(turn.top_k, 20))
    by_speaker = [st for name in q.speakers for st in turn.index.statements(speaker=name)] if q.speakers else None
    items = _named_statements(turn, retrieval, by_speaker)
    if not q.speakers:
        described, role = _described_speakers(turn, q.text, items)
        if described:
            # "What did the mayor say?" is "What did Elena Varga say?": all her statements.
            turn.question = replace(q, speakers=described, stems=tuple(s for s in q.stems if s not in content_stems(role)))
            return answer_who(turn)
    named = retrieval.recognised.outlets
    if q.speakers and named and not turn.filters.outlets:
        # "What did Peskov say according to The Daily Sentinel?": that outlet's statements.
        items = [i for i in items if set(named) & {i.article.outlet, *i.article.also_published_by}]
    notice = ""
    if q.speakers and any(retrieval.recognised.days_named):
        # "What did Obi say on March 13?": the days are no topic to rank by, they pick statements.
        items, notice = _said_on_days_named(turn, items, *retrieval.recognised.days_named)
        q = turn.question = replace(q, stems=tuple(s for s in q.stems if s not in _date_stems(q.text)))
    # "Who denied what about the spill?": a topic several articles are about is their story, and
    # every denial in them is about it, whatever it names ("denied that its leak was the source").
    story = {p.article.id for p in passages_on_question(retrieval)}
    story_wide = bool(q.stances) and not q.speakers and len(story) >= STORY_ARTICLES
    if q.stances:
        matching = [i for i in items if wanted_stance(i, q)]
        if not matching and q.speakers:
            notice = _also(notice, f"No statement by {_names(q.speakers)} is recorded as {_stances(q.stances)}; "
                                   "all their statements are shown.")
        elif not q.speakers and not story_wide and _stance_misses_topic(turn, items, retrieval):
            notice = (f"No statement about it is recorded as {_stances(q.stances)}; "
                      "the statements about it are shown.")
            q = turn.question = replace(q, stances=())  # the heading must not call them that
        else:
            items = matching
    if not q.speakers:
        unknown = _unmatched_speaker(q.text)
        if unknown:
            reason = f"{refusal.NOT_ANSWERED} The coverage records no statement by {unknown}."
            return not_answered(turn, retrieval, reason)
    if not items:
        return _who_nothing(turn, retrieval)
    if not q.speakers:
        verdict = refusal.decide(refusal.gather_signals(
            turn.index, q.text, turn.known_outlets(),
            best_sentence=1.0 if items else 0.0,  # judged below on the statements themselves
            best_chunk=max(retrieval.dense_scores.values(), default=0.0),
            evidence_texts=[p.chunk.text for p in retrieval.passages[:5]],
            outlet_metadata=turn.store.outlet_metadata(),
        ))
        if not verdict.answerable and (verdict.signals.unknown_outlets or verdict.signals.missing_names):
            return not_answered(turn, retrieval, verdict.reason)
    items = score_statements(turn, items, retrieval)
    items = remove_repeated_statements(items)
    if q.speakers and q.stems and not q.wants_all and not any(set(q.stems) & i.stems for i in items):
        # "What did the mayor say about the fish?": she said nothing of it; her statements closest
        # to it are no answer unless the reader is told so.
        notice = _also(notice, f"No statement by {_names(q.speakers)} mentions {_topic_words(q)}; "
                               "the closest are shown.")
    if q.wants_more and turn.previous_answer:
        fresh = [i for i in items if not _already_shown(i, turn.previous_answer)]
        if not fresh:
            return not_answered(turn, retrieval, f"{refusal.NOT_ANSWERED} The coverage records nothing more "
                                                 f"than the statements already shown.")
        items = fresh
    if q.wants_all or not q.stems:
        # every statement, in the order made; "the latest from Kessler": the newest first
        chosen = sorted(items, key=lambda i: i.order_key, reverse=q.latest)
    else:
        best = max(i.topical for i in items)
        top_article = max(items, key=lambda i: i.topical).statement.article_id
        # "Who denied what about the strikes?": the other denials in the story the best one is
        # from are about it too, however they word it ("denied attacking the Wagner Group").
        if story_wide:
            # (of the stance asked by the verb or by what was said: a bare negative, "No product
            # reached the river", is no denial of anything in particular)
            chosen = [i for i in items if i.statement.article_id in story and i.stance in q.stances][:MAX_WHO_ROWS]
        else:
            chosen = [i for i in items if i.topical >= best * 0.55
                      or (q.stances and not q.speakers and i.statement.article_id == top_article)][:MAX_WHO_ROWS]
        if not q.speakers and items[0].dense is not None and items[0].dense < 0.2 and best < 0.3:
            return not_answered(turn, retrieval, f"{refusal.NOT_ANSWERED} No statement in the coverage is about it.")
    return _who_answer(turn, retrieval, chosen, notice)


def _topic_words(q: QuestionInfo) -> str:
    """The question's topic as written: “fish”, “bottled” or “water”."""
    wanted = set(q.stems)
    found = [w for w in re.findall(r"[\w'’-]+", q.text) if wanted & set(content_stems(w))]
    return " or ".join(f"“{w}”" for w in dict.fromkeys(found)) or "the topic asked about"


def _said_on_days_named(turn: Turn, items: list[ScoredStatement], since: str | None,
                        until: str | None) -> tuple[list[ScoredStatement], str]:
    """The statements published within the days a question names (a wire copy's date counts),
    with no notice; when none is, all of them and a notice saying so. A date filter the user set
    has already chosen the statements: the question's days leave them as they are."""
    if turn.filters.since or turn.filters.until:
        return items, ""
    on_days = [i for i in items if passes_filters(i.article, Filters(since=since, until=until))]
    if on_days:
        return on_days, ""
    return items, (f"No statement by {_names(turn.question.speakers)} was published {_days_described(since, until)}; "
                   "all their statements are shown.")


def _days_described(since: str | None, until: str | None) -> str:
    """ "on 2024-03-13", "from 2024-03-12 to 2024-03-14", "on or before 2024-03-14", "on or after ..."."""
    if since and until:
        return f"on {since}" if since == until else f"from {since} to {until}"
    return f"on or before {until}" if until else f"on or after {since}"


def _also(notice: str, more: str) -> str:
    return f"{notice} {more}" if notice else more


def _stance_misses_topic(turn: Turn, items: list[ScoredStatement], retrieval: Retrieval) -> bool:
    """ "Who blamed the old depot?": the statements of the stance asked for are about other things,
    while a statement of another stance is about it ("the readings may reflect historic
    contamination from the former Northbank fuel depot", read as a denial)."""
    scored = score_statements(turn, list(items), retrieval)
    if not scored:
        return False
    best_of_stance = max((i.topical for i in scored if wanted_stance(i, turn.question)), default=0.0)
    return best_of_stance < STANCE_TOPIC_SHARE * scored[0].topical


STANCE_TOPIC_SHARE = 0.6
STORY_ARTICLES = 4  # a topic this many retrieved articles are about is their story, not one detail of it


def _described_speakers(turn: Turn, question: str, items: list[ScoredStatement]) -> tuple[tuple[str, ...], str]:
    """ "What did the mayor say?": the speakers the articles call that (the role word beside a
    mention, "Mayor Elena Varga", "Obi, the agency's director", or in the name, "Riverside
    Dockworkers' Union"), with the role word; () when the question describes no one or no
    speaker matches."""
    match = WHAT_DID_THE_ROLE_SAY.search(question.lower())  # "Did the company admit ...?" too
    if not match:
        return (), ""
    role = match.group("role").lower().split()[-1]
    return _speakers_called(turn, items, role), role


def _speakers_called(turn: Turn, items: list[ScoredStatement], role: str) -> tuple[str, ...]:
    """The speakers of `items` the articles call `role`: in their name, or beside a mention."""
    found = [i.speaker for i in items if role in _words_of(i.speaker) or role in _words_around_mention(turn, i)]
    return tuple(dict.fromkeys(found))


# "according to the agency": a source described by a role or kind. ("The agency's estimate" may be
# what is asked about: "Did anyone dispute the agency's estimate?")
_SOURCE_DESCRIBED = re.compile(r"\baccording to the\s+(?:[a-z-]+\s+)?(?P<role>[a-z]+)\b")


def _sources_described(turn: Turn, retrieval: Retrieval) -> tuple[str, ...]:
    """The speakers of the retrieved articles that a source the question describes stands for
    ("according to the agency": Ostra Valley Environmental Agency, by its name or the words
    beside its mentions); () when it describes none."""
    match = _SOURCE_DESCRIBED.search(turn.question.text.lower().replace("’", "'"))
    if not match:
        return ()
    return _speakers_called(turn, _named_statements(turn, retrieval), match.group("role"))


def _describes_a_known_speaker(turn: Turn) -> bool:
    """ "What did the union say?", "What has the mayor claimed about the call?": a speaker
    described by a role or kind, whom the articles about it name (a described speaker with no
    topic besides is looked for in the whole coverage, as who-said-what does)."""
    match = WHAT_DID_THE_ROLE_SAY.search(turn.question.text.lower())
    if not match:
        return False
    retrieval = turn.retrieve(k=max(turn.top_k, 20))  # the search answer_who then makes (Turn keeps it)
    described, _ = _described_speakers(turn, turn.question.text, _named_statements(turn, retrieval))
    return bool(described)


def _named_statements(turn: Turn, retrieval: Retrieval,
                      statements: list[Statement] | None = None) -> list[ScoredStatement]:
    """`statements` (by default those of the retrieved articles) ready to score, those whose
    speaker has a name only ("she said" with no name is no answer)."""
    if statements is None:
        statements = list(turn.index.statements(list({p.article.id for p in retrieval.passages})))
    items = prepare_statements(turn, statements, {p.article.id: p.article for p in retrieval.passages})
    return [i for i in items if credible_speaker(i.speaker)]


def _words_around_mention(turn: Turn, item: ScoredStatement) -> set[str]:
    """The words of the mention and those of the few on either side of it in its sentence that
    may describe the speaker."""
    start, end = item.statement.speaker_span
    for sentence in turn.store.sentences(item.statement.article_id):
        if sentence.start <= start < sentence.end:
            before = sentence.text[: start - sentence.start].split()[-ROLE_WORDS:]
            after = sentence.text[end - sentence.start:].split()[:ROLE_WORDS + 1]  # + the word that follows
            return _words_of(" ".join([*_describing(before, "<mention>"), item.statement.speaker_mention,
                                       *_describing(after[:ROLE_WORDS], " ".join(after[ROLE_WORDS:]))]))
    return _words_of(item.statement.speaker_mention)


def _describing(tokens: Sequence[str], then: str) -> list[str]:
    """The tokens that may say what a speaker is: those ending a phrase (before the name, a comma,
    the end of the sentence: "Mayor Elena Varga", "a steward for the union,") or followed by a
    role ("the agency's director"); not one that modifies another word ("in the state assembly",
    "the state's safe limit"). `then`: what follows the last token ("" at the sentence's end)."""
    kept = []
    for token, following in zip(tokens, [*tokens[1:], then]):
        ends_phrase = following in ("", "<mention>") or not token[-1:].isalnum() or following[:1] in ",;:)"
        if ends_phrase or is_title_word(following.strip(",.;:)")):
            kept.append(token)
    return kept


ROLE_WORDS = 4  # words either side of a mention that may say what the speaker is


def _words_of(name: str) -> set[str]:
    return {w.removesuffix("'s").removesuffix("'") for w in re.findall(r"[a-z][\w'-]*", name.lower().replace("’", "'"))}


# "What did X say", "Has X ever denied": the question's opening and its speech verbs.
def _already_shown(item: ScoredStatement, previous_answer: str) -> bool:
    shown = " ".join(item.shown.split()).strip("“”\"")
    return bool(shown) and shown in " ".join(previous_answer.split())


def _who_answer(turn: Turn, retrieval: Retrieval, chosen: list[ScoredStatement], notice: str) -> Answer:
    q = turn.question
    book = CitationBook(turn.index)
    rows = []
    lines = []
    described = _describing_sentence(turn, [i.article for i in chosen]) if q.identity else None
    if described is not None:
        # "Who is Tomas Reyes?": who he is first ("Tomas Reyes, a steward for the ... Union, said
        # ..."), then what he said.
        article, sentence = described
        lines += [f"{sentence.text}{book.cite(article, sentence.start, sentence.end)}", ""]
    lines.append(_who_heading(q, chosen))
    for item in chosen:
        st = item.statement
        marker = book.cite(item.article, *item.span)
        lines.append(f"- **{st.speaker}** {stance_with_target(st)}: {item.shown} "
                     f"({source_label(item.article)}){marker}")
        rows.append((st.speaker, stance_with_target(st), item.shown, outlet_name(item.article),
                     date_of(item.article) or "undated", marker.strip()))
    table = Table(columns=WHO_COLUMNS, rows=tuple(rows))
    return finish_answer(turn, retrieval, book, "\n".join(lines), table=table,
                   statements=[i.statement for i in chosen], notice=notice)


def _describing_sentence(turn: Turn, articles: Sequence[ArticleInfo]) -> tuple[ArticleInfo, Sentence] | None:
    """The sentence of these articles that says most fully who or what the question asks about
    (describe.py); on a tie the earliest published, where the name is introduced."""
    q = turn.question
    forms = list(dict.fromkeys([*q.speakers, q.identity]))
    ordered = sorted({a.id: a for a in articles}.values(), key=lambda a: (a.published_at or "9999", a.id))
    pairs = [(a, s) for a in ordered for s in turn.store.sentences(a.id)]
    found = best_described([s.text for _, s in pairs], forms)
    return pairs[found[0]] if found is not None else None


def _who_heading(q: QuestionInfo, chosen: Sequence[ScoredStatement]) -> str:
    speakers = list(dict.fromkeys(i.speaker for i in chosen))
    count = f"{len(chosen)} statement{'s' if len(chosen) != 1 else ''}"
    if q.speakers:
        return f"{count} by {_names(speakers)}{', newest first' if q.latest else ''}:"
    if q.stances:
        others = " and others" if len(speakers) > 4 else ""
        return f"{_names(speakers[:4])}{others} — {count} ({_stances(q.stances)}):"
    return f"{count} from {len(speakers)} speaker{'s' if len(speakers) != 1 else ''}:"


_WHAT_DID_X_SAY = re.compile(
    ASKED_WHAT + r"(?P<who>(?:[A-Z][\w'’.-]*\s+){1,4}?)(?:ever\s+)?(?:" + SPEECH_VERBS + r"|accuse|accused)\b"
)


def _unmatched_speaker(question: str) -> str:
    """The name in "What did Angela Merkel say ...?" when no indexed speaker matched it."""
    match = _WHAT_DID_X_SAY.search(question)
    if not match:
        return ""
    name = " ".join(match.group("who").split())
    return name if name and name.split()[0].lower() not in STOPWORDS else ""


def _who_nothing(turn: Turn, retrieval: Retrieval) -> Answer:
    q = turn.question
    names = refusal.names_in(q.text)
    if q.speakers:
        reason = f"{refusal.NOT_ANSWERED} The coverage records no statement by {_names(q.speakers)} that matches."
    elif names:
        reason = (f"{refusal.NOT_ANSWERED} The coverage records no matching statement "
                  f"(nothing attributed to {_names(names[:2])}).")
    else:
        reason = f"{refusal.NOT_ANSWERED} No attributed statement in the coverage matches it."
    return not_answered(turn, retrieval, reason)


def _names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _stances(stances: Sequence[str]) -> str:
    return " or ".join(stance_label(s) for s in stances)


# ----------------------------------------------------------------------------- summarize


MAX_SUMMARY_SENTENCES = 12
PER_ARTICLE = 3


def answer_summarize(turn: Turn) -> Answer:
    q = turn.question
    named = _asks_for_a_slice(turn)
    if named is not None:
        # "Summarize the coverage of March 14": every article of that day, lead by lead.
        return _outlet_coverage(turn, named.outlets, *named.days_named, MAX_SLICE_ARTICLES)
    retrieval = turn.retrieve(k=max(turn.top_k, 24))
    if not retrieval.passages:
        return not_answered(turn, retrieval, nothing_found(turn))
    evidence = collect_evidence(turn, retrieval, extra_leads=True)
    verdict = judge(turn, evidence)
    if not verdict.answerable:
        return not_answered(turn, retrieval, verdict.reason)
    chosen = _summary_sentences(turn, evidence.candidates)
    book = CitationBook(turn.index)
    if q.timeline:
        text = _timeline_text(chosen, book)
    else:
        text = _summary_text(chosen, book)
    return finish_answer(turn, retrieval, book, text)


def _summary_sentences(turn: Turn, candidates: Sequence[Candidate]) -> list[Candidate]:
    """Each article's main claims once: its lead and best sentences, near-duplicates across
    articles dropped (the earliest report keeps the claim).

    Articles count when one of their sentences is on the question's topic, or when they share
    several names with those that are: later reports of a story often drop the name the question
    uses ("the Marlow Bend spill" becomes "the toluene in the Ostra").
    """
    for c in candidates:
        c.score += 0.08 / (1 + c.position)  # news leads carry the main claim
    by_article: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: -c.score):
        by_article.setdefault(c.sentence.article_id, []).append(c)
    if not by_article:
        return []
    best = max(c.score for c in candidates)
    core = {a for a, items in by_article.items()
            if items[0].score >= best * 0.5 and any(_on_topic(i) for i in items[:PER_ARTICLE])}
    story_names = set().union(*(_names_of(turn, a) for a in core)) if core else set()
    picked: list[Candidate] = []
    for article_id, items in by_article.items():
        if article_id in core:
            # The lead carries a news story's main claim ("Water samples ... contain toluene at
            # fourteen times the state's safe limit"), even when a later sentence uses the
            # question's word ("... to link the fish deaths to the spill").
            top = items[0].score
            lead = [i for i in items if i.position == 0][:1]
            strong = [i for i in items if i.score >= max(top * 0.7, best * 0.45) and i not in lead]
            picked.extend([*lead, *strong][:PER_ARTICLE])
        elif len(_names_of(turn, article_id) & story_names) >= STORY_NAMES:
            picked.extend([i for i in items if i.position == 0][:1])  # the lead says what it adds
    picked.sort(key=lambda c: (date_of(c.article) or "9999", c.sentence.article_id, c.position))
    kept = remove_near_duplicates(picked)
    if len(kept) > MAX_SUMMARY_SENTENCES:
        strongest = set(id(c) for c in sorted(kept, key=lambda c: -c.score)[:MAX_SUMMARY_SENTENCES])
        kept = [c for c in kept if id(c) in strongest]
    return kept


STORY_NAMES = 3  # names an article must share with the on-topic ones to belong to the story
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z][\w'’-]+")


def _names_of(turn: Turn, article_id: str) -> set[str]:
    """Capitalised words inside sentences (not sentence openers): the people, places and firms."""
    names: set[str] = set()
    for sentence in turn.store.sentences(article_id):
        for match in _CAPITALISED.finditer(sentence.text):
            word = match.group().lower().replace("’", "'").removesuffix("'s")
            if match.start() > 0 and word not in STOPWORDS and word not in _NOT_NAMES:
                names.add(word)
    return names


_NOT_NAMES = frozenset("monday tuesday wednesday thursday friday saturday sunday january february march "
                       "april may june july august september october november december mr mrs ms dr".split())


def _on_topic(c: Candidate) -> bool:
    """Shares a topic word with the question or is close to it in meaning (real model)."""
    return c.lexical > 0 or (c.dense is not None and c.dense >= 0.3)


def _summary_text(chosen: Sequence[Candidate], book: CitationBook) -> str:
    """Grouped by outlet, outlets in the order they first reported, sentences in article order."""
    groups: dict[str, list[Candidate]] = {}
    for c in chosen:
        groups.setdefault(outlet_name(c.article), []).append(c)
    lines = []
    for outlet, items in groups.items():
        dates = sorted({date_of(c.article) for c in items if date_of(c.article)})
        when = f"{dates[0]}{' to ' + dates[-1] if len(dates) > 1 else ''}" if dates else ""
        copied = list(dict.fromkeys(copies_label(c.article) for c in items if c.article.also_published_by))
        if copied:  # under "What did Northbank Daily report?" the wire story it ran says so
            when = "; ".join(filter(None, [when, f"also published by {', '.join(copied)}"]))
        when = f" ({when})" if when else ""
        body = " ".join(cited(book, c, before=items[i - 1].text if i else "") for i, c in enumerate(items))
        lines.append(f"**{outlet}**{when}: {body}")
        lines.append("")
    return "\n".join(lines).strip()


def _timeline_text(chosen: Sequence[Candidate], book: CitationBook) -> str:
    """One entry per date (undated last), each sentence with its outlet."""
    by_day: dict[str, list[Candidate]] = {}
    for c in chosen:
        by_day.setdefault(date_of(c.article) or "undated", []).append(c)
    lines = []
    for day in sorted(by_day, key=lambda d: (d == "undated", d)):
        lines.append(f"**{day}**")
        for c in by_day[day]:
            lines.append(f"- {outlet_name(c.article)}: {cited(book, c)}")
    return "\n".join(lines)
