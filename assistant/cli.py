"""`newsdesk`: a thin command line over the Assistant facade.

It parses arguments, calls the facade and prints. NewsdeskError becomes a one-line message on
stderr and exit code 1; anything else is a bug and keeps its traceback.
Exit codes: 0 ok; 1 error; 3 the command ran but skipped some input (see the summary).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import click

from . import ingest as ingest_stage
from .errors import ArticleNotFound, IndexNotFound, NewsdeskError
from .facade import MODES, Assistant
from .normalize import readable_date
from .records import Answer, Article, Filters, IngestReport, Problem
from .render import answer_dict, count_of, iso_day
from .settings import Settings, load_settings

EXIT_ERROR = 1
EXIT_SKIPPED = 3

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models are local; never wait on a hub lookup
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

index_option = click.option(
    "--index", "index", metavar="NAME_OR_PATH", default=None,
    help="A name under indexes/ (default: 'default') or a directory path.",
)


class NewsdeskGroup(click.Group):
    """Turns user-facing errors into a clean message and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(EXIT_ERROR)
        except sqlite3.DatabaseError as exc:
            # A damaged page can surface on any read, long after the index opened fine.
            click.secho(
                f"Error: the index records are damaged ({exc}). Run `newsdesk doctor` with the same "
                "--index to see what is wrong, and `newsdesk doctor --repair` to rebuild what can be rebuilt.",
                fg="red", err=True,
            )
            ctx.exit(EXIT_ERROR)


@click.group(cls=NewsdeskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--settings", "settings_file", metavar="FILE", default=None,
              help="A TOML settings file (fields as in assistant/settings.py).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def cli(ctx: click.Context, settings_file: str | None, verbose: bool) -> None:
    """Newsdesk: ask questions of news coverage, with every sentence cited.

    \b
    Example:
      newsdesk ingest data/sample
      newsdesk ask "Who denied attacking the Wagner Group?"
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        ctx.obj = load_settings(settings_file)
    except NewsdeskError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        ctx.exit(EXIT_ERROR)


def _assistant(ctx: click.Context, index: str | None) -> Assistant:
    settings: Settings = ctx.obj
    return Assistant(settings, index)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# ----------------------------------------------------------------------------- ingest


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def ingest(ctx: click.Context, inputs: Sequence[str], index: str | None, as_json: bool) -> None:
    """Add files, folders (recursively) and web pages to an index.

    Formats: .txt .md (YAML front matter) .html .htm .json .jsonl .csv .xml .rss .atom, and
    http(s) URLs. Re-ingesting unchanged articles changes nothing; a changed article replaces
    its old version. Exit code 3 means some input was skipped (listed with reasons).

    \b
    Example:
      newsdesk ingest data/sample ~/clippings/feed.xml https://example.com/story --index wagner
    """
    assistant = _assistant(ctx, index)
    report = assistant.ingest(list(inputs), progress=_progress_bar())
    if as_json:
        _echo_json(_report_dict(report, assistant))
    else:
        click.echo(format_ingest_report(report, assistant.location))
    if report.problems:
        ctx.exit(EXIT_SKIPPED)


def _progress_bar():
    """A tqdm bar on stderr per stage; silent when stderr is not a terminal and not forced."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}
    labels = {"read": "Reading", "embed": "Embedding chunks and sentences"}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=labels.get(stage, stage), unit="", file=sys.stderr, leave=False,
                                     disable=None)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def format_ingest_report(report: IngestReport, index_path: str) -> str:
    lines = [
        f"Index: {index_path}",
        f"  added:      {len(report.added)}",
        f"  updated:    {len(report.updated)}",
        f"  unchanged:  {len(report.unchanged)}",
        f"  duplicates: {len(report.duplicates)}",
        f"  skipped:    {len(report.problems)}",
    ]
    if report.warnings:
        lines.append(f"  warnings:   {len(report.warnings)}")
    if report.removed:
        lines.append(f"  replaced:   {len(report.removed)}")
    lines.append(f"  chunks written:  {report.chunks_written}")
    lines.append(f"  chunks embedded: {report.chunks_embedded} in {report.seconds:.1f} s{_unused_note(report)}")
    if report.sentences_embedded:
        lines.append(f"  sentences embedded: {report.sentences_embedded}")
    for copy_id, original in report.duplicates:
        lines.append(f"  duplicate: {copy_id} copies {original}")
    for problem in report.problems:
        lines.append(f"  skipped: {problem}")
    for warning in report.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)


