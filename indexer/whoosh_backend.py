"""The pure-Python search backend: Whoosh, with both forms of each word stacked at one position."""

from __future__ import annotations

import warnings
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # whoosh-reloaded still carries Python 2 idioms (invalid escapes, deprecated calls): its
    # warnings are about whoosh itself, and pytest runs with filterwarnings=error.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import analysis, fields, sorting
    from whoosh import index as whoosh_index
    from whoosh import query as wq
    from whoosh.index import LockError

from indexer.analysis import stacked_words
from indexer.entries import UNDATED, DocEntry, date_bounds, entry_of, facet_counts, hit_of
from indexer.highlight import Highlighter
from indexer.query import (
    And,
    DateRange,
    FieldText,
    Keyword,
    Node,
    Not,
    Or,
    QTerm,
    Symbol,
    Text,
    check_sort,
    parse,
    positive_texts,
    proximity_runs,
)
from indexer.types import IndexBusy, IndexedDocument, IndexUnwritable, PageHit, SearchResults
from sohoa.errors import ArchiveError

ENGINE = "whoosh"
SCHEMA_VERSION = 2
"""Bump when fields or their analysis change: older indexes are then rebuilt from the store.
2: ky_so (digital signature status)."""

WRITER_MB = 256
RESCORE_WINDOW = 100
"""Best hits re-ranked by how closely the query's words stand together (see _rescored)."""
PAGE_BREAK = "\f"
"""Separates pages in the document-level text; positions skip one there, as tantivy does
between values, so a phrase does not run from one page onto the next."""


