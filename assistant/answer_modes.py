"""The four extractive answer modes: ask, who (said what), compare, summarize.

Each mode takes a `Turn` (the question read, the filters, the engine's parts) and returns an
`Answer` whose text quotes stored sentences verbatim, each followed by its citation marker.
Shared pieces (reading the question, scoring sentences, citations) live in answer_evidence.py;
answerability in refusal.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from . import refusal
from .answer_evidence import (
    STOPWORDS, STANCE_LABELS, Candidate, CitationBook, QuestionInfo, SentenceStore,
    attach_statements, content_stems, date_of, gather_candidates, jaccard, negated_clause, negative_claim,
    lexical_score, outlet_name, passes_filters, remove_near_duplicates, score_candidates,
    sentence_span_around, source_label, term_weights,
)
from .index import Index
from .records import Answer, ArticleInfo, Filters, Sentence, Statement, Table
from .retrieve import Retrieval, Retriever

log = logging.getLogger(__name__)

WHO_COLUMNS = ("Speaker", "Stance", "Statement", "Outlet", "Date", "Source")
NOT_REPORTED = "not reported"
CONTRADICTS = "⚠ contradicts"
AGREES = "✓ agrees"
FIGURES_DIFFER = "⚠ figures differ"


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

    def retrieve(self, k: int | None = None, filters: Filters | None = None, text: str | None = None) -> Retrieval:
        return self.retriever.retrieve(text or self.question.text, filters or self.filters, k=k or self.top_k)

    def known_outlets(self) -> list[str]:
        return [o for o, _ in self.store.outlets()]


def _answer(turn: Turn, retrieval: Retrieval | None, book: CitationBook, text: str, *,
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

    @property
    def shown(self) -> str:
        """What a reader sees: the quote, or the cited sentences when the content is just "that"."""
        if is_anaphoric(self.statement.content):
            return " ".join(self.text.split())
        return quoted(self.statement)

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
        if is_anaphoric(st.content):
            start = _start_of_what_is_answered(turn, st, start)
        text = _stored(turn, st.article_id, start, end)
        if not text:
            continue
        stems = frozenset(content_stems(st.content + " " + text))
        prepared.append(ScoredStatement(st, info, (start, end), text, stems))
    return prepared


def is_anaphoric(content: str) -> bool:
    """ "denied that", "rejected that explanation": the content points back at an earlier claim."""
    return bool(_ANAPHORIC_CONTENT.match(content.strip())) and len(content.split()) <= 4


def _start_of_what_is_answered(turn: Turn, statement: Statement, start: int) -> int:
    """Where the claim a bare denial answers begins: the statements just before it by one other
    speaker (at most MAX_CONTEXT_SENTENCES sentences back), else the sentence before."""
    sentences = [s for s in turn.store.sentences(statement.article_id) if s.end <= start]
    if not sentences:
        return start
    earliest_allowed = sentences[-min(MAX_CONTEXT_SENTENCES, len(sentences))].start
    before = [st for st in turn.index.statements([statement.article_id])
              if st.index < statement.index and st.speaker != statement.speaker]
    begin = sentences[-1].start
    if before:
        answered = before[-1].speaker
        for st in reversed(before):
            if st.speaker != answered or sentence_span_around(turn.store, st)[0] < earliest_allowed:
                break
            begin = min(begin, sentence_span_around(turn.store, st)[0])
    return begin


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
    label = stance_label(statement.stance)
    return f"{label} {statement.target}" if statement.target else label


# ----------------------------------------------------------------------------- ask


MAX_ASK_SENTENCES = 5
RELATIVE_CUTOFF = 0.72  # supporting sentences score at least this share of the best one


def answer_ask(turn: Turn) -> Answer:
    q = turn.question
    retrieval = turn.retrieve(k=max(turn.top_k, 10))
    if not retrieval.passages:
        return not_answered(turn, retrieval, _nothing_found(turn))
    evidence = collect_evidence(turn, retrieval)
    verdict = judge(turn, evidence)
    if not verdict.answerable:
        return not_answered(turn, retrieval, verdict.reason)
    book = CitationBook(turn.index)
    lines: list[str] = []
    used: set[tuple[str, int]] = set()
    lead_statement = _lead_statement(turn, evidence) if (q.asks_who or q.stances or q.speakers) else None
    statements_used: list[Statement] = []
    if lead_statement is not None:
        st = lead_statement.statement
        marker = book.cite(lead_statement.article, *lead_statement.span)
        lines.append(f"**{st.speaker}** {stance_label(st.stance)}: {lead_statement.text}{marker}")
        statements_used.append(st)
        used.update(c.key for c in evidence.candidates
                    if c.sentence.article_id == st.article_id
                    and c.sentence.start < lead_statement.span[1] and c.sentence.end > lead_statement.span[0])
    chosen = select_sentences(
        [c for c in evidence.candidates if c.key not in used],
        limit=MAX_ASK_SENTENCES - len(lines),
        must_cover=retrieval.recognised.outlets if len(retrieval.recognised.outlets) > 1 else (),
    )
    if not lines and chosen:
        lead = chosen.pop(0)
        lead_paragraph = [lead] + [c for c in chosen if _continues(lead, c)][:1]
        chosen = [c for c in chosen if c not in lead_paragraph]
        lead_paragraph.sort(key=lambda c: c.position)
        lines.append(" ".join(f"{c.text}{book.cite_sentence(c)}" for c in lead_paragraph))
    if chosen:
        lines.append("")
        lines.append("Also in the coverage:")
        for c in chosen:
            lines.append(f"- {source_label(c.article)}: {c.text}{book.cite_sentence(c)}")
    return _answer(turn, retrieval, book, "\n".join(lines), statements=statements_used)


def _nothing_found(turn: Turn) -> str:
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
    top = evidence.candidates[:LEAD_STATEMENT_WITHIN]
    for item in items[:5]:
        if not credible_speaker(item.speaker) or _is_outlet(turn, item.speaker):
            continue
        if any(c.sentence.article_id == item.statement.article_id and c.sentence.start < item.span[1]
               and c.sentence.end > item.span[0] for c in top):
            return item
    return None


LEAD_STATEMENT_WITHIN = 3  # the lead statement's sentence must rank among the best this many


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


def answer_who(turn: Turn) -> Answer:
    q = turn.question
    retrieval = turn.retrieve(k=max(turn.top_k, 20))
    if q.speakers:
        statements = [st for name in q.speakers for st in turn.index.statements(speaker=name)]
    else:
        statements = list(turn.index.statements(list({p.article.id for p in retrieval.passages})))
    items = prepare_statements(turn, statements, {p.article.id: p.article for p in retrieval.passages})
    items = [i for i in items if credible_speaker(i.speaker)]  # "she said" with no name is no answer
    notice = ""
    if q.stances:
        matching = [i for i in items if wanted_stance(i, q)]
        if not matching and q.speakers:
            notice = (f"No statement by {_names(q.speakers)} is recorded as {_stances(q.stances)}; "
                      "all their statements are shown.")
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
    if q.wants_more and turn.previous_answer:
        fresh = [i for i in items if not _already_shown(i, turn.previous_answer)]
        if not fresh:
            return not_answered(turn, retrieval, f"{refusal.NOT_ANSWERED} The coverage records nothing more "
                                                 f"than the statements already shown.")
        items = fresh
    if q.wants_all or not q.stems:
        chosen = sorted(items, key=lambda i: i.order_key)  # every statement, in the order made
    else:
        best = max(i.topical for i in items)
        chosen = [i for i in items if i.topical >= best * 0.55][:MAX_WHO_ROWS]
        if not q.speakers and items[0].dense is not None and items[0].dense < 0.2 and best < 0.3:
            return not_answered(turn, retrieval, f"{refusal.NOT_ANSWERED} No statement in the coverage is about it.")
    return _who_answer(turn, retrieval, chosen, notice)


def _already_shown(item: ScoredStatement, previous_answer: str) -> bool:
    shown = " ".join(item.shown.split()).strip("“”\"")
    return bool(shown) and shown in " ".join(previous_answer.split())


def _who_answer(turn: Turn, retrieval: Retrieval, chosen: list[ScoredStatement], notice: str) -> Answer:
    q = turn.question
    book = CitationBook(turn.index)
    rows = []
    lines = [_who_heading(q, chosen)]
    for item in chosen:
        st = item.statement
        marker = book.cite(item.article, *item.span)
        lines.append(f"- **{st.speaker}** {stance_with_target(st)}: {item.shown} "
                     f"({source_label(item.article)}){marker}")
        rows.append((st.speaker, stance_with_target(st), item.shown, outlet_name(item.article),
                     date_of(item.article) or "undated", marker.strip()))
    table = Table(columns=WHO_COLUMNS, rows=tuple(rows))
    return _answer(turn, retrieval, book, "\n".join(lines), table=table,
                   statements=[i.statement for i in chosen], notice=notice)


def _who_heading(q: QuestionInfo, chosen: Sequence[ScoredStatement]) -> str:
    speakers = list(dict.fromkeys(i.speaker for i in chosen))
    count = f"{len(chosen)} statement{'s' if len(chosen) != 1 else ''}"
    if q.speakers:
        return f"{count} by {_names(speakers)}:"
    if q.stances:
        others = " and others" if len(speakers) > 4 else ""
        return f"{_names(speakers[:4])}{others} — {count} ({_stances(q.stances)}):"
    return f"{count} from {len(speakers)} speaker{'s' if len(speakers) != 1 else ''}:"


_WHAT_DID_X_SAY = re.compile(
    r"\b(?:what|did|has|have|does|do)\s+(?:did\s+|has\s+|have\s+|does\s+)?(?P<who>(?:[A-Z][\w'’.-]*\s+){1,4}?)"
    r"(?:ever\s+)?(?:say|said|tell|told|claim|claimed|state|stated|announce|announced|deny|denied|admit|"
    r"admitted|promise|promised|warn|warned|accuse|accused)\b"
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


# ----------------------------------------------------------------------------- compare


MAX_COLUMNS = 4
MAX_SPEAKER_ROWS = 6
MAX_CLAIM_ROWS = 5


@dataclass
class Column:
    label: str
    filters: Filters
    candidates: list[Candidate] = field(default_factory=list)  # best first
    statements: list[ScoredStatement] = field(default_factory=list)  # most relevant first

    def holds(self, article: ArticleInfo) -> bool:
        """Whether an article belongs here (a wire original counts for the outlets copying it)."""
        f = self.filters
        if f.outlets and article.outlet not in f.outlets and not set(article.also_published_by) & set(f.outlets):
            return False
        return passes_filters(article, Filters(since=f.since, until=f.until, article_ids=f.article_ids))


def answer_compare(turn: Turn) -> Answer:
    retrieval = turn.retrieve(k=max(turn.top_k, 20))
    if not retrieval.passages:
        return not_answered(turn, retrieval, _nothing_found(turn))
    overall = collect_evidence(turn, retrieval)
    verdict = judge(turn, overall)
    if not verdict.answerable:
        return not_answered(turn, retrieval, verdict.reason)
    columns, by_date = _choose_columns(turn, retrieval)
    evidence = [overall]
    for column in columns:
        if not any(column.holds(p.article) for p in retrieval.passages):
            # A named outlet the overall search missed: one search restricted to it.
            evidence.append(collect_evidence(turn, turn.retrieve(k=4, filters=column.filters)))
    candidates = [c for e in evidence for c in e.candidates]
    infos = {k: v for e in evidence for k, v in e.infos.items()}
    items = prepare_statements(turn, [st for e in evidence for st in e.statements], infos)
    items = score_statements(turn, items, retrieval, embed_top=24)
    for column in columns:
        column.candidates = sorted((c for c in candidates if column.holds(c.article)), key=lambda c: -c.score)
        column.statements = [i for i in items if column.holds(i.article)]
    columns = [c for c in columns if c.candidates]
    if not columns:
        return not_answered(turn, retrieval, _nothing_found(turn))
    book = CitationBook(turn.index)
    rows, contradictions, agreements, used = _speaker_rows(turn, columns, book)
    lined_up = any(sum(cell != NOT_REPORTED for cell in row[1:-1]) >= 2 for row in rows)
    if len(rows) < 2 or not (lined_up or contradictions):
        # Speakers who each appear in one outlet only compare nothing: line up claims instead.
        book = CitationBook(turn.index)
        rows, contradictions, agreements, used = _claim_rows(turn, columns, book)
    header = ("Speaker or claim", *[c.label for c in columns], "Notes")
    text = _compare_text(turn, columns, contradictions, agreements, book, by_date)
    table = Table(columns=header, rows=tuple(rows), notes=tuple(contradictions + agreements))
    return _answer(turn, retrieval, book, text, table=table, statements=used)


def _choose_columns(turn: Turn, retrieval: Retrieval) -> tuple[list[Column], bool]:
    """One column per outlet the question names, else per outlet (or date) of the evidence."""
    q = turn.question
    f = turn.filters
    named = list(retrieval.recognised.outlets) or _outlets_in_question(q.text, turn.known_outlets())
    if f.outlets and not named:
        named = list(f.outlets)
    if len(named) >= 2:
        return [Column(o, Filters(outlets=(o,), since=f.since, until=f.until, article_ids=f.article_ids))
                for o in named[:MAX_COLUMNS + 1]], False
    outlets = _relevant_outlets(turn, retrieval)
    if len(named) == 1:
        outlets = [named[0]]
    if q.over_time or len(outlets) < 2:
        dates = sorted({date_of(p.article) for p in retrieval.passages if date_of(p.article)
                        and (not named or p.article.outlet in named)})
        if len(dates) >= 2:
            base = named[0] if named else None
            outlets_of_column = (base,) if base else f.outlets
            return [Column(d, Filters(outlets=outlets_of_column, since=d, until=d, article_ids=f.article_ids))
                    for d in dates[:MAX_COLUMNS]], True
    return [Column(o, Filters(outlets=(o,), since=f.since, until=f.until, article_ids=f.article_ids))
            for o in outlets[:MAX_COLUMNS]] or [Column("Coverage", f)], False


def _relevant_outlets(turn: Turn, retrieval: Retrieval) -> list[str]:
    """Outlets whose retrieved passages are close to the best one, in the order they reported."""
    if not retrieval.passages:
        return []
    top = retrieval.passages[0].score
    first_date: dict[str, str] = {}
    for p in retrieval.passages:
        if p.article.outlet and p.score >= top * 0.6:
            day = date_of(p.article) or "9999"
            first_date[p.article.outlet] = min(first_date.get(p.article.outlet, day), day)
    ranked = sorted(first_date, key=lambda o: -max(p.score for p in retrieval.passages if p.article.outlet == o))
    return sorted(ranked[:MAX_COLUMNS], key=lambda o: (first_date[o], o))


def _outlets_in_question(question: str, outlets: Sequence[str]) -> list[str]:
    lowered = question.lower()
    found = []
    for outlet in outlets:
        bare = re.sub(r"\s*\((?:fictional)\)\s*$", "", outlet, flags=re.IGNORECASE)
        for name in {outlet, bare, re.sub(r"^the\s+", "", bare, flags=re.IGNORECASE)}:
            if len(name) >= 3 and re.search(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", lowered):
                found.append((lowered.index(name.lower()), outlet))
                break
    return [o for _, o in sorted(found)]


def _cell(book: CitationBook, article: ArticleInfo, span: tuple[int, int], shown: str) -> str:
    return f"{shown}{book.cite(article, *span)}"


def _speaker_rows(turn: Turn, columns: list[Column], book: CitationBook):
    """Rows of speakers: each cell the speaker's most relevant statement in that column."""
    pool: dict[str, list[tuple[int, ScoredStatement]]] = {}
    best_relevance = max((s.relevance for c in columns for s in c.statements), default=0.0)
    for col_index, column in enumerate(columns):
        for item in column.statements:
            if item.relevance >= best_relevance * 0.45 and credible_speaker(item.speaker):
                pool.setdefault(item.speaker, []).append((col_index, item))
    ranked = sorted(pool.items(), key=lambda kv: -max(i.relevance for _, i in kv[1]))[:MAX_SPEAKER_ROWS]
    rows, used, chosen_rows = [], [], []
    for speaker, entries in ranked:
        cells: list[ScoredStatement | None] = []
        for col_index in range(len(columns)):
            mine = [i for c, i in entries if c == col_index]
            cells.append(max(mine, key=lambda i: i.relevance) if mine else None)
        chosen_rows.append((speaker, cells))
    topic = frozenset(turn.question.stems)
    contradictions, agreements = _statement_relations(chosen_rows, columns, book, topic)
    for speaker, cells in chosen_rows:
        rendered = []
        for item in cells:
            if item is None:
                rendered.append(NOT_REPORTED)
            else:
                rendered.append(_cell(book, item.article, item.span, f"{stance_label(item.stance)}: {item.shown}"))
                used.append(item.statement)
        note, pairs = _row_note(cells, columns, topic)
        rows.append((speaker, *rendered, note))
        for relation, first, later in pairs:
            if relation != AGREES:
                contradictions.append(_relation_line(relation, first, later, book))
    return rows, contradictions, agreements, used


