"""Bad input never takes Newsdesk down: fuzzing the readers and the text stages.

Every reader gets malformed HTML, JSON, CSV, feeds and front matter, huge lines, deep markup,
zero-width and control characters, mixed encodings and binary junk (written to real files and
read with `read.read_path`); the cleaner, segmenter and statement extractor get junk text. Nothing
may raise; a bad file or record becomes a Problem naming the file; spans stay exact. The number of
inputs tried is printed at the end of the module (docs/security.md quotes it).

Inputs that still break a module are pinned as strict xfail tests at the bottom (reported bugs):
they start failing, on purpose, once the bug is fixed, so the marker gets removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from assistant import attribute, clean, ingest, read, segment
from assistant.embed import HashingEmbedder
from assistant.facade import Assistant
from assistant.records import ReadResult, RawArticle
from assistant.settings import load_settings

SETTINGS = load_settings(environ={})
# NEWSDESK_FUZZ_EXAMPLES=2000 runs a long, randomised campaign on purpose; the default run is fixed and quick.
EXAMPLES = int(os.environ.get("NEWSDESK_FUZZ_EXAMPLES", "100"))
FUZZ = hsettings(max_examples=EXAMPLES, deadline=None, database=None, derandomize="NEWSDESK_FUZZ_EXAMPLES" not in os.environ,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TRIED = {"files": 0, "texts": 0, "slowest_s": 0.0, "slowest": "", "known_bug_hits": 0}

# Reported bugs in read.py (see the strict xfail tests at the bottom). The fuzzers count inputs that
# hit them instead of failing on them again; remove an entry when its xfail test starts passing.
KNOWN_BUGS: tuple[tuple[type[BaseException], str], ...] = ()  # all reported read.py bugs are fixed


def is_known_bug(exc: BaseException) -> bool:
    return any(isinstance(exc, kind) and text in str(exc) for kind, text in KNOWN_BUGS)


# ----------------------------------------------------------------------------- text material

ODD_CHARACTERS = (
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space/joiners, word joiner, BOM
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi controls
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\r"  # C0/C1 controls, line/paragraph separators
    "\u00ad\u0301\u0308\u20dd\ufe0f\U0001f600\U0001f1fa\U0001f1e6"  # soft hyphen, combining marks, emoji
    "\u00a0\u2009\u3000\t"  # unusual spaces
    "“”‘’«»\"'()[]….?!;:,-—"  # quotes and sentence punctuation
)
NEWS_WORDS = (
    "The ministry denied said claimed accused promised warned Mr. Dr. U.S. Inc. Jan. he she they "
    "it “We did not,” said Prigozhin Wagner Group Reuters according to officials police 3.5 "
    "e.g. p.m. Gen. Sergei Shoigu Defense Ministry Kyiv Moscow vowed revenge on that of to"
).split()

odd_text = st.text(alphabet=st.sampled_from(ODD_CHARACTERS) | st.characters(), max_size=300)
news_text = st.lists(
    st.sampled_from(NEWS_WORDS) | st.sampled_from(list(ODD_CHARACTERS)) | st.just("\n") | st.just("\n\n")
    | st.text(max_size=8),
    max_size=120,
).map(" ".join)
any_text = st.one_of(news_text, odd_text, st.text(max_size=400))

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1", "shift_jis", "koi8-r")


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


mixed_bytes = st.lists(st.tuples(any_text, st.sampled_from(ENCODINGS)), max_size=4).map(
    lambda parts: b"".join(encode(t, e) for t, e in parts))
junk_bytes = st.binary(max_size=600)


@st.composite
def mutated(draw, base: st.SearchStrategy[bytes]) -> bytes:
    """A well-formed file, then cut, spliced with junk or given a huge line."""
    data = draw(base)
    how = draw(st.sampled_from(["keep", "truncate", "splice", "huge-line", "repeat"]))
    if how == "truncate" and data:
        return data[: draw(st.integers(0, len(data)))]
    if how == "splice":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(junk_bytes | mixed_bytes) + data[at:]
    if how == "huge-line":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from([b"x", b"A. ", "\u201c".encode(), b"<b>", b"\xe2\x80\x8b"])) * 20_000 + data[at:]
    if how == "repeat":
        return data * draw(st.integers(2, 20))
    return data


# ----------------------------------------------------------------------------- formats

FIELD_NAMES = ["title", "headline", "body", "text", "content", "date", "published_at", "url", "link", "id",
               "outlet", "source", "author", "byline", "articles", "items", "junk", "", "Body ", "TEXT"]

json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | any_text
json_value = st.recursive(
    json_scalar,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=5),
                                                                   children, max_size=5),
    max_leaves=25,
)
json_record = st.fixed_dictionaries({"body": any_text}, optional={k: json_value for k in ("title", "date", "url", "id", "outlet")})


def dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", errors="replace")


# "\ud800" escapes decode to lone surrogates, which no text encoding (nor SQLite) accepts.
surrogate_text = st.text(alphabet=st.characters(categories=["Cs", "L", "Zs", "Po"]), max_size=40)
surrogate_json = st.fixed_dictionaries({"title": surrogate_text, "body": surrogate_text}).map(
    lambda record: json.dumps([record, {"title": "Fine", "body": "A fine body."}]).encode())


json_files = mutated(st.one_of(json_value.map(dumps), json_record.map(dumps), surrogate_json,
                               st.lists(json_record | json_value, max_size=6).map(dumps),
                               st.dictionaries(st.sampled_from(["articles", "items", "data"]),
                                               st.lists(json_record | json_value, max_size=4), max_size=2).map(dumps)))
jsonl_files = mutated(st.lists(json_record.map(dumps) | json_value.map(dumps) | junk_bytes, max_size=8)
                      .map(lambda lines: b"\n".join(lines)))


@st.composite
def csv_files(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    columns = draw(st.lists(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), min_size=1, max_size=6))
    def cell() -> str:
        value = draw(any_text | st.sampled_from(['"', '""', '"unterminated', "a,b", "x\ny"]))
        return f'"{value}"' if draw(st.booleans()) else value
    rows = [delimiter.join(columns)] + [delimiter.join(cell() for _ in range(draw(st.integers(0, len(columns) + 2))))
                                        for _ in range(draw(st.integers(0, 6)))]
    return draw(mutated(st.just("\n".join(rows).encode(draw(st.sampled_from(["utf-8", "cp1252", "utf-16"])), errors="replace"))))


TAGS = ["p", "div", "span", "b", "i", "a", "script", "style", "table", "tr", "td", "br", "h1", "article", "main",
        "header", "footer", "nav", "noscript", "template", "svg", "math", "iframe", "title", "meta", "x-junk"]


def markup(depth: int) -> st.SearchStrategy[str]:
    text = any_text.map(lambda t: t.replace("<", "&lt;")) | st.sampled_from(
        ["&amp;", "&#0;", "&#xD800;", "&bogus;", "&#99999999;", "<!--", "-->", "<![CDATA[", "]]>", "</", "<", ">"])
    if depth == 0:
        return text
    child = markup(depth - 1)
    element = st.tuples(st.sampled_from(TAGS), any_text, st.lists(child, max_size=3), st.booleans()).map(
        lambda t: f'<{t[0]} class="{t[1]}">' + "".join(t[2]) + (f"</{t[0]}>" if t[3] else ""))
    return text | element


@st.composite
def html_files(draw) -> bytes:
    body = draw(st.lists(markup(3), max_size=6))
    nesting = draw(st.sampled_from([0, 0, 50, 300, 3000]))
    tag = draw(st.sampled_from(["div", "b", "span", "blockquote"]))
    page = (f"<html><head><title>{draw(any_text)}</title><meta charset='{draw(st.sampled_from(['utf-8', 'latin-1', 'bogus', '']))}'>"
            f"</head><body>{f'<{tag}>' * nesting}{''.join(body)}{f'</{tag}>' * draw(st.integers(0, nesting))}</body></html>")
    return draw(mutated(st.just(encode(page, draw(st.sampled_from(ENCODINGS))))))


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def feed_files(draw) -> bytes:
    atom = draw(st.booleans())
    entries = []
    for _ in range(draw(st.integers(0, 5))):
        title = draw(any_text)
        content = draw(any_text | markup(2))
        raw = draw(st.booleans())  # unescaped markup or CDATA: often broken XML
        content = f"<![CDATA[{content}]]>" if raw and draw(st.booleans()) else (content if raw else escape_xml(content))
        if atom:
            entries.append(f"<entry><title>{escape_xml(title)}</title><id>{draw(st.integers())}</id>"
                           f"<content type='html'>{content}</content></entry>")
        else:
            entries.append(f"<item><title>{escape_xml(title)}</title><link>{escape_xml(draw(any_text))}</link>"
                           f"<description>{content}</description><pubDate>{escape_xml(draw(any_text))}</pubDate></item>")
    if atom:
        doc = f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>T</title>{''.join(entries)}</feed>"
    else:
        doc = f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{''.join(entries)}</channel></rss>"
    return draw(mutated(st.just(doc.encode("utf-8", errors="replace"))))


YAML_LINES = ["title: x", "date: 2024-13-45", "date: 2024-03-15", "tags: [a, b", "outlet: {name: Reuters}",
              "a: &anchor [1, 2]", "b: *anchor", "c: *missing", "!!python/object:os.system x", "author:\n  - A\n  - B",
              "\ttabbed: 1", "key", ": value", "url: http://x/?a=1#b", "id: 00012", "published_at: null", "- list",
              "title: |\n  multi\n  line", "x: !!binary aGVsbG8=", "big: 1e999"]


@st.composite
def markdown_files(draw) -> bytes:
    front = draw(st.lists(st.sampled_from(YAML_LINES) | any_text, max_size=6))
    closing = draw(st.sampled_from(["---", "...", ""]))
    body = draw(st.lists(any_text | st.sampled_from(["# Heading", "## Sub", "> quote", "* item", "```", "[link](http://x)",
                                                     "![img](x.png)", "<div>raw html</div>", "---"]), max_size=8))
    text = ("---\n" + "\n".join(front) + f"\n{closing}\n" if draw(st.booleans()) else "") + "\n\n".join(body)
    return draw(mutated(st.just(encode(text, draw(st.sampled_from(ENCODINGS))))))


text_files = mutated(any_text.map(lambda t: t.encode("utf-8", errors="replace")) | mixed_bytes)
anything = junk_bytes | mixed_bytes

FILES_BY_SUFFIX = {
    ".json": json_files | anything, ".jsonl": jsonl_files | anything, ".csv": csv_files() | anything,
    ".html": html_files() | anything, ".htm": html_files(), ".xml": feed_files() | anything,
    ".rss": feed_files(), ".atom": feed_files(), ".md": markdown_files() | anything, ".txt": text_files | anything,
}


# ----------------------------------------------------------------------------- checks


def check_read_result(result: ReadResult, path: Path) -> None:
    assert isinstance(result, ReadResult)
    assert result.articles or result.problems, f"{path.name} gave neither an article nor a reason"
    for problem in result.problems:
        assert problem.source == str(path) and problem.reason and isinstance(problem.reason, str)
    for raw in result.articles:
        assert isinstance(raw, RawArticle) and raw.source == str(path) and isinstance(raw.body, str)


def check_sentences(text: str, sentences) -> None:
    previous_end = 0
    for number, sentence in enumerate(sentences):
        assert sentence.index == number
        assert previous_end <= sentence.start < sentence.end <= len(text), (sentence, len(text))
        assert text[sentence.start:sentence.end] == sentence.text
        previous_end = sentence.end


def check_chunks(text: str, sentences, chunks, max_chars: int) -> None:
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    covered = set()
    for number, chunk in enumerate(chunks):
        assert chunk.index == number and chunk.id == f"{chunk.article_id}:{number}"
        assert 0 <= chunk.start < chunk.end <= len(text) and text[chunk.start:chunk.end] == chunk.text
        assert chunk.start in starts and chunk.end in ends  # sentence-aligned
        inside = [s for s in sentences if chunk.start <= s.start and s.end <= chunk.end]
        assert chunk.end - chunk.start <= max_chars or len(inside) == 1
        covered.update(s.index for s in inside)
    assert covered == {s.index for s in sentences}  # no sentence is left out of every chunk


def check_statements(text: str, statements) -> None:
    for statement in statements:
        for span in (statement.speaker_span, statement.cue_span, statement.content_span):
            assert 0 <= span[0] <= span[1] <= len(text), (statement, len(text))
        assert text[slice(*statement.cue_span)] == statement.cue
        assert text[slice(*statement.content_span)] == statement.content
        assert text[slice(*statement.speaker_span)] == statement.speaker_mention


def run_text_stages(text: str, max_chars: int = 300, overlap: int = 1) -> None:
    cleaned = clean.clean_text(text)
    assert isinstance(cleaned.text, str)
    for candidate in (cleaned.text, text):  # the stages must also survive text the cleaner never saw
        sentences = segment.split_sentences("a1", candidate)
        check_sentences(candidate, sentences)
        check_chunks(candidate, sentences, segment.make_chunks("a1", candidate, sentences, max_chars, overlap), max_chars)
        check_statements(candidate, attribute.extract_statements("a1", candidate, sentences))


def timed(label: str, call):
    started = time.perf_counter()
    result = call()
    took = time.perf_counter() - started
    if took > TRIED["slowest_s"]:
        TRIED["slowest_s"], TRIED["slowest"] = took, label
    return result


@pytest.fixture(scope="module", autouse=True)
def report_figures(request):
    yield
    line = (f"[fuzz] inputs tried: {TRIED['files']} files through read_path + prepare, {TRIED['texts']} texts "
            f"through clean/segment/attribute; slowest {TRIED['slowest_s']:.2f} s ({TRIED['slowest']}); "
            f"{TRIED['known_bug_hits']} hit an already-reported bug")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():  # shown in a normal (captured) run too
        print("\n" + line)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ----------------------------------------------------------------------------- readers


@pytest.mark.parametrize("suffix", sorted(FILES_BY_SUFFIX))
def test_every_reader_survives_bad_files(suffix, fuzz_dir):
    @FUZZ
    @given(data=FILES_BY_SUFFIX[suffix])
    def run(data: bytes) -> None:
        path = fuzz_dir / f"input{suffix}"
        path.write_bytes(data)
        TRIED["files"] += 1
        try:
            result = timed(f"read {suffix}", lambda: read.read_path(path, SETTINGS.max_file_bytes))
        except Exception as exc:  # noqa: BLE001 - only already-reported bugs are let through
            if not is_known_bug(exc):
                raise
            TRIED["known_bug_hits"] += 1
            return
        check_read_result(result, path)
        for raw in result.articles:  # everything ingest does with a read article, short of storing it
            try:
                prepared = timed(f"prepare {suffix}", lambda: ingest.prepare(raw, SETTINGS))
            except Exception as exc:  # noqa: BLE001 - ingest turns it into a Problem, but it is still a bug
                if not is_known_bug(exc):
                    raise
                TRIED["known_bug_hits"] += 1
                continue
            if not isinstance(prepared, ingest.Prepared):
                assert prepared.source == str(path)
                continue
            text = prepared.article.text
            check_sentences(text, prepared.sentences)
            check_chunks(text, prepared.sentences, prepared.chunks, SETTINGS.chunk_max_chars)
            check_statements(text, prepared.statements)

    run()


def test_oversized_file_is_a_problem_not_a_read(fuzz_dir):
    path = fuzz_dir / "big.txt"
    path.write_bytes(b"word " * 1000)
    (problem,) = read.read_path(path, 1000).problems
    assert problem.source == str(path) and "over the 1,000-byte limit" in problem.reason


# ----------------------------------------------------------------------------- text stages


@FUZZ
@given(text=any_text, max_chars=st.integers(1, 400), overlap=st.integers(0, 3))
def test_clean_segment_attribute_survive_any_text(text, max_chars, overlap):
    TRIED["texts"] += 1
    timed("text stages", lambda: run_text_stages(text, max_chars, overlap))


@FUZZ
@given(text=news_text, repeat=st.integers(1, 40))
def test_spans_stay_exact_on_newsy_text(text, repeat):
    """News-like word salad reaches the quote and attribution rules far more often than random text."""
    TRIED["texts"] += 1
    body = "\n\n".join([text] * repeat)
    timed("newsy text", lambda: run_text_stages(body, 900, 1))


@pytest.mark.parametrize("text", [
    "x" * 2_000_000,  # one 2 MB line without a space
    "word " * 200_000,
    "\n" * 200_000 + "Text.",
    "“" * 20_000 + " said the minister " + "”" * 20_000,
    ("Mr. " * 5000) + "Smith said it.",
    "\u200b" * 100_000 + "Hidden text said nothing.",
    "<" * 50_000,
], ids=["2MB-line", "1MB-words", "blank-lines", "quote-storm", "title-storm", "zero-width", "angles"])
def test_huge_and_pathological_texts_finish_quickly(text):
    TRIED["texts"] += 1
    # A hang guard, not a speed target: this thread's CPU seconds (not wall time, which a busy machine inflates)
    # with a bound far above a linear pass, so only a quadratic or runaway path trips it.
    started = time.thread_time()
    run_text_stages(text, 900, 1)
    took = time.thread_time() - started
    TRIED["slowest_s"], TRIED["slowest"] = max((TRIED["slowest_s"], TRIED["slowest"]), (took, "pathological text"))
    assert took < 60, f"{took:.1f} CPU s"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b']><rss version="2.0"><channel><title>t</title><item><title>x</title><description>&lol9;</description>'
    b"</item></channel></rss>"
)


@pytest.mark.parametrize("name, data", [
    ("laughs.xml", BILLION_LAUGHS),  # entity expansion must not happen
    ("deep.html", b"<html><body>" + b"<div>" * 100_000 + b"Deep text here." + b"</div>" * 100_000 + b"</body></html>"),
    ("line.json", b'{"title": "t", "body": "' + b"x" * 3_000_000 + b'"}'),
    ("cell.csv", b'title,body\nt,"' + b"word " * 600_000 + b'"\n'),
    ("line.md", b"---\ntitle: t\n---\n" + b"y" * 3_000_000),
    ("many.jsonl", b'{"title": "t", "body": "Short body text."}\n' * 20_000),
], ids=["billion-laughs", "100k-divs", "3MB-json-string", "3MB-csv-cell", "3MB-md-line", "20k-jsonl-records"])
def test_pathological_files_are_read_quickly(name, data, fuzz_dir):
    path = fuzz_dir / name
    path.write_bytes(data)
    TRIED["files"] += 1
    started = time.perf_counter()
    result = read.read_path(path, SETTINGS.max_file_bytes)
    took = time.perf_counter() - started
    check_read_result(result, path)
    assert all(len(raw.body) < 3_500_000 for raw in result.articles)  # nothing expanded
    assert took < 20, f"{took:.1f} s"
    TRIED["slowest_s"], TRIED["slowest"] = max((TRIED["slowest_s"], TRIED["slowest"]), (took, f"read {name}"))


# ----------------------------------------------------------------------------- a whole batch


GOOD = {
    "good-1.md": "---\ntitle: Port reopens\noutlet: Harbor Ledger\ndate: 2024-03-12\n---\n\n"
                 "The harbour authority said the zanzibarquay port reopened on Tuesday.\n\n"
                 "“We are open for business,” said Marta Lindqvist, the authority's chief executive.\n",
    "good-2.txt": "Council approves budget\n\nThe city council approved the quixotrelle budget on Monday. "
                  "The mayor said the vote was overdue.\n",
    "good-3.json": json.dumps([{"title": "Court rules", "body": "The court ruled on the flumberwick appeal. "
                                                                "The minister denied any wrongdoing."},
                               {"title": "no body here"}]),
    "good-4.csv": "title,body,outlet\nGrain exports,Grain exports via the plovdrass corridor resumed.,Wire\n"
                  "broken row with,too,many,fields\n",
}
KEYWORDS = {"good-1.md": "zanzibarquay", "good-2.txt": "quixotrelle", "good-3.json": "flumberwick",
            "good-4.csv": "plovdrass"}
BAD = {
    "bad-binary.txt": b"\x00\x01\x02PNG\x00" * 200,
    "bad-empty.md": b"",
    "bad-yaml.md": b"---\ntitle: [unclosed\n---\nBody text.\n",
    "bad-json.json": b'{"title": "half',
    "bad-json-type.json": b'"just a string"',
    "bad-jsonl.jsonl": b'{"title": "x"}\nnot json\n[1, 2]\n',
    "bad-csv.csv": b"title;headline\nA;B\n",
    "bad-feed.xml": b"<rss><channel><item><title>x</title></item>",
    "bad-html.html": b"<html><body><script>var x = 1;</script></body></html>",
    "bad-encoding.txt": "caf\u00e9 ".encode("utf-16-le") * 3,
    "bad-deep.html": b"<div>" * 5000,
    "bad-zero-width.txt": "\u200b\u200d\ufeff\u2060".encode() * 100,
    "bad-unsupported.pdf": b"%PDF-1.4",
}


def test_a_batch_keeps_its_good_articles_and_names_every_bad_file(tmp_path, settings):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in BAD.items():
        (folder / name).write_bytes(data)
    assistant = Assistant(settings, tmp_path / "idx", embedder=HashingEmbedder())
    report = assistant.ingest([folder])
    TRIED["files"] += len(GOOD) + len(BAD)

    named = {Path(p.source).name for p in report.problems}
    assert set(BAD) <= named, set(BAD) - named  # the .pdf too: a folder lists files of unknown types
    assert {"good-3.json", "good-4.csv"} <= named  # their bad records, by record/row
    assert all(p.reason for p in report.problems)
    assert len(report.added) == 4  # good-1, good-2, good-3 record 1, good-4 row 2
    index = assistant.index
    titles = {row.title for row in index.list_articles()}
    assert titles == {"Port reopens", "Council approves budget", "Court rules", "Grain exports"}
    for name, keyword in KEYWORDS.items():
        hits = index.search_bm25(keyword, 3)
        assert hits, f"{name} is not searchable"
        assert keyword in index.chunks_by_rowid([hits[0][0]])[hits[0][0]].text.lower()


# ----------------------------------------------------------------------------- reported bugs

KNOWN_CRASHES = {
    "deep-array.json": b"[" * 100_000 + b"]" * 100_000,
    "deep-object.jsonl": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "deep-yaml.md": b"---\ntitle: " + b"[" * 10_000 + b"\n---\nBody.\n",
}


def test_control_character_in_html_fallback_is_not_a_crash(fuzz_dir):
    path = fuzz_dir / "form-feed.html"
    path.write_bytes(b"!\x0c")
    check_read_result(read.read_path(path, SETTINGS.max_file_bytes), path)


@pytest.mark.parametrize("reference", ["&#XD800;", "&#1114112;"])
def test_impossible_character_reference_in_a_feed_is_not_a_crash(reference, fuzz_dir):
    path = fuzz_dir / "refs.rss"
    path.write_text(f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><item><title>x</title>"
                    f"<description>{reference}</description></item></channel></rss>", encoding="utf-8")
    check_read_result(read.read_path(path, SETTINGS.max_file_bytes), path)


@pytest.mark.parametrize("date", ["2024-13-45", "2024-02-30"])
def test_impossible_date_in_front_matter_is_a_problem(date, fuzz_dir):
    path = fuzz_dir / "date.md"
    path.write_text(f"---\ntitle: T\ndate: {date}\n---\nThe body text.\n", encoding="utf-8")
    check_read_result(read.read_path(path, SETTINGS.max_file_bytes), path)


@pytest.mark.parametrize("name, data", [("header-only.csv", b"title,body\n"), ("empty-cells.csv", b'body\n""\n'),
                                        ("bom-only.jsonl", b"\xfe\xff")])
def test_a_file_with_nothing_in_it_says_so(name, data, fuzz_dir):
    path = fuzz_dir / name
    path.write_bytes(data)
    check_read_result(read.read_path(path, SETTINGS.max_file_bytes), path)


def test_a_lone_surrogate_in_a_record_is_dropped_or_reported_plainly(fuzz_dir):
    path = fuzz_dir / "surrogate.json"
    path.write_bytes(b'{"title": "T", "body": "The ministry denied it \\ud800 today."}')
    (raw,) = read.read_path(path, SETTINGS.max_file_bytes).articles
    ingest.prepare(raw, SETTINGS)


@pytest.mark.parametrize("name", sorted(KNOWN_CRASHES))
def test_deeply_nested_records_are_a_problem_not_a_crash(name, fuzz_dir):
    path = fuzz_dir / name
    path.write_bytes(KNOWN_CRASHES[name])
    check_read_result(read.read_path(path, SETTINGS.max_file_bytes), path)


def _extract_seconds(words: int) -> float:
    text = clean.clean_text("A. " * words).text
    sentences = segment.split_sentences("a1", text)
    started = time.thread_time()  # this thread's CPU time: other threads and processes do not count
    attribute.extract_statements("a1", text, sentences)
    return time.thread_time() - started


def test_a_long_run_of_capitalised_words_is_not_quadratic():
    # The least disturbed of three runs each: a linear pass gives ~8x, a quadratic one ~64x.
    small = min(_extract_seconds(8_000) for _ in range(3))
    large = min(_extract_seconds(64_000) for _ in range(3))
    assert large < 24 * max(small, 0.005), f"8x the words took {large / max(small, 0.005):.0f}x the time"


YAML_ALIAS_BOMB = b"---\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + b"".join(
    b"%s: &%s [%s]\n" % (k, k, b", ".join([b"*" + p] * 9)) for p, k in zip(b"a b c d e f g h".split(), b"b c d e f g h i".split())
) + b"---\nBody text.\n"


def test_yaml_alias_bomb_in_front_matter_is_refused_quickly(fuzz_dir):
    path = fuzz_dir / "bomb.md"
    path.write_bytes(YAML_ALIAS_BOMB)
    # The child limits its own memory: a preexec_fn would fork this process as it is, and a fork
    # taken while an earlier test's gRPC threads (Milvus client) run can abort the child.
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000)); "
            "from pathlib import Path; from assistant import read; read.read_path(Path(sys.argv[1]), 10**7)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, timeout=10)
    assert done.returncode == 0, done.stderr[-500:]