def _unused_note(report: IngestReport) -> str:
    """Why more chunks were embedded than written: texts embedded before dedup found a wire copy."""
    unused = report.chunks_embedded_unused
    if not unused:
        return ""
    if unused == 1:
        return " (1 from a wire copy, which is recorded but not indexed)"
    return f" ({unused} from wire copies, which are recorded but not indexed)"


def _report_dict(report: IngestReport, assistant: Assistant) -> dict:
    return {
        "index": assistant.location,
        "added": list(report.added),
        "updated": list(report.updated),
        "unchanged": list(report.unchanged),
        "duplicates": [{"id": a, "copy_of": b} for a, b in report.duplicates],
        "removed": list(report.removed),
        "skipped": [{"source": p.source, "where": p.where, "reason": p.reason} for p in report.problems],
        "warnings": [{"source": w.source, "where": w.where, "reason": w.reason} for w in report.warnings],
        "chunks_written": report.chunks_written,
        "chunks_embedded": report.chunks_embedded,
        "chunks_embedded_unused": report.chunks_embedded_unused,
        "sentences_embedded": report.sentences_embedded,
        "seconds": round(report.seconds, 3),
    }


# ----------------------------------------------------------------------------- browse


@cli.command(name="list")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, index: str | None, as_json: bool) -> None:
    """List the articles in an index.

    \b
    Example:
      newsdesk list --index wagner --json
    """
    rows = _assistant(ctx, index).list_articles()
    if as_json:
        _echo_json([asdict(r) for r in rows])
        return
    if not rows:
        click.echo("The index holds no articles yet. Add some with: newsdesk ingest PATH")
        return
    outlets = [r.outlet or "unknown outlet" for r in rows]
    outlet_width = min(max(map(len, outlets)), _MAX_OUTLET_COLUMN)
    line_width = _terminal_width()
    for r, outlet in zip(rows, outlets):
        copy = f"  (copy of {r.duplicate_of})" if r.duplicate_of else ""
        left = f"{r.id}  {iso_day(r.published_at) or 'no date':10}  {_fit(outlet, outlet_width):{outlet_width}}  "
        title = r.title
        if line_width:  # on a terminal the title gives way; the copy note (an id) is never cut
            title = _fit(title, max(line_width - len(left) - len(copy), _MIN_TITLE_ROOM))
        click.echo(f"{left}{title}{copy}")


_MAX_OUTLET_COLUMN = 32  # "Ostra Valley Courier (fictional)"; a longer name is cut at a word, marked …
_MIN_TITLE_ROOM = 20