def _relation_line(relation: str, first: ScoredStatement, second: ScoredStatement, book: CitationBook) -> str:
    """"⚠ contradicts: A (outlet, date) said “...” [1] — B (outlet, date) denied “...” [2]"."""
    return (f"{relation}: {first.speaker} ({source_label(first.article)}) {stance_label(first.stance)} "
            f"{first.shown}{book.cite(first.article, *first.span)} — {second.speaker} "
            f"({source_label(second.article)}) {stance_label(second.stance)} {second.shown}"
            f"{book.cite(second.article, *second.span)}")


def _row_note(cells: Sequence[ScoredStatement | None], columns: Sequence[Column], topic: frozenset[str]
              ) -> tuple[str, list[tuple[str, ScoredStatement, ScoredStatement]]]:
    """Agreement or contradiction between the cells of one row (one speaker across outlets or
    dates): the Notes cell, and the (relation, earlier, later) pairs behind it."""
    present = [(columns[i].label, c) for i, c in enumerate(cells) if c is not None]
    if len(present) < 2:
        return (f"only {present[0][0]}" if present else ""), []
    notes, pairs = [], []
    for (label_a, a), (label_b, b) in _pairs(present):
        first, later = sorted((a, b), key=lambda i: i.order_key)
        if first.denies and _admits(later):
            # One speaker denying, then admitting or confirming: the account changed.
            notes.append(f"{CONTRADICTS} (account changed): {label_a} vs {label_b}")
            pairs.append((CONTRADICTS, first, later))
            continue
        relation = relate(a.statement.content, b.statement.content, a.denies, b.denies, topic,
                          admits=_admits(b if a.denies else a))
        if relation:
            if relation == AGREES:
                notes.append(f"{AGREES} ({label_a}, {label_b})")
            else:
                notes.append(f"{relation}: {label_a} vs {label_b}")
            pairs.append((relation, first, later))
    return "; ".join(dict.fromkeys(notes)), pairs


