"""Compare mode: outlets (or dates) side by side, with agreement and contradiction marked.

Columns are the outlets the question names, else the outlets (or, for "how did it change",
the dates) of the best evidence. Rows are speakers, each cell the speaker's most relevant
statement in that column; when speakers do not line up across columns, rows are claims: the
best sentences, each matched with the sentence of every other column that says most nearly the
same. Every cell is a quoted, cited span or "not reported".

Contradiction without an entailment model is rule based (see `relate`): a denial against an
assertion of the same thing, an admission after a denial, different figures for the same unit.
The rules prefer saying nothing to marking a contradiction that is not there.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from .answer_evidence import (
    Candidate, CitationBook, QuestionInfo, SentenceStore, cited, content_stems, date_of, holds_expected, jaccard,
    negated_clause, negative_claim, outlet_name, passes_filters, remove_near_duplicates, source_label,
)
from .attribute import cue_class
from .answer_modes import (
    ScoredStatement, Turn, finish_answer, filters_for_days, nothing_found, collect_evidence, credible_speaker,
    is_anaphoric, judge, not_answered, passages_on_question, prepare_statements, said_as, score_statements,
    stance_label,
)
from .query import bare_outlet_name
from .records import Answer, ArticleInfo, Filters, Table
from .retrieve import Retrieval

log = logging.getLogger(__name__)

NOT_REPORTED = "not reported"
CONTRADICTS = "⚠ contradicts"
AGREES = "✓ agrees"
FIGURES_DIFFER = "⚠ figures differ"


MAX_COLUMNS = 4
MAX_SPEAKER_ROWS = 6
MAX_CLAIM_ROWS = 5
FIGURE_KINDS = ("amount", "quantity", "duration")  # questions whose columns' figures are set side by side
KIND_LEAD_SHARE = 0.4  # a column sentence holding the amount (time) asked for heads it from this share of the best


@dataclass
class Column:
    label: str
    filters: Filters
    candidates: list[Candidate] = field(default_factory=list)  # best first
    statements: list[ScoredStatement] = field(default_factory=list)  # most relevant first

    def holds(self, article: ArticleInfo) -> bool:
        """Whether an article belongs here (a wire original counts for the outlets copying it, on
        the day each ran it)."""
        return passes_filters(article, self.filters)


def answer_compare(turn: Turn) -> Answer:
    asked = turn.retriever.understand(turn.question.text).only_dates
    if asked is not None:
        # "How did the coverage differ on March 14?" compares that day's coverage: the date is
        # the topic, so every article of the day is relevant (a search for "how did the
        # coverage differ" finds nothing in particular and would be refused).
        days = filters_for_days(turn, asked)
        if isinstance(days, Answer):
            return days
        turn = dataclasses.replace(turn, filters=days)
    retrieval = turn.retrieve(k=max(turn.top_k, 20))
    if not retrieval.passages:
        return not_answered(turn, retrieval, nothing_found(turn))
    overall = collect_evidence(turn, retrieval, extra_leads=asked is not None)
    verdict = judge(turn, overall)
    if not verdict.answerable and asked is None:
        return not_answered(turn, retrieval, verdict.reason)
    columns, chosen_by = _choose_columns(turn, retrieval, _outlets_answering_the_kind(turn, overall.candidates))
    by_date = chosen_by == "dates"
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
        # A day's coverage is told by its leads (the question says nothing else to rank by).
        order = (lambda c: (c.position, -c.score)) if asked is not None else (lambda c: -c.score)
        column.candidates = sorted((c for c in candidates if column.holds(c.article)), key=order)
        column.statements = [i for i in items if column.holds(i.article)]
    columns = [c for c in columns if c.candidates]
    if not columns:
        return not_answered(turn, retrieval, nothing_found(turn))
    book = CitationBook(turn.index)
    kinds = place_kinds(sentence.text for article_id in infos for sentence in turn.store.sentences(article_id))
    rows, contradictions, agreements, used = _speaker_rows(turn, columns, book, kinds)
    lined_up = any(sum(cell != NOT_REPORTED for cell in row[1:-1]) >= 2 for row in rows)
    single_source = len(columns) == 1  # one outlet's speakers are still worth setting side by side
    if len(rows) < 2 or not (lined_up or contradictions or single_source):
        # Speakers who each appear in one outlet only compare nothing: line up claims instead.
        book = CitationBook(turn.index)
        rows, contradictions, agreements, used = _claim_rows(turn, columns, book, kinds)
    header = ("Speaker or claim", *[c.label for c in columns], "Notes")
    # (a time is no figure: any sentence naming a weekday "holds" one, and would head its column)
    figure = turn.question.expects if turn.question.expects in FIGURE_KINDS else ""
    leads = [(column, _column_lead(column, figure)) for column in columns]
    if figure:
        contradictions = [f for f in [_figures_differ(leads, book, by_date)] if f] + contradictions
    text = _compare_text(leads, contradictions, agreements, book, by_date)
    table = Table(columns=header, rows=tuple(rows), notes=tuple(contradictions + agreements))
    notice = _outlets_left_out(retrieval, columns, turn.question.stems) if chosen_by == "relevance" else ""
    return finish_answer(turn, retrieval, book, text, table=table, statements=used, notice=notice)


def _outlets_left_out(retrieval: Retrieval, columns: Sequence[Column], topic: Sequence[str]) -> str:
    """A table has room for MAX_COLUMNS outlets: name the others that reported on the question,
    so the reader knows the comparison is not the whole coverage."""
    shown = {c.label for c in columns}
    others = sorted({p.article.outlet for p in passages_on_question(retrieval, topic) if p.article.outlet} - shown)
    if not others:
        return ""
    names = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
    return (f"The table sets side by side the {len(columns)} outlets closest to the question; {names} "
            f"also reported on it (name outlets in the question to compare those).")


def _choose_columns(turn: Turn, retrieval: Retrieval, answering: frozenset[str] = frozenset()
                    ) -> tuple[list[Column], str]:
    """One column per outlet the question names, else per outlet (or date) of the evidence (those
    in `answering` first); with how they were chosen: "named", "dates" or "relevance"."""
    q = turn.question
    f = turn.filters
    named = list(retrieval.recognised.outlets) or _outlets_in_question(q.text, turn.known_outlets())
    if f.outlets and not named:
        named = list(f.outlets)
    if len(named) >= 2:
        return [Column(o, Filters(outlets=(o,), since=f.since, until=f.until, article_ids=f.article_ids))
                for o in named[:MAX_COLUMNS + 1]], "named"
    outlets = _relevant_outlets(turn, retrieval, answering)
    if len(named) == 1:
        outlets = [named[0]]
    if q.over_time or len(outlets) < 2:
        dates = sorted({date_of(p.article) for p in passages_on_question(retrieval, q.stems) if date_of(p.article)
                        and (not named or p.article.outlet in named)})
        if len(dates) >= 2:
            base = named[0] if named else None
            outlets_of_column = (base,) if base else f.outlets
            return [Column(d, Filters(outlets=outlets_of_column, since=d, until=d, article_ids=f.article_ids))
                    for d in dates[:MAX_COLUMNS]], "dates"
    return [Column(o, Filters(outlets=(o,), since=f.since, until=f.until, article_ids=f.article_ids))
            for o in outlets[:MAX_COLUMNS]] or [Column("Coverage", f)], ("named" if named else "relevance")


def _outlets_answering_the_kind(turn: Turn, candidates: Iterable[Candidate]) -> frozenset[str]:
    """The outlets with a sentence holding the figure the question asks for ("How much leaked?":
    an amount), when it asks for one."""
    expects = turn.question.expects
    if expects not in FIGURE_KINDS:
        return frozenset()
    return frozenset(c.article.outlet for c in candidates if c.article.outlet and holds_expected(c.text, expects))


def _relevant_outlets(turn: Turn, retrieval: Retrieval, answering: frozenset[str] = frozenset()) -> list[str]:
    """Outlets whose retrieved passages are close to the best one, in the order they reported.
    A table has room for MAX_COLUMNS: outlets in `answering` (those giving the figure asked for)
    take them first, so "How much leaked?" does not leave out the outlet that gave the amount
    for one that only mentioned the leak."""
    first_date: dict[str, str] = {}
    for p in passages_on_question(retrieval, turn.question.stems):
        if p.article.outlet:
            day = date_of(p.article) or "9999"
            first_date[p.article.outlet] = min(first_date.get(p.article.outlet, day), day)
    ranked = sorted(first_date, key=lambda o: (o not in answering,
                                               -max(p.score for p in retrieval.passages if p.article.outlet == o)))
    return sorted(ranked[:MAX_COLUMNS], key=lambda o: (first_date[o], o))


def _outlets_in_question(question: str, outlets: Sequence[str]) -> list[str]:
    lowered = question.lower()
    found = []
    for outlet in outlets:
        bare = bare_outlet_name(outlet)
        for name in {outlet, bare, re.sub(r"^the\s+", "", bare, flags=re.IGNORECASE)}:
            if len(name) >= 3 and re.search(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", lowered):
                found.append((lowered.index(name.lower()), outlet))
                break
    return [o for _, o in sorted(found)]


def _cell(book: CitationBook, article: ArticleInfo, span: tuple[int, int], shown: str) -> str:
    return f"{shown}{book.cite(article, *span)}"


def _speaker_rows(turn: Turn, columns: list[Column], book: CitationBook, kinds: Mapping[str, set[str]]):
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
    contradictions, agreements = _statement_relations(chosen_rows, columns, book, topic, kinds)
    for speaker, cells in chosen_rows:
        rendered = []
        for item in cells:
            if item is None:
                rendered.append(NOT_REPORTED)
            else:
                rendered.append(_cell(book, item.article, item.span, f"{said_as(item.statement)}: {item.shown}"))
                used.append(item.statement)
        note, pairs = _row_note(cells, columns, topic, kinds)
        rows.append((speaker, *rendered, note))
        for relation, first, later in pairs:
            if relation != AGREES:
                contradictions.append(_relation_line(relation, first, later, book))
    return rows, contradictions, agreements, used


def _relation_line(relation: str, first: ScoredStatement, second: ScoredStatement, book: CitationBook) -> str:
    """"⚠ contradicts: A (outlet, date) said “...” [1] — B (outlet, date) denied “...” [2]"."""
    return (f"{relation}: {first.speaker} ({source_label(first.article)}) {said_as(first.statement)} "
            f"{first.shown}{book.cite(first.article, *first.span)} — {second.speaker} "
            f"({source_label(second.article)}) {said_as(second.statement)} {second.shown}"
            f"{book.cite(second.article, *second.span)}")


def _row_note(cells: Sequence[ScoredStatement | None], columns: Sequence[Column], topic: frozenset[str],
              kinds: Mapping[str, set[str]]) -> tuple[str, list[tuple[str, ScoredStatement, ScoredStatement]]]:
    """Agreement or contradiction between the cells of one row (one speaker across outlets or
    dates): the Notes cell, and the (relation, earlier, later) pairs behind it."""
    present = [(columns[i].label, c) for i, c in enumerate(cells) if c is not None]
    if len(present) < 2:
        return _only_note(present, columns), []
    notes, pairs = [], []
    for (label_a, a), (label_b, b) in _pairs(present):
        if a.article.id == b.article.id:  # one wire story in two outlets: no second source
            notes.append(_same_story_note(label_a, label_b))
            continue
        first, later = sorted((a, b), key=lambda i: i.order_key)
        if _denies_outright(first) and _admits(later) and _denied_material(first, kinds) & _with_kinds(
                content_stems(later.statement.content), kinds):
            # One speaker denying something, then admitting or confirming it: the account changed.
            notes.append(f"{CONTRADICTS} (account changed): {label_a} vs {label_b}")
            pairs.append((CONTRADICTS, first, later))
            continue
        relation = relate(a.statement.content, b.statement.content, _denies_outright(a), _denies_outright(b), topic,
                          admits=_admits_against(a, b), kinds=kinds)
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


def _denied_material(item: ScoredStatement, kinds: Mapping[str, set[str]]) -> set[str]:
    """The stems of what a denial denies: for a bare "denied that", the claim it answers
    (a denial of the union's valve report says nothing about how much leaked)."""
    content = item.referent.content if is_anaphoric(item.statement.content) and item.referent else item.statement.content
    return _with_kinds(content_stems(content), kinds)


def _explicit_denial(item: ScoredStatement) -> bool:
    """Denied with a verb of denial ("denied", "rejected"), not read from what was said."""
    return item.denies and cue_class(item.statement.cue) == "deny"


def _denies_outright(item: ScoredStatement) -> bool:
    """A denial in so many words, or a claim that something is not so ("No product reached the
    river"). A denial read from context ("Nowak dismissed that. 'The water was cold,' he said.")
    denies the claim before it, not what it says itself: set against others, it is a claim."""
    return _explicit_denial(item) or negative_claim(item.statement.content)


def _admits_against(a: ScoredStatement, b: ScoredStatement) -> bool:
    """One side admits or confirms and the other denied it in so many words. A negative read
    from what was said ("samples upstream showed no toluene") is weighed as any other claim."""
    denial, other = (a, b) if _denies_outright(a) else (b, a)
    return _admits(other) and _explicit_denial(denial)


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
    for unit, value, _ in _figures(text):
        found.setdefault(unit, set()).add(value)
    return found


def figures_as_written(text: str) -> dict[str, list[str]]:
    """The figures of a sentence by unit, as written with their hedge: {"liter": ["roughly 3,000
    liters"]}."""
    found: dict[str, list[str]] = {}
    for unit, _, written in _figures(text):
        found.setdefault(unit, []).append(written)
    return found


def _figures(text: str) -> Iterable[tuple[str, float, str]]:
    """(unit, value, the words as written) for each number followed by what it counts."""
    for match in _NUMBER_UNIT.finditer(text):
        value = _number_value(match.group(1))
        unit = match.group(2).lower().rstrip("s")
        if value is None or unit in ("p.m", "a.m", "am", "pm", "a", "the", "of", "and", "percent") or len(unit) < 3:
            continue
        hedge = _HEDGE.search(text, 0, match.start())
        yield unit, value, (hedge.group(0) if hedge else "") + match.group(0)


# Words that qualify a figure ("roughly 3,000 liters", "as much as 40,000 liters", "a few hundred
# liters"): shown with it, since "3,000" and "roughly 3,000" are not the same claim.
_HEDGE = re.compile(r"\b(?:roughly|about|around|nearly|almost|some|only|just|at least|more than|less than|"
                    r"fewer than|up to|as (?:much|many|few|little) as|a few|several)\s+$", re.IGNORECASE)


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
           admits: bool = False, kinds: Mapping[str, set[str]] = {}, paraphrase: bool = False) -> str:
    """CONTRADICTS, FIGURES_DIFFER, AGREES or "" for two statements.

    They are about the same thing when they share several words, or when the affirming one holds
    two words of what the denial denies, one of them a topic word of the question ("No product
    reached the river" against "They told us nothing reached the river. Now they tell us it did").
    Without an entailment model this misses paraphrases ("entered the Ostra"); it prefers saying
    nothing to marking a contradiction that is not there. `admits`: the affirming side is an
    admission or confirmation, which contradicts a denial sharing one topic word with it.
    `kinds` (place_kinds) lets a place's name stand for what it is: "reached the Ostra" is about
    the river. `paraphrase`: the caller found the two sentences' vectors close (AGREE_COSINE), so
    two statements of the same polarity about the same thing agree even when worded apart.
    """
    stems_a, stems_b = _with_kinds(content_stems(a), kinds), _with_kinds(content_stems(b), kinds)
    overlap = len(stems_a & stems_b)
    close = jaccard(stems_a, stems_b) >= 0.2 or overlap >= 3
    qa, qb = quantities(a), quantities(b)
    for unit in set(qa) & set(qb):
        if qa[unit] != qb[unit] and not (qa[unit] & qb[unit]) and (close or stems_a & stems_b & topic):
            return FIGURES_DIFFER
    if a_denies != b_denies:
        if _opposed_places(a, b):
            return ""  # "no toluene upstream" does not deny "toluene downstream"
        denial, other = (a, stems_b) if a_denies else (b, stems_a)
        denied = _with_kinds(content_stems(negated_clause(denial) or denial), kinds)
        shared = denied & other
        # An admission ("acknowledged ... may have entered the Ostra River") needs less overlap.
        if close or (len(shared) >= 2 and shared & topic) or (admits and shared & topic):
            return CONTRADICTS
        return ""
    if jaccard(stems_a, stems_b) >= 0.45 or (paraphrase and close):
        return AGREES
    return ""


