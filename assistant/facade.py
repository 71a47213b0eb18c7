"""The one object the CLI and the app talk to. They never touch the index or the models directly."""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from . import ingest as ingest_stage

from .embed import Embedder, HashingEmbedder, make_embedder
from .errors import ArticleNotFound, FilterError, IndexNotFound, NewsdeskError
from .index import ArticleRow, Index, IndexStats, ScaleOut, StoredArticle
from .query import outlets_called
from .records import Answer, Filters, IngestReport, Problem, Statement
from .settings import Settings

log = logging.getLogger(__name__)

MODES = ("ask", "who", "compare", "summarize")
LLM_MODES = ("ask", "summarize")
MAX_OUTLETS_LISTED = 12  # an unknown outlet's message lists this many of the known ones
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


@dataclass(frozen=True)
class FileStatements:
    """Statements found in one file given to `newsdesk statements` (read and cleaned, not indexed)."""

    source: str
    article_id: str
    title: str
    statements: tuple[Statement, ...]
    text: str


def embedder_for(settings: Settings) -> Embedder:
    # "hashing" is the fast offline word-hashing embedder: for tests and quick trials, not quality.
    if settings.model_path.strip().lower() == "hashing":
        return HashingEmbedder()
    return make_embedder(settings)


class Assistant:
    """Newsdesk over one index: ingest, browse, ask."""

    def __init__(self, settings: Settings, index: str | Path | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.index_path = settings.index_path(str(index) if index else None)
        self.embedder = embedder or embedder_for(settings)
        self._index: Index | None = None
        self._engine = None
        self._llm = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the index

    @property
    def index(self) -> Index:
        """The opened index; fails with IndexNotFound when there is none yet."""
        with self._lock:
            if self._index is None:
                self._index = self._open_index(create=False)
            return self._index

    def index_exists(self) -> bool:
        if self.settings.scale_out:
            return Index.scale_out_exists(self._scale_out())
        return Index.exists(self.index_path)

    def _index_for_writing(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = self._open_index(create=True)
            return self._index

    def _open_index(self, create: bool) -> Index:
        """The embedded index folder, or PostgreSQL + Milvus when the settings name them."""
        if self.settings.scale_out:
            dimension = self._dimension() if create else (self.embedder.dimension or None)
            return Index.connect(self._scale_out(), self.embedder.model_id, dimension, create, self.index_path)
        if create:
            return Index.create(self.index_path, self.embedder.model_id, self._dimension())
        return Index.open(self.index_path, self.embedder.model_id, self.embedder.dimension or None)

    def _scale_out(self) -> ScaleOut:
        s = self.settings
        return ScaleOut(s.records_url, s.vectors_uri, s.vectors_token, s.vectors_collection)

    def _dimension(self) -> int:
        if not self.embedder.dimension:
            self.embedder.warm_up()  # only a model without a readable config needs loading here
        return self.embedder.dimension

    @property
    def location(self) -> str:
        """The index as users should see it named: its folder, or its database + collection."""
        return self._scale_out().describe() if self.settings.scale_out else str(self.index_path)

    def warm_up(self) -> None:
        """Load the model now (the app does this at start so the first answer is not slow)."""
        warm = getattr(self.embedder, "warm_up", None)
        if warm:
            warm()

    # ------------------------------------------------------------------ writing

    def ingest(self, inputs: Sequence[str | Path], progress: ingest_stage.Progress | None = None) -> IngestReport:
        try:
            return ingest_stage.ingest(inputs, self._index_for_writing(), self.embedder, self.settings, progress)
        finally:
            # A long-running app keeps only what answering needs (the ONNX ingest session and the
            # memory its batches grew: the app held 1,344 MiB after building the sample, now 558).
            release = getattr(self.embedder, "release_batch_session", None)
            if release:
                release()

    def ensure_sample_index(self) -> IngestReport | None:
        """Build the index from the bundled sample when it does not exist yet (first start)."""
        if self.index_exists():
            return None
        log.info("no index at %s: building it from %s", self.index_path, SAMPLE_DIR)
        return self.ingest([SAMPLE_DIR])

    def remove(self, article_id: str) -> IngestReport:
        return ingest_stage.remove(self.resolve_article_id(article_id), self.index, self.embedder, self.settings)

    # ------------------------------------------------------------------ reading

    def stats(self) -> IndexStats:
        return self.index.stats()

    def list_articles(self) -> list[ArticleRow]:
        return self.index.list_articles()

    def resolve_article_id(self, article_id: str) -> str:
        """An exact id, the source's own id (the `id` of a JSON record, a feed's guid) or a unique
        prefix of an id (ids are long; people type the start), in that order."""
        article_id = article_id.strip()
        if article_id and self.index.has_article(article_id):
            return article_id
        by_source = ingest_stage.article_ids_for_source_id(self.index, article_id) if article_id else []
        if len(by_source) == 1:
            return by_source[0]
        if by_source:
            raise ArticleNotFound(
                f"The source id '{article_id}' belongs to articles of several outlets ({', '.join(by_source)}); "
                "use one of these ids."
            )
        matches = self.index.find_article_ids(article_id) if len(article_id) >= 4 else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ArticleNotFound(
                f"The id prefix '{article_id}' matches several articles ({', '.join(matches[:5])}); "
                "type more of the id."
            )
        raise ArticleNotFound(f"No article with id '{article_id}' in {self.location}. See `newsdesk list`.")

    def show(self, article_id: str) -> StoredArticle:
        stored = self.index.get_article(self.resolve_article_id(article_id))
        assert stored is not None
        return stored

    def statements(self, article_ids: Sequence[str] | None = None, speaker: str | None = None) -> tuple[Statement, ...]:
        return self.index.statements(article_ids, speaker)

    def statements_for_inputs(self, inputs: Sequence[str]) -> tuple[list[FileStatements], list[Problem]]:
        """Statements for indexed article ids and for files (read and cleaned, not indexed), in
        the order the inputs were given."""
        results: list[FileStatements] = []
        problems: list[Problem] = []
        for value in inputs:
            if not Path(value).exists() and not ingest_stage.is_url(value) and self._is_indexed(value):
                article = self.show(value).article
                results.append(FileStatements(article.id, article.id, article.title,
                                              self.index.statements([article.id]), article.text))
                continue
            raws, read_problems = ingest_stage.read_inputs([value], self.settings)
            problems.extend(read_problems)
            for raw in raws:
                item = ingest_stage.prepare(raw, self.settings)
                if isinstance(item, Problem):
                    problems.append(item)
                    continue
                source = f"{raw.source}#{raw.where}" if raw.where else raw.source
                results.append(FileStatements(source, item.article.id, item.article.title,
                                              item.statements, item.article.text))
        return results, problems

    def _is_indexed(self, value: str) -> bool:
        try:
            self.resolve_article_id(value)
            return True
        except (ArticleNotFound, IndexNotFound):
            return False

    # ------------------------------------------------------------------ asking

    def ask(
        self,
        question: str,
        mode: str = "ask",
        filters: Filters = Filters(),
        history: Sequence[tuple[str, str]] = (),
    ) -> Answer:
        """Answer a question from the coverage. `history` is ((user, assistant), ...) of earlier turns."""
        if mode not in MODES:
            raise NewsdeskError(f"Unknown mode '{mode}'. Choose one of: {', '.join(MODES)}.")
        filters = self._outlets_as_indexed(filters)
        extractive = self._answer_engine().ask(question, mode=mode, filters=filters, history=history)
        llm_engine = self._llm_engine()
        # Tables (who said what, compare) stay extractive: each cell must be a verbatim statement.
        if llm_engine is None or mode not in LLM_MODES or not extractive.passages:
            return extractive
        from .llm import with_fallback

        # The LLM writes from the passages the extractive engine considered (same retrieval,
        # filters and follow-up resolution); its [n] markers are verified before anything is shown.
        return with_fallback(llm_engine, lambda: extractive, extractive.question, extractive.passages,
                             mode, history, extractive.filters)

    def _outlets_as_indexed(self, filters: Filters) -> Filters:
        """The filter's outlets as the index names them: people type "harbor ledger" for "Harbor
        Ledger (fictional)". An outlet the index does not hold is an error that lists those it does."""
        if not filters.outlets:
            return filters
        known = [name for name, _ in self.index.outlets()]
        resolved: list[str] = []
        for typed in filters.outlets:
            matches = outlets_called(typed, known)
            if not matches:
                listed = ", ".join(f"'{name}'" for name in known[:MAX_OUTLETS_LISTED])
                more = f" and {len(known) - MAX_OUTLETS_LISTED} more" if len(known) > MAX_OUTLETS_LISTED else ""
                raise FilterError(f"No outlet called '{typed}' in {self.location}. "
                                  f"Its outlets are {listed}{more}." if known else
                                  f"No outlet called '{typed}': no article in {self.location} names its outlet.")
            resolved.extend(matches)
        return dataclasses.replace(filters, outlets=tuple(dict.fromkeys(resolved)))

    def _llm_engine(self):
        """The optional LLM engine (None unless an endpoint or GGUF file is configured)."""
        if not self.settings.llm_enabled:
            return None
        with self._lock:
            if self._llm is None:
                from .llm import make_llm_engine

                self._llm = make_llm_engine(self.settings)
            return self._llm

    def _answer_engine(self):
        from .answer import AnswerEngine  # imported late: the browse commands do not need it

        if self._engine is None:
            self._engine = AnswerEngine(self.index, self.embedder, self.settings)
        return self._engine

    @property
    def engine_name(self) -> str:
        llm_engine = self._llm_engine()
        return llm_engine.name if llm_engine is not None else self._answer_engine().name


__all__ = ["Assistant", "FileStatements", "MODES", "SAMPLE_DIR", "embedder_for"]