_ADMISSION = re.compile(r"\b(?:acknowledg|admit|conced|confirm)\w*", re.IGNORECASE)


def _admits(item: ScoredStatement) -> bool:
    return item.stance in ("admit", "confirm")


def _pairs(items: Sequence) -> list[tuple]:
    return [(items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items))]


_NUMBER_UNIT = re.compile(r"(\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
                          r"twenty|thirty|forty|fifty|hundred|thousand)(?:[\s-]+(?:hundred|thousand|million))?)"
                          r"\s+([a-z]+)", re.IGNORECASE)
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
                 "hundred": 100, "thousand": 1000}


def quantities(text: str) -> dict[str, set[float]]:
    """Numbers by the unit word after them: "3,000 liters" -> {"liter": {3000}}."""
    found: dict[str, set[float]] = {}
    for number, unit in _NUMBER_UNIT.findall(text):
        value = _number_value(number)
        if value is None:
            continue
        unit = unit.lower().rstrip("s")
        if unit in ("p.m", "a.m", "am", "pm", "a", "the", "of", "and", "percent") or len(unit) < 3:
            continue
        found.setdefault(unit, set()).add(value)
    return found


def _number_value(text: str) -> float | None:
    text = text.strip().lower()
    try:
        return float(text.replace(",", ""))
    except ValueError:
        pass
    parts = re.split(r"[\s-]+", text)
    value = 0.0
    for part in parts:
        if part not in _WORD_NUMBERS:
            return None
        number = _WORD_NUMBERS[part]
        value = value * number if number >= 100 and value else value + number
    return value or None