# Words that put two claims in different places or times: one side's word, the other's opposite.
_OPPOSITES = {"upstream": "downstream", "upriver": "downriver", "inside": "outside", "north": "south",
              "east": "west", "above": "below", "upper": "lower", "before": "after"}
_OPPOSITES.update({v: k for k, v in list(_OPPOSITES.items())})


def _opposed_places(a: str, b: str) -> bool:
    """One statement says "upstream" (or "before", "inside"...) where the other says the
    opposite, and neither says both: they describe different places or times."""
    words_a, words_b = set(re.findall(r"[a-z]+", a.lower())), set(re.findall(r"[a-z]+", b.lower()))
    return any(_OPPOSITES[w] in words_b and _OPPOSITES[w] not in words_a and w not in words_b
               for w in words_a if w in _OPPOSITES)


def place_kinds(texts: Iterable[str]) -> dict[str, set[str]]:
    """Stem of a place's name -> stems of what the texts call it ("the Ostra River" -> ostra:
    river), so a statement naming the place is about that kind of place."""
    kinds: dict[str, set[str]] = {}
    for text in texts:
        for match in _NAMED_PLACE.finditer(text):
            name, kind = content_stems(match.group(1)), content_stems(match.group(2))
            if name and kind:
                kinds.setdefault(name[0], set()).add(kind[0])
    return kinds