def _terminal_width() -> int | None:
    """The columns rows must fit in: $COLUMNS, else the terminal's; None when the output goes to a
    pipe or file (whole lines, for grep and scripts)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _fit(text: str, width: int) -> str:
    """`text` as it is when it fits in `width` columns, else cut (at a word when that keeps at least
    half of it) and marked with "…"."""
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    at_word = cut.rsplit(" ", 1)[0]
    kept = at_word if " " in cut and len(at_word) >= width // 2 else cut
    return kept.rstrip() + "…"


@cli.command()
@click.argument("article_id")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, article_id: str, index: str | None, as_json: bool) -> None:
    """Show one article: metadata, the stored (cleaned) text and what the cleaner removed.

    ARTICLE_ID may be the first characters of the id, or the source's own id (the `id` of a
    JSON/JSONL/CSV record or front matter, a feed entry's guid).

    \b
    Example:
      newsdesk show 3f2a9c --index wagner
    """
    assistant = _assistant(ctx, index)
    stored = assistant.show(article_id)
    a = stored.article
    if as_json:
        data = asdict(a)
        data["identity"] = stored.identity
        data["copies"] = [asdict(c) for c in stored.copies]
        _echo_json(data)
        return
    click.echo(f"id:        {a.id}")
    click.echo(f"title:     {a.title}")
    click.echo(f"outlet:    {a.outlet or '-'}")
    click.echo(f"author:    {a.author or '-'}")
    click.echo(f"published: {readable_date(a.published_at) or '-'}")
    click.echo(f"url:       {a.url or '-'}")
    click.echo(f"source:    {a.source}{' (' + a.where + ')' if a.where else ''}")
    if a.duplicate_of:
        click.echo(f"copy of:   {a.duplicate_of} (not indexed as separate evidence)")
    for copy in stored.copies:
        click.echo(f"copied by: {copy.id} {copy.outlet or ''}")
    extra = {k: v for k, v in a.metadata.items() if k != "format"}
    if extra:
        click.echo("metadata:  " + ", ".join(f"{k}={v}" for k, v in extra.items()))
    click.echo("\n" + a.text + "\n")
    if a.removed:
        click.echo(f"Removed by the cleaner ({len(a.removed)}):")
        for line in a.removed:
            click.echo(f"  - {line}")
    else:
        click.echo("Removed by the cleaner: nothing")


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx: click.Context, index: str | None, as_json: bool) -> None:
    """Counts, outlets, date span, model and size of an index.

    \b
    Example:
      newsdesk stats --index wagner
    """
    s = _assistant(ctx, index).stats()
    if as_json:
        _echo_json(s.as_dict())
        return
    click.echo(f"Index:       {s.path}")
    click.echo(f"Articles:    {s.articles} (+ {count_of(s.duplicates, 'recorded copy', 'recorded copies')})")
    click.echo(f"Chunks:      {s.chunks}   Sentences: {s.sentences}   Statements: {s.statements}")
    click.echo(f"Dates:       {(s.first_date or '-')[:10]} .. {(s.last_date or '-')[:10]}")
    click.echo("Outlets:     " + (", ".join(f"{o} ({n})" for o, n in s.outlets) or "-"))
    click.echo(f"Model:       {s.embedding_model} ({s.dimension} dims), schema {s.schema_version}")
    click.echo(f"On disk:     {s.disk_bytes / 1e6:.1f} MB   Updated: {s.updated_at}")


@cli.command()
@click.argument("article_id")
@index_option
@click.pass_context
def remove(ctx: click.Context, article_id: str, index: str | None) -> None:
    """Remove an article (and everything derived from it) from an index.

    If other outlets' wire copies of it were recorded, the oldest copy is indexed in its place.
    ARTICLE_ID may be the first characters of the id, or the source's own id.

    \b
    Example:
      newsdesk remove 3f2a9c --index wagner
    """
    assistant = _assistant(ctx, index)
    report = assistant.remove(article_id)
    click.echo(f"Removed {', '.join(report.removed)}.")
    if report.updated:
        click.echo(f"Indexed its copy {', '.join(report.updated)} in its place.")


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_ARTICLE_ID...")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON grouped by file/article.")
@click.pass_context
def statements(ctx: click.Context, inputs: Sequence[str], index: str | None, as_json: bool) -> None:
    """Who said what: the attributed statements of indexed articles or of files.

    Files are read and cleaned as ingest would, without indexing them. An article is named by its
    id, the first characters of it, or the source's own id.

    \b
    Example:
      newsdesk statements data/sample/foxnews-wagner.md --json
    """
    assistant = _assistant(ctx, index)
    values, problems = _statement_inputs(assistant, inputs)
    originals = _originals_of_copies(assistant, values)
    values = _with_originals_after_copies(values, originals)
    results, read_problems = assistant.statements_for_inputs(values) if values else ([], [])
    problems += read_problems
    if as_json:
        _echo_json({
            "results": [
                {
                    "source": r.source,
                    "article_id": r.article_id,
                    "title": r.title,
                    # A wire copy's statements are recorded on the article it copies.
                    "copy_of": _copied_id(r, originals),
                    # The cleaned text every span refers to: `text[start:end]` is what was found.
                    "text": r.text,
                    "statements": [_statement_dict(s, r) for s in r.statements],
                }
                for r in results
            ],
            "skipped": [{"source": p.source, "where": p.where, "reason": p.reason} for p in problems],
        })
    else:
        for r in results:
            copied = _copied_id(r, originals)
            if copied and not r.statements:
                original = originals[r.source]
                click.echo(f"== {r.source}  (a wire copy of {copied}, {original.outlet or 'unknown outlet'}: "
                           f"its statements are recorded on that article, listed under {copied})")
                continue
            click.echo(f"== {r.source}  ({count_of(len(r.statements), 'statement')})")
            for s in r.statements:
                click.echo(f"  [{s.stance}] {s.speaker} ({s.cue}): {s.content}")
        for p in problems:
            click.echo(f"skipped: {p}", err=True)
    if problems:
        ctx.exit(EXIT_SKIPPED)


def _statement_inputs(assistant: Assistant, inputs: Sequence[str]) -> tuple[list[str], list[Problem]]:
    """Files and URLs as given, article ids resolved; a value that is neither a file nor an
    indexed article's id is a Problem that says both."""
    values: list[str] = []
    problems: list[Problem] = []
    for value in inputs:
        if Path(value).exists() or ingest_stage.is_url(value):
            values.append(value)
            continue
        try:
            values.append(assistant.resolve_article_id(value))
        except IndexNotFound:
            problems.append(Problem(value, f"no such file or folder, and no index at {assistant.location} "
                                           "to look it up as an article id"))
        except ArticleNotFound as exc:
            problems.append(Problem(value, f"no such file or folder, and {_lower_first(str(exc))}"))
    return values, problems