def relate(a: str, b: str, a_denies: bool, b_denies: bool, topic: frozenset[str] = frozenset(),
           admits: bool = False) -> str:
    """CONTRADICTS, FIGURES_DIFFER, AGREES or "" for two statements.

    They are about the same thing when they share several words, or when the affirming one holds
    two words of what the denial denies, one of them a topic word of the question ("No product
    reached the river" against "They told us nothing reached the river. Now they tell us it did").
    Without an entailment model this misses paraphrases ("entered the Ostra"); it prefers saying
    nothing to marking a contradiction that is not there. `admits`: the affirming side is an
    admission or confirmation, which contradicts a denial sharing one topic word with it.
    """
    stems_a, stems_b = set(content_stems(a)), set(content_stems(b))
    overlap = len(stems_a & stems_b)
    close = jaccard(stems_a, stems_b) >= 0.2 or overlap >= 3
    qa, qb = quantities(a), quantities(b)
    for unit in set(qa) & set(qb):
        if qa[unit] != qb[unit] and not (qa[unit] & qb[unit]) and (close or stems_a & stems_b & topic):
            return FIGURES_DIFFER
    if a_denies != b_denies:
        denial, other = (a, stems_b) if a_denies else (b, stems_a)
        denied = set(content_stems(negated_clause(denial) or denial))
        shared = denied & other
        # An admission ("acknowledged ... may have entered the Ostra River") needs less overlap.
        if close or (len(shared) >= 2 and shared & topic) or (admits and shared & topic):
            return CONTRADICTS
        return ""
    if jaccard(stems_a, stems_b) >= 0.45:
        return AGREES
    return ""