_NAMED_PLACE = re.compile(r"\b([A-Z][a-z]{2,})\s+(River|Lake|Sea|Bay|Creek|Canal|Harbou?r|Island|Valley|Mountains?)\b")


def _with_kinds(stems: Iterable[str], kinds: Mapping[str, set[str]]) -> set[str]:
    found = set(stems)
    return found.union(*(kinds[s] for s in found if s in kinds))


def _answers(denial: ScoredStatement, claim: ScoredStatement) -> bool:
    """Whether `denial` is a bare "denied that" answering `claim`: the claim found for it, or,
    when none was found, the statement just before it."""
    if denial.stance != "deny" or not is_anaphoric(denial.statement.content):
        return False
    if denial.referent is not None:
        return denial.referent == claim.statement
    return (denial.statement.article_id == claim.statement.article_id
            and denial.statement.index - claim.statement.index == 1)


def _statement_relations(chosen_rows, columns: Sequence[Column], book: CitationBook,
                         topic: frozenset[str], kinds: Mapping[str, set[str]]) -> tuple[list[str], list[str]]:
    """Notes on statements that contradict or agree across speakers and outlets.

    A bare denial ("Kessler denied that.") contradicts the claim it answers; otherwise a denial
    and an assertion on the same topic contradict each other.
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
        relation = CONTRADICTS if _answers(a, b) or _answers(b, a) else ""
        if not relation:
            relation = relate(a.statement.content, b.statement.content, _denies_outright(a), _denies_outright(b), topic,
                              admits=_admits_against(a, b), kinds=kinds)
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


def _claim_rows(turn: Turn, columns: list[Column], book: CitationBook, kinds: Mapping[str, set[str]]):
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
        note = _claim_note(turn, cells, columns, frozenset(turn.question.stems), kinds)
        rows.append((_claim_label(seed, turn.question), *rendered, note))
        present = [c for c in cells if c is not None]
        quoted = " — ".join(f"{source_label(c.article)}: {cited(book, c)}" for c in present)
        if note.startswith("⚠"):
            contradictions.append(f"{note}: {quoted}")
        elif note.startswith(AGREES):
            agreements.append(f"{AGREES}: {quoted}")
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
# Cosine from which two sentences of one polarity, about the same thing (`relate`: shared words)
# and with no differing figures, say the same thing in other words. MiniLM: "Residents lined up
# for bottled water on Thursday" / "On Thursday, people queued for bottled water" 0.74; different
# claims about one story ("the valve had passed an inspection" / "workers had reported a dripping
# valve") 0.57.
AGREE_COSINE = 0.7


def _claim_note(turn: Turn, cells: Sequence[Candidate | None], columns: Sequence[Column], topic: frozenset[str],
                kinds: Mapping[str, set[str]]) -> str:
    present = [(columns[i].label, c) for i, c in enumerate(cells) if c is not None]
    if len(present) < 2:
        return _only_note(present, columns)
    notes = []
    for (la, a), (lb, b) in _pairs(present):
        if a.article.id == b.article.id:  # one wire story in two outlets: no second source
            notes.append(_same_story_note(la, lb))
            continue
        a_denies = negative_claim(a.text)
        va, vb = turn.store.sentence_vectors(turn.embedder, [a.sentence, b.sentence])
        relation = relate(a.text, b.text, a_denies, negative_claim(b.text), topic,
                          admits=bool(_ADMISSION.search(b.text if a_denies else a.text)), kinds=kinds,
                          paraphrase=float(np.dot(va, vb)) >= AGREE_COSINE)
        if relation and relation != AGREES:
            notes.append(f"{relation}: {la} vs {lb}")
        elif relation == AGREES:
            notes.append(f"{AGREES} ({la}, {lb})")
    return "; ".join(dict.fromkeys(notes))


def _only_note(present: Sequence[tuple[str, object]], columns: Sequence[Column]) -> str:
    """"only Fox News" for a row one column of several reports; nothing when there is one column."""
    return f"only {present[0][0]}" if present and len(columns) > 1 else ""


def _same_story_note(label_a: str, label_b: str) -> str:
    """Two columns quoting one article (a wire original and an outlet that ran it) agree by
    construction: say so rather than count it as confirmation."""
    return f"same wire story ({label_a}, {label_b})"


def _claim_label(seed: Candidate, q: QuestionInfo) -> str:
    """A few words naming the claim: the seed's words that the question also uses, else its start."""
    topic = set(q.stems)
    shown = [w for w in re.findall(r"[A-Za-z][\w'’-]*", seed.text)
             if content_stems(w) and content_stems(w)[0] in topic]
    shown = list(dict.fromkeys(shown))[:4]
    if len(shown) >= 2:
        return ", ".join(shown)
    speakers = [st for st in seed.statements if credible_speaker(st.speaker)]
    if speakers:  # "Russia's Defense Ministry (denied)" names the claim better than its first words
        return f"{speakers[0].speaker} ({stance_label(speakers[0].stance)})"
    words_ = seed.text.split()
    return " ".join(words_[:6]) + ("…" if len(words_) > 6 else "")