def _originals_of_copies(assistant: Assistant, values: Sequence[str]) -> dict[str, Article]:
    """Indexed wire copies among `values` (article ids) -> the article each copies."""
    originals: dict[str, Article] = {}
    for value in values:
        if Path(value).exists() or ingest_stage.is_url(value):
            continue  # a file is read afresh: its statements are its own
        copied = assistant.show(value).article.duplicate_of
        if copied:
            originals[value] = assistant.show(copied).article
    return originals


def _with_originals_after_copies(values: Sequence[str], originals: dict[str, Article]) -> list[str]:
    """Each copy followed by the article it copies (once, unless that article was asked for)."""
    result: list[str] = []
    for value in values:
        result.append(value)
        original = originals.get(value)
        if original and original.id not in values and original.id not in result:
            result.append(original.id)
    return result


def _copied_id(result, originals: dict[str, Article]) -> str | None:
    """The id of the article an indexed wire copy copies (None for others and for files)."""
    original = originals.get(result.source)
    return original.id if original and result.source == result.article_id else None


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def _statement_dict(s, result) -> dict:
    return {
        "article_id": s.article_id,
        "path": result.source,
        "speaker": s.speaker,
        "speaker_mention": s.speaker_mention,
        "cue": s.cue,
        "content": s.content,
        "stance": s.stance,
        "quote_type": s.quote_type,
        "target": s.target,
        "speaker_span": list(s.speaker_span),
        "cue_span": list(s.cue_span),
        "content_span": list(s.content_span),
    }


# ----------------------------------------------------------------------------- ask


@cli.command()
@click.argument("question")
@index_option
@click.option("--mode", type=click.Choice(MODES), default="ask", show_default=True,
              help="ask, who (who said what), compare (outlets side by side), summarize.")