def _statement_relations(chosen_rows, columns: Sequence[Column], book: CitationBook,
                         topic: frozenset[str]) -> tuple[list[str], list[str]]:
    """Notes on statements that contradict or agree across speakers and outlets.

    A denial answering the statement just before it in the same article ("Kessler denied that.")
    contradicts it; otherwise a denial and an assertion on the same topic contradict each other.
    """
    items = [c for _, cells in chosen_rows for c in cells if c is not None]
    # Only statements squarely on the question are lined up against each other.
    best = max((i.topical for i in items), default=0.0)
    items = [i for i in items if i.topical >= best * 0.6]
    found: list[tuple[float, str, str]] = []  # (how squarely on the question, relation, line)
    seen: set[tuple] = set()
    for a, b in _pairs(items):
        same_statement = (a.statement.article_id, a.statement.index) == (b.statement.article_id, b.statement.index)
        if a.speaker == b.speaker or same_statement:
            continue
        relation = ""
        if a.statement.article_id == b.statement.article_id and abs(a.statement.index - b.statement.index) == 1:
            first, second = sorted((a, b), key=lambda i: i.statement.index)
            if second.stance == "deny" and is_anaphoric(second.statement.content):
                relation = CONTRADICTS
        if not relation:
            relation = relate(a.statement.content, b.statement.content, a.denies, b.denies, topic,
                              admits=_admits(b if a.denies else a))
        key = tuple(sorted([(a.statement.article_id, a.statement.index), (b.statement.article_id, b.statement.index)]))
        if not relation or key in seen:
            continue
        seen.add(key)
        first, second = sorted((a, b), key=lambda i: i.order_key)
        line = _relation_line(relation, first, second, book)
        found.append((a.topical + b.topical, relation, line))
    found.sort(key=lambda f: -f[0])
    contradictions = [line for _, relation, line in found if relation != AGREES]
    agreements = [line for _, relation, line in found if relation == AGREES]
    return contradictions[:4], agreements[:3]