def _column_lead(column: Column, expects: str) -> Candidate | None:
    """The sentence that heads a column: its best, or, when the question asks for a kind of
    answer (an amount, a time) that the best lacks, its best that holds one, if it scores at least
    KIND_LEAD_SHARE of the best ("roughly 3,000 liters of toluene escaped" over the mayor's "not
    told about the leak until just after 5 a.m." for "How do the accounts of how much leaked differ?")."""
    ranked = remove_near_duplicates(column.candidates)
    if not ranked:
        return None
    best = max(ranked, key=lambda c: c.score)
    first = ranked[0]
    if expects and not holds_expected(first.text, expects):
        holding = next((c for c in ranked if holds_expected(c.text, expects)), None)
        if holding is not None and holding.score >= KIND_LEAD_SHARE * best.score:
            return holding
    return first


def _figures_differ(leads: Sequence[tuple[Column, Candidate | None]], book: CitationBook, by_date: bool) -> str:
    """For a question asking for an amount: the figures each column gives, side by side, when two
    or more columns give the same unit and not the same figures ("⚠ figures differ (liters): Harbor
    Ledger: roughly 3,000 liters [1]; The Daily Sentinel: 3,000 liters, 9,500 liters [2], as much
    as 40,000 liters [3]"). A column's figures are its lead's and those of its other sentences
    that score at least KIND_LEAD_SHARE of its best."""
    per_column = [(column, _figure_sentences(column, lead)) for column, lead in leads if lead is not None]
    units = Counter(unit for _, sentences in per_column for unit in {u for _, f in sentences for u in f})
    for unit, count in units.most_common():
        if count < 2:
            break
        holding = [(column, [(c, f[unit]) for c, f in sentences if unit in f]) for column, sentences in per_column]
        holding = [(column, said) for column, said in holding if said]
        given = {frozenset(v for c, _ in said for v in quantities(c.text)[unit]) for _, said in holding}
        if len(given) < 2:
            continue  # all give the same figures
        cells = "; ".join(
            f"{_column_name(column, said[0][0], by_date)}: "
            + ", ".join(f"{', '.join(dict.fromkeys(words))}{book.cite_sentence(c)}" for c, words in said)
            for column, said in holding)
        return f"{FIGURES_DIFFER} ({unit}s): {cells}"
    return ""