class StackedTokenizer(analysis.Tokenizer):
    """Each word as its exact form and, when different, its folded form at the same position."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[analysis.Token]:
        token = analysis.Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for part in value.split(PAGE_BREAK):
            for w in stacked_words(part):
                # An OCR alternative (analysis.mark_alternates) stands at the same position.
                texts = dict.fromkeys(
                    (w.exact, w.folded, w.alt_exact or w.exact, w.alt_folded or w.folded)
                )
                for text in texts:
                    token.text = text
                    token.boost = 1.0
                    token.stopped = False
                    if positions:
                        token.pos = pos
                    yield token
                pos += 1
            pos += 1


def _schema() -> fields.Schema:
    stacked = StackedTokenizer()
    text = {"analyzer": stacked, "phrase": True}
    return fields.Schema(
        kind=fields.ID(),
        doc_id=fields.ID(stored=True),
        access_level=fields.NUMERIC(int),
        page=fields.STORED(),
        text=fields.TEXT(**text),
        ptext=fields.TEXT(**text),
        page_text=fields.STORED(),
        stored=fields.STORED(),
        version=fields.STORED(),
        f_loai=fields.TEXT(**text),
        f_co_quan=fields.TEXT(**text),
        f_nguoi_ky=fields.TEXT(**text),
        f_ho_so=fields.TEXT(**text),
        so=fields.TEXT(analyzer=analysis.SpaceSeparatedTokenizer(), phrase=True),
        do_mat=fields.KEYWORD(commas=True),
        ky_so=fields.ID(),
        facet_loai=fields.ID(sortable=True),
        facet_co_quan=fields.ID(sortable=True),
        facet_ho_so=fields.ID(sortable=True),
        facet_nam=fields.ID(sortable=True),
        ngay_asc=fields.NUMERIC(int, bits=64, sortable=True),
        ngay_desc=fields.NUMERIC(int, bits=64, sortable=True, signed=True),
    )


class WhooshBackend:
    """A Whoosh index in one folder (one generation of an index directory)."""

    engine = ENGINE

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        try:
            if create:
                path.mkdir(parents=True, exist_ok=True)
                self._index = whoosh_index.create_in(str(path), _schema())
            else:
                self._index = whoosh_index.open_dir(str(path))
        except (OSError, whoosh_index.IndexError) as exc:
            raise ArchiveError(
                vi=f"Không mở được chỉ mục tìm kiếm {path}: {exc}. Chạy `sohoa reindex`.",
                en=f"Cannot open the search index {path}: {exc}. Run `sohoa reindex`.",
            ) from exc

    # -- writing ---------------------------------------------------------------------------

    def _writer(self) -> Any:
        try:
            return self._index.writer(limitmb=WRITER_MB)
        except LockError as exc:
            raise IndexBusy.of(self.path) from exc
        except OSError as exc:
            raise IndexUnwritable.of(self.path, exc) from exc

    def replace(self, docs: Iterable[IndexedDocument]) -> int:
        """Add or replace documents by doc_id, in one commit; returns how many."""
        return self._write(docs, delete_first=True)

    def add_new(self, docs: Iterable[IndexedDocument]) -> int:
        """Add documents to an index known not to hold them (a rebuild); one commit."""
        return self._write(docs, delete_first=False)

    def _write(self, docs: Iterable[IndexedDocument], *, delete_first: bool) -> int:
        writer = self._writer()
        count = 0
        seen: set[int] = set()
        try:
            for doc in docs:
                if delete_first:
                    if doc.doc_id in seen:
                        # Whoosh deletes only committed entries: flush the earlier copy first.
                        writer.commit()
                        writer, seen = self._writer(), set()
                    writer.delete_by_term("doc_id", str(doc.doc_id))
                    seen.add(doc.doc_id)
                for entry in _entries(entry_of(doc)):
                    writer.add_document(**entry)
                count += 1
            writer.commit()
        except OSError as exc:  # a full disk, a folder made read-only
            writer.cancel()
            raise IndexUnwritable.of(self.path, exc) from exc
        except BaseException:
            writer.cancel()
            raise
        return count

    def delete(self, doc_ids: Iterable[int]) -> None:
        writer = self._writer()
        try:
            for doc_id in doc_ids:
                writer.delete_by_term("doc_id", str(doc_id))
            writer.commit()
        except OSError as exc:
            writer.cancel()
            raise IndexUnwritable.of(self.path, exc) from exc
        except BaseException:
            writer.cancel()
            raise

    # -- searching -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        clearance: int = 0,
        limit: int = 10,
        sort: str | None = None,
        facets: bool = True,
        pages_per_hit: int = 3,
        exclude: Collection[int] = (),
    ) -> SearchResults:
        order = check_sort(sort)
        ast = parse(query)
        runs = proximity_runs(ast)
        leaves = positive_texts(ast)
        doc_query = _filtered(_compile(ast, "text"), "doc", clearance, [], exclude)
        groups = sorting.Facets()
        if facets:
            for name in ("loai", "nam", "co_quan", "ho_so"):
                groups.add_field(f"facet_{name}", maptype=sorting.Count)
        sortedby = {"ngay": "ngay_asc", "-ngay": "ngay_desc"}.get(order)
        window = max(limit, RESCORE_WINDOW if runs and sortedby is None else 1)
        with self._index.searcher() as searcher:
            results = searcher.search(
                doc_query,
                limit=window,
                sortedby=sortedby,
                groupedby=groups if facets else None,
            )
            ranked = [
                (float(hit.score or 0.0) if sortedby is None else 0.0, hit) for hit in results
            ]
            if sortedby is None:
                ranked = _rescored(searcher, ranked, _boosts(runs, "text"), "doc")
            hits = []
            highlighter = Highlighter(leaves)
            proximity = Highlighter(
                [Text(run[i : i + 2], "") for run in runs for i in range(len(run) - 1)]
            )
            top = ranked[: max(limit, 0)]
            pages = _pages(
                searcher,
                [int(hit["doc_id"]) for _, hit in top],
                clearance,
                exclude,
                highlighter,
                proximity,
                pages_per_hit,
            )
            for score, hit in top:
                doc_id = int(hit["doc_id"])
                hits.append(hit_of(doc_id, score, hit["stored"], pages.get(doc_id, ())))
            facet_map = (
                {
                    name: facet_counts(
                        (value or None, count)
                        for value, count in results.groups(f"facet_{name}").items()
                    )
                    for name in ("loai", "nam", "co_quan", "ho_so")
                }
                if facets
                else {}
            )
            return SearchResults(
                query=query, total=len(results), hits=tuple(hits), facets=facet_map
            )

    def stamp(self) -> int:
        """The index's last commit (its generation); a searcher opened after this call reads
        at least that one."""
        return int(self._index.latest_generation())

    # -- maintenance -----------------------------------------------------------------------

    def versions(self) -> dict[int, str]:
        """doc_id -> version of every document in the index."""
        with self._index.searcher() as searcher:
            return {int(d["doc_id"]): d["version"] for d in searcher.documents(kind="doc")}

    def close(self) -> None:
        self._index.close()


def _entries(e: DocEntry) -> Iterator[dict[str, Any]]:
    doc: dict[str, Any] = {
        "kind": "doc",
        "doc_id": str(e.doc_id),
        "access_level": e.access_level,
        "text": PAGE_BREAK.join(
            (*(e.marked.get(page, text) for page, text in e.pages), e.texts[-1])
        ),
        "stored": e.stored,
        "version": e.version,
        "ngay_asc": e.ngay if e.ngay is not None else UNDATED,
        "ngay_desc": -e.ngay if e.ngay is not None else UNDATED,
    }
    for name, value in e.fields.items():
        doc[f"f_{name}"] = value
    if e.so_terms:
        doc["so"] = " ".join(e.so_terms)
    if e.do_mat:
        doc["do_mat"] = ",".join(e.do_mat)
    doc["ky_so"] = e.ky_so
    for name, value in e.facets.items():
        doc[f"facet_{name}"] = value
    if e.nam is not None:
        doc["facet_nam"] = str(e.nam)
    yield doc
    for page, text in e.pages:
        yield {
            "kind": "page",
            "doc_id": str(e.doc_id),
            "access_level": e.access_level,
            "page": page,
            "ptext": e.marked.get(page, text),
            "page_text": text,
        }


def _pages(
    searcher: Any,
    doc_ids: list[int],
    clearance: int,
    exclude: Collection[int],
    highlighter: Highlighter,
    proximity: Highlighter,
    limit: int,
) -> dict[int, tuple[PageHit, ...]]:
    """The best `limit` matching pages of each hit, with snippets: one search for all (whoosh
    reads the whole posting lists of the query's words for each search)."""
    if not highlighter.leaves or limit <= 0 or not doc_ids:
        return {}
    any_leaf = wq.Or([_leaf(t, "ptext") for t in highlighter.leaves])
    owners = wq.Or([wq.Term("doc_id", str(doc_id)) for doc_id in doc_ids])
    query = _filtered(wq.And([owners, any_leaf]), "page", clearance, [], exclude)
    # Proximity on pages is counted in Python from the page text: whoosh's phrase matcher
    # scans every candidate page of the index, which made this the slowest part of a search.
    ranked = sorted(
        (
            (float(hit.score or 0.0) + proximity.count(hit["page_text"]), hit)
            for hit in searcher.search(query, limit=None)
        ),
        key=lambda item: -item[0],
    )
    chosen: dict[int, list[PageHit]] = {doc_id: [] for doc_id in doc_ids}
    for _, hit in ranked:
        picked = chosen[int(hit["doc_id"])]
        if len(picked) < limit:
            picked.append(PageHit(int(hit["page"]), highlighter.snippet(hit["page_text"])))
    return {doc_id: tuple(picked) for doc_id, picked in chosen.items()}


def _rescored(searcher: Any, hits: list[tuple[float, Any]], boosts: list[Any], kind: str) -> Any:
    """Hits re-ranked by adding the scores of the proximity phrases they contain, checked on
    these hits only (as the tantivy backend does; see its _rescored)."""
    if not boosts or not hits:
        return hits
    key = "page" if kind == "page" else "doc_id"
    owners = wq.Or([wq.Term("doc_id", d) for d in sorted({hit["doc_id"] for _, hit in hits})])
    bonus: dict[tuple[str, object], float] = {}
    for boost in boosts:
        restricted = wq.And([owners, wq.Term("kind", kind), boost])
        for hit in searcher.search(restricted, limit=None):
            ident = (hit["doc_id"], hit[key])
            bonus[ident] = bonus.get(ident, 0.0) + float(hit.score or 0.0)
    rescored = [(s + bonus.get((hit["doc_id"], hit[key]), 0.0), hit) for s, hit in hits]
    rescored.sort(key=lambda item: -item[0])
    return rescored


def _filtered(
    query: Any, kind: str, clearance: int, boosts: list[Any], exclude: Collection[int] = ()
) -> Any:
    """The query restricted to one kind of entry and to what the clearance may see, less the
    `exclude`d documents (those the store now hides while the index has not caught up)."""
    required = wq.And(
        [
            query,
            wq.ConstantScoreQuery(wq.Term("kind", kind), 0.0),
            wq.ConstantScoreQuery(wq.NumericRange("access_level", 0, clearance), 0.0),
        ]
    )
    if exclude:
        required = wq.AndNot(required, wq.Or([wq.Term("doc_id", str(d)) for d in exclude]))
    return wq.AndMaybe(required, wq.Or(boosts)) if boosts else required


def _boosts(runs: list[tuple[QTerm, ...]], field: str) -> list[Any]:
    """Optional phrases over words typed side by side: each adjacent pair, and the run."""
    out: list[Any] = []
    for run in runs:
        out.extend(_phrase(field, run[i : i + 2]) for i in range(len(run) - 1))
        if len(run) > 2:
            out.append(_phrase(field, run))
    return out


def _compile(node: Node, field: str) -> Any:
    if isinstance(node, Text):
        return _leaf(node, field)
    if isinstance(node, FieldText):
        return _phrase(f"f_{node.field}", node.terms)
    if isinstance(node, Symbol):
        if len(node.terms) == 1:
            return wq.Term("so", node.terms[0])
        return wq.Phrase("so", list(node.terms))
    if isinstance(node, Keyword):
        return wq.Term(node.field, node.value)
    if isinstance(node, DateRange):
        lo, hi = date_bounds(node)
        return wq.NumericRange("ngay_asc", lo, hi)
    if isinstance(node, And):
        positive = [_compile(i, field) for i in node.items if not isinstance(i, Not)]
        negative = [_compile(i.item, field) for i in node.items if isinstance(i, Not)]
        required = wq.And(positive) if positive else wq.Every()
        return wq.AndNot(required, wq.Or(negative)) if negative else required
    if isinstance(node, Or):
        return wq.Or([_compile(i, field) for i in node.items])
    return wq.AndNot(wq.Every(), _compile(node.item, field))


def _leaf(node: Text, field: str) -> Any:
    return _phrase(field, node.terms)


def _phrase(field: str, terms: tuple[QTerm, ...]) -> Any:
    if len(terms) == 1:
        term = terms[0]
        if term.fuzzy:
            return wq.FuzzyTerm(field, term.text, maxdist=1, prefixlength=0)
        return wq.Term(field, term.text)
    return wq.Phrase(field, [t.text for t in terms])