def _claim_rows(turn: Turn, columns: list[Column], book: CitationBook):
    """Rows of claims: the best sentences, each lined up with the most similar sentence of every
    other column (or "not reported")."""
    seeds: list[tuple[int, Candidate]] = []
    best = max(c.score for column in columns for c in column.candidates[:1])
    for col_index, column in enumerate(columns):
        for c in remove_near_duplicates(column.candidates)[:2]:
            if c.score >= best * 0.6:
                seeds.append((col_index, c))
    seeds.sort(key=lambda s: -s[1].score)
    rows, contradictions, agreements = [], [], []
    taken: set[tuple[str, int]] = set()
    for col_index, seed in seeds:
        if len(rows) >= MAX_CLAIM_ROWS or seed.key in taken:
            continue
        cells: list[Candidate | None] = [None] * len(columns)
        cells[col_index] = seed
        for other_index, column in enumerate(columns):
            if other_index == col_index:
                continue
            match = _most_similar(turn.store, seed, column.candidates, taken)
            if match is not None:
                cells[other_index] = match
        taken.update(c.key for c in cells if c is not None)
        rendered = [NOT_REPORTED if c is None else _cell(book, c.article, (c.sentence.start, c.sentence.end), c.text)
                    for c in cells]
        note = _claim_note(cells, columns, frozenset(turn.question.stems))
        rows.append((_claim_label(seed, turn.question), *rendered, note))
        if note.startswith("⚠"):
            present = [c for c in cells if c is not None]
            contradictions.append(
                f"{note}: " + " — ".join(f"{source_label(c.article)}: {c.text}{book.cite_sentence(c)}"
                                         for c in present)
            )
    return rows, contradictions, agreements, []