def _figure_sentences(column: Column, lead: Candidate) -> list[tuple[Candidate, dict[str, list[str]]]]:
    """The column's lead and its other close sentences, with the figures each writes."""
    best = max(c.score for c in column.candidates)
    others = [c for c in remove_near_duplicates(column.candidates)
              if c is not lead and c.score >= KIND_LEAD_SHARE * best]
    found = [(c, figures_as_written(c.text)) for c in [lead, *others]]
    return [(c, f) for c, f in found if f]


def _column_name(column: Column, c: Candidate, by_date: bool) -> str:
    return column.label if not by_date else f"{column.label} ({outlet_name(c.article)})"


def _compare_text(leads: Sequence[tuple[Column, Candidate | None]], contradictions: Sequence[str],
                  agreements: Sequence[str], book: CitationBook, by_date: bool) -> str:
    lines = []
    columns = [column for column, _ in leads]
    if contradictions:
        lines.append("**Where the accounts differ**")
        lines.extend(f"- {c}" for c in contradictions)
    elif agreements:
        lines.append("**Where the accounts agree**")
        lines.extend(f"- {a}" for a in agreements)
    elif len(columns) > 1:
        lines.append("The reports do not directly contradict each other; what each says:")
    if len(columns) == 1:
        lines.insert(0, f"Only {columns[0].label} covers this, so there is no second account to set it against.")
    lines.append("")
    lines.append(f"**What each {'date' if by_date else 'outlet'} reported**")
    for column, c in leads:
        if c is not None:
            label = _column_name(column, c, by_date)
            lines.append(f"- **{label}**: {cited(book, c)}")
        else:
            lines.append(f"- **{column.label}**: {NOT_REPORTED}")
    return "\n".join(lines)