@click.option("--outlet", "outlets", multiple=True, metavar="NAME",
              help="Only this outlet (repeatable); case and a qualifier such as '(fictional)' may be left out.")
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only articles published on or before DATE (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as stable JSON.")
@click.pass_context
def ask(ctx, question, index, mode, outlets, since, until, as_json) -> None:
    """Ask a question; every sentence of the answer cites its source.

    \b
    Example:
      newsdesk ask "Who denied attacking the Wagner Group?"
      newsdesk ask "How do the outlets' accounts differ?" --mode compare --json
    """
    from .normalize import parse_date

    first = _date_option("--since", since, parse_date)
    last = _date_option("--until", until, parse_date)
    if first and last and first > last:
        raise NewsdeskError(f"The date range is empty: --since {_as_read(since, first)} is after "
                            f"--until {_as_read(until, last)}. Swap the two dates or drop one.")
    filters = Filters(outlets=tuple(outlets), since=first, until=last)
    answer = _assistant(ctx, index).ask(question, mode=mode, filters=filters)
    if as_json:
        _echo_json(answer_dict(answer))
    else:
        click.echo(format_answer(answer))


def _date_option(name: str, value: str | None, parse) -> str | None:
    if not value:
        return None
    parsed = parse(value)
    if not parsed:
        raise NewsdeskError(f"{name} {value!r} is not a date; use YYYY-MM-DD.")
    return parsed[:10]


def _as_read(typed: str, day: str) -> str:
    """A date option as typed, with the day it was read as when that is written differently."""
    return typed if typed.strip() == day else f"{typed} ({day})"


def format_answer(answer: Answer) -> str:
    lines = [answer.text.strip()]
    if answer.notice:
        lines.insert(0, f"Note: {answer.notice}")
    if answer.table is not None and answer.mode != "ask":
        lines.append("")
        lines.append(" | ".join(answer.table.columns))
        for row in answer.table.rows:
            lines.append(" | ".join(cell.replace("\n", " ") for cell in row))
        for note in answer.table.notes:
            if f"- {note}" not in answer.text:  # the text above already lists it
                lines.append(f"* {note}")
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            date = (c.article.published_at or "")[:10]
            where = ", ".join(x for x in (c.article.outlet, date) if x)
            lines.append(f"[{c.number}] {c.article.title} ({where}) chars {c.start}-{c.end}")
            if c.article.url:
                lines.append(f"     {c.article.url}")
    elif not answer.answerable and answer.passages:
        lines.append("\nClosest passages:")
        for p in answer.passages[:3]:
            # One line per passage, cut at a word: the passage itself is in --json and `show`.
            preview = textwrap.shorten(" ".join(p.chunk.text.split()), width=200, placeholder=" …")
            lines.append(f"- {p.article.title} ({p.article.outlet or 'unknown outlet'}): {preview}")
    lines.append(f"\n({answer.engine})")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- eval


@cli.command()
@index_option
@click.option("--to", "vectors_uri", required=True, metavar="URI",
              help="Milvus: milvus://host:19530 (server or cluster) or a milvus-lite file such as ./chunks.db.")
@click.option("--records", "records_url", required=True, metavar="URL",
              help="PostgreSQL: postgresql://user:password@host:5432/database (an empty database).")
@click.option("--token", default="", help="Milvus token (user:password or API key), if the server needs one.")
@click.option("--collection", default=None, help="Milvus collection name (default: newsdesk_chunks).")
@click.pass_context
def migrate(ctx: click.Context, index: str | None, vectors_uri: str, records_url: str, token: str,
            collection: str | None) -> None:
    """Copy an embedded index into PostgreSQL + Milvus (the scale-out setup), keeping every id.

    \b
    Example:
      newsdesk migrate --index default --to milvus://localhost:19530 \\
          --records postgresql://newsdesk:secret@localhost:5432/newsdesk
    """
    from .index import ScaleOut
    from .migrate import migrate as migrate_index

    settings: Settings = ctx.obj
    source = settings.index_path(index)
    target = ScaleOut(records_url, vectors_uri, token, collection or settings.vectors_collection)
    report = migrate_index(source, target)
    click.echo(f"Copied {source} to {report.target} in {report.seconds:.1f} s:")
    for table, count in report.rows.items():
        click.echo(f"  {table:<12} {count}")
    click.echo(f"  vectors in Milvus: {report.vectors}")
    click.echo("Use it with: NEWSDESK_RECORDS_URL=<the --records URL> NEWSDESK_VECTORS_URI=" + vectors_uri)


@cli.group(name="eval")
def eval_() -> None:
    """Measure quality: retrieval and answers on MultiHop-RAG, statements on annotations.

    \b
    Example:
      newsdesk eval statements data/eval/statements.jsonl
      newsdesk eval multihop --limit 200
    """


@eval_.command(name="statements")
@click.argument("gold", type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--errors", "show_errors", is_flag=True, help="List the statements that did not match.")
def eval_statements(gold: str, as_json: bool, show_errors: bool) -> None:
    """Score extracted statements against annotated JSONL (format: assistant/statements_eval.py).

    \b
    Example:
      newsdesk eval statements data/eval/statements.jsonl --errors
    """
    from .statements_eval import format_report, score

    result = score(gold)
    if as_json:
        _echo_json(result)
    else:
        click.echo(format_report(result, show_errors=show_errors))


def _default_multihop_dir() -> str | None:
    """../shared/data/multihop-rag beside the checkout, where the team keeps the benchmark."""
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "multihop-rag"
    return str(candidate) if candidate.is_dir() else None


@eval_.command(name="multihop")
@click.option("--data", "data_dir", metavar="DIR", default=None,
              help="MultiHop-RAG folder (articles.jsonl, queries.jsonl); default ../shared/data/multihop-rag.")
@click.option("--limit", type=int, default=None, metavar="N", help="Only N queries (a quick run).")
@click.option("--no-baselines", is_flag=True, help="Skip the llama-index baselines.")
@click.option("--no-answers", is_flag=True, help="Retrieval figures only.")
@click.option("--scale-out", "scale_out_records", metavar="POSTGRES_URL", default=None,
              help="Also migrate the index into this (empty) PostgreSQL database + milvus-lite and retrieve there.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def eval_multihop(ctx, data_dir, limit, no_baselines, no_answers, scale_out_records, as_json) -> None:
    """Retrieval and answer quality on MultiHop-RAG, with llama-index baselines in the same run.

    Builds temporary indexes with the configured model through the product's own ingest.

    \b
    Example:
      newsdesk eval multihop --limit 300
    """
    from .evaluate import format_report, retrieval_report
    from .eval_answers import answer_report, format_answer_report
    from .facade import embedder_for

    data_dir = data_dir or _default_multihop_dir()
    if not data_dir:
        raise NewsdeskError("No MultiHop-RAG data found at ../shared/data/multihop-rag; pass --data DIR.")
    settings: Settings = ctx.obj
    embedder = embedder_for(settings)
    say = (lambda message: click.echo(f"... {message}", err=True))
    result = {"retrieval": retrieval_report(data_dir, embedder, settings, limit=limit,
                                            baselines=not no_baselines, progress=say,
                                            scale_out_records=scale_out_records)}
    if not no_answers:
        result["answers"] = answer_report(data_dir, embedder, settings, limit=limit, progress=say)
    if as_json:
        _echo_json(result)
        return
    click.echo(format_report(result["retrieval"]))
    if "answers" in result:
        click.echo("")
        click.echo(format_answer_report(result["answers"]))


# ----------------------------------------------------------------------------- doctor


@cli.command()
@index_option
@click.option("--repair", "do_repair", is_flag=True, help="Rebuild what can be rebuilt from the stored articles.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def doctor(ctx: click.Context, index: str | None, do_repair: bool, as_json: bool) -> None:
    """Check an index for damage; with --repair, rebuild what can be rebuilt.

    Exit code 0: healthy, repaired, or only warnings/notes remain; 1: errors remain.

    \b
    Example:
      newsdesk doctor --index wagner --repair
    """
    from . import doctor as doctor_stage

    if ctx.obj.scale_out:  # PostgreSQL + Milvus: check the collection against the records
        opened = _assistant(ctx, index).index
        path = opened.location
        diagnose, fix = (lambda: doctor_stage.diagnose_scale_out(opened)), (lambda: doctor_stage.repair_scale_out(opened))
    else:
        path = ctx.obj.index_path(index)
        diagnose, fix = (lambda: doctor_stage.diagnose(path)), (lambda: doctor_stage.repair(path))
    findings = diagnose()
    actions = fix() if do_repair and findings else []
    remaining = diagnose() if do_repair and findings else findings
    if as_json:
        _echo_json({"index": str(path), "findings": [f.as_dict() for f in findings], "repairs": actions,
                    "remaining": [f.as_dict() for f in remaining]})
    else:
        if not findings:
            click.echo(f"{path}: healthy.")
        for finding in findings:
            click.echo(str(finding))
        for action in actions:
            click.echo(f"repaired: {action}")
        if do_repair and findings:
            click.echo("Healthy now." if not remaining else f"{len(remaining)} problem(s) remain.")
    # Warnings and notes (a kept damaged copy, articles waiting for re-ingest) do not fail scripts.
    if any(f.severity == "error" for f in remaining):
        ctx.exit(EXIT_ERROR)


# ----------------------------------------------------------------------------- serve


@cli.command()
@index_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@click.pass_context
def serve(ctx: click.Context, index: str | None, host: str | None, port: int | None) -> None:
    """Start the chat app in the browser (builds the sample index on first start).

    Listening beyond 127.0.0.1 requires credentials in NEWSDESK_AUTH ("user:password").

    \b
    Example:
      newsdesk serve --index wagner --port 7861
    """
    from .ui import serve as serve_app

    serve_app(ctx.obj, index=index, host=host, port=port)


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=argv, prog_name="newsdesk")


if __name__ == "__main__":
    main()