def _most_similar(store: SentenceStore, seed: Candidate, candidates: Sequence[Candidate],
                  taken: set) -> Candidate | None:
    """The candidate saying most nearly what the seed says: shared words, or (for sentences
    already embedded for this question) close vectors."""
    seed_vector = store.cached_vector(seed.sentence)
    best, best_score = None, 0.0
    for c in candidates:
        if c.key in taken:
            continue
        score = 2 * jaccard(set(seed.stems), set(c.stems))
        vector = store.cached_vector(c.sentence) if seed_vector is not None else None
        if vector is not None:
            score = max(score, float(np.dot(seed_vector, vector)))
        if score > best_score:
            best, best_score = c, score
    return best if best_score >= CLAIM_MATCH else None


CLAIM_MATCH = 0.6  # cosine (or twice the word overlap) for two sentences to report the same claim


def _claim_note(cells: Sequence[Candidate | None], columns: Sequence[Column], topic: frozenset[str]) -> str:
    present = [(columns[i].label, c) for i, c in enumerate(cells) if c is not None]
    if len(present) < 2:
        return f"only {present[0][0]}" if present else ""
    notes = []
    for (la, a), (lb, b) in _pairs(present):
        a_denies = negative_claim(a.text)
        relation = relate(a.text, b.text, a_denies, negative_claim(b.text), topic,
                          admits=bool(_ADMISSION.search(b.text if a_denies else a.text)))
        if relation and relation != AGREES:
            notes.append(f"{relation}: {la} vs {lb}")
        elif relation == AGREES:
            notes.append(f"{AGREES} ({la}, {lb})")
    return "; ".join(dict.fromkeys(notes))


def _claim_label(seed: Candidate, q: QuestionInfo) -> str:
    """A few words naming the claim: the seed's words that the question also uses, else its start."""
    topic = set(q.stems)
    shown = [w for w in re.findall(r"[A-Za-z][\w'’-]*", seed.text)
             if content_stems(w) and content_stems(w)[0] in topic]
    shown = list(dict.fromkeys(shown))[:4]
    if len(shown) >= 2:
        return ", ".join(shown)
    words_ = seed.text.split()
    return " ".join(words_[:6]) + ("…" if len(words_) > 6 else "")


def _compare_text(turn: Turn, columns: Sequence[Column], contradictions: Sequence[str], agreements: Sequence[str],
                  book: CitationBook, by_date: bool) -> str:
    lines = []
    if contradictions:
        lines.append("**Where the accounts differ**")
        lines.extend(f"- {c}" for c in contradictions)
    elif agreements:
        lines.append("**Where the accounts agree**")
        lines.extend(f"- {a}" for a in agreements)
    else:
        lines.append("The reports do not directly contradict each other; what each says:")
    lines.append("")
    lines.append(f"**What each {'date' if by_date else 'outlet'} reported**")
    for column in columns:
        best = remove_near_duplicates(column.candidates)[:1]
        if best:
            c = best[0]
            label = column.label if not by_date else f"{column.label} ({outlet_name(c.article)})"
            lines.append(f"- **{label}**: {c.text}{book.cite_sentence(c)}")
        else:
            lines.append(f"- **{column.label}**: {NOT_REPORTED}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- summarize


MAX_SUMMARY_SENTENCES = 12
PER_ARTICLE = 3


def answer_summarize(turn: Turn) -> Answer:
    q = turn.question
    retrieval = turn.retrieve(k=max(turn.top_k, 24))
    if not retrieval.passages:
        return not_answered(turn, retrieval, _nothing_found(turn))
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
    return _answer(turn, retrieval, book, text)


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
            top = items[0].score
            picked.extend([i for i in items if i.score >= max(top * 0.7, best * 0.45)][:PER_ARTICLE])
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
        when = f" ({dates[0]}{' to ' + dates[-1] if len(dates) > 1 else ''})" if dates else ""
        body = " ".join(f"{c.text}{book.cite_sentence(c)}" for c in items)
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
            lines.append(f"- {outlet_name(c.article)}: {c.text}{book.cite_sentence(c)}")
    return "\n".join(lines)


MODES: dict[str, Callable[[Turn], Answer]] = {
    "ask": answer_ask,
    "who": answer_who,
    "compare": answer_compare,
    "summarize": answer_summarize,
}
