"""The default search backend: tantivy, with each word indexed in two interleaved lanes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NoReturn

import tantivy
from tantivy import FieldType, Occur, Order, Query

from indexer.analysis import CACHE_WORDS, MAX_WORD_CHARS, WORD_RE, forms, nfc, stacked_words
from indexer.entries import (
    FACET_SIZE,
    FACETS,
    DocEntry,
    date_bounds,
    entry_of,
    facet_counts,
    hit_of,
)
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
from sohoa.access import AccessLevel
from sohoa.errors import ArchiveError

ENGINE = "tantivy"
SCHEMA_VERSION = 2
"""Bump when fields or their analysis change: older indexes are then rebuilt from the store.
2: ky_so (digital signature status)."""

WRITER_HEAP = 256_000_000
"""Bytes of indexing buffer (shared by tantivy's indexing threads); bounds memory when indexing."""

RESCORE_WINDOW = 100
"""Best hits re-ranked by how closely the query's words stand together (see _rescored)."""
MAX_LEVEL = max(AccessLevel)
PAGE_CANDIDATES = 20
"""Matching pages fetched per hit before keeping the best few of each document."""
FACET_SEGMENT_SIZE = 1000
"""Values counted per segment before merging: large enough that top-20 counts are exact for
facets with up to this many values (dossiers are the most numerous)."""

PLACEHOLDER = "·"
_DOC, _PAGE = 0, 1


_BESIDE = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sohoa-facets")
"""Threads for work that runs beside a search (facet counts)."""


class _ChunkLanes(dict[str, str]):
    """Lowercase whitespace-separated chunk ("ủy,", "10-đa/tu") -> the lane pairs of its
    words, computed on first sight."""

    def __missing__(self, chunk: str) -> str:
        pairs = []
        for word in WORD_RE.findall(chunk):
            if len(word) > MAX_WORD_CHARS:
                continue  # skipped, like analysis.words does, so snippets agree with the index
            exact, folded = forms(word)
            pairs.append(f"{exact if exact != folded else PLACEHOLDER} {folded}")
        lane = " ".join(pairs)
        if len(self) < CACHE_WORDS:
            self[chunk] = lane
        return lane


_CHUNKS = _ChunkLanes()


def lanes(text: str) -> str:
    """The lane string of a text: "exact folded" per word, "· folded" when they are equal.

    Indexed with tantivy's whitespace tokenizer, each word becomes two tokens at consecutive
    positions: its exact form at an even position (the "·" placeholder when it has no
    diacritics) and its folded form at the next, odd one. A query word typed with diacritics is
    looked up in the exact lane, one typed without in the folded lane, and a phrase gives each
    word its offset (2i or 2i+1), so mixed phrases ("tài lieu mật") work. Stacked tokens (two at
    one position) would do the same, but building tantivy.Token objects in Python indexed about
    1,800 pages/s here, this string over 9,000.
    """
    # Splitting on whitespace and caching per chunk gives the same words as WORD_RE.findall
    # over the whole text (whitespace is never part of a word) at twice the speed: this runs
    # for every page indexed. Whitespace inside the result does not matter to the tokenizer.
    chunks = _CHUNKS
    return " ".join([chunks[chunk] for chunk in nfc(text).lower().split()])


def stacked_lanes(marked: str) -> tantivy.PreTokenizedString:
    """The lanes of a text with OCR alternatives marked (analysis.mark_alternates), as tokens.

    The same positions as lanes(): exact form at 2i, folded at 2i+1; a disputed word's other
    reading stacked on the same two positions, so "mấy" finds a page read "máy" and phrases
    through it still hold. Built as tantivy tokens only for the pages that have alternatives
    (the lane string is five times faster to index).
    """
    tokens = []
    for i, w in enumerate(stacked_words(marked)):
        tokens.append(tantivy.Token(w.exact if w.exact != w.folded else PLACEHOLDER, 2 * i, i, i))
        tokens.append(tantivy.Token(w.folded, 2 * i + 1, i, i))
        if w.alt_exact is not None and w.alt_exact != w.exact and w.alt_exact != w.alt_folded:
            tokens.append(tantivy.Token(w.alt_exact, 2 * i, i, i))
        if w.alt_folded is not None and w.alt_folded != w.folded:
            tokens.append(tantivy.Token(w.alt_folded, 2 * i + 1, i, i))
    return tantivy.PreTokenizedString(marked, tokens)


def _add_lane(doc: tantivy.Document, field: str, lane: str | tantivy.PreTokenizedString) -> None:
    if isinstance(lane, str):
        doc.add_text(field, lane)
    else:
        doc.add_pre_tokenized_text(field, lane)


def _first(doc: tantivy.Document, field: str) -> Any:
    """A stored value every entry of its kind has."""
    value = doc.get_first(field)
    if value is None:
        raise ArchiveError(
            vi=f"Chỉ mục hỏng: thiếu trường {field}. Chạy `sohoa reindex`.",
            en=f"The index is damaged: field {field} is missing. Run `sohoa reindex`.",
        )
    return value


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("kind", indexed=True)
    b.add_unsigned_field("doc_id", stored=True, indexed=True, fast=True)
    b.add_unsigned_field("access_level", indexed=True, fast=True)
    b.add_unsigned_field("page", stored=True)
    b.add_text_field("text", tokenizer_name="whitespace")  # document: all pages and the title
    b.add_text_field("ptext", tokenizer_name="whitespace")  # one page
    b.add_bytes_field("page_text", stored=True)
    b.add_bytes_field("stored", stored=True)
    b.add_text_field("dv", tokenizer_name="raw")  # "doc_id:version", listed by versions()
    for name in ("loai", "co_quan", "nguoi_ky", "ho_so"):
        b.add_text_field(f"f_{name}", tokenizer_name="whitespace")
    b.add_text_field("so", tokenizer_name="whitespace")
    b.add_text_field("do_mat", tokenizer_name="raw")
    b.add_text_field("ky_so", tokenizer_name="raw")
    for name in ("loai", "co_quan", "ho_so"):
        b.add_text_field(f"facet_{name}", fast=True, tokenizer_name="raw")
    b.add_unsigned_field("facet_nam", fast=True)
    b.add_integer_field("ngay", indexed=True, fast=True)
    return b.build()


class TantivyBackend:
    """A tantivy index in one folder (one generation of an index directory)."""

    engine = ENGINE

    def __init__(self, path: Path, *, create: bool = False, heap: int = WRITER_HEAP) -> None:
        self.path = path
        self._heap = heap
        try:
            if create:
                path.mkdir(parents=True, exist_ok=True)
                self._index = tantivy.Index(_schema(), path=str(path), reuse=False)
            else:
                self._index = tantivy.Index.open(str(path))
        except ValueError as exc:
            raise ArchiveError(
                vi=f"Không mở được chỉ mục tìm kiếm {path}: {exc}. Chạy `sohoa reindex`.",
                en=f"Cannot open the search index {path}: {exc}. Run `sohoa reindex`.",
            ) from exc
        self._schema = self._index.schema
        self._writer: tantivy.IndexWriter | None = None
        self._seen: tuple[int, int, int] | None = None

    # -- writing ---------------------------------------------------------------------------

    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(self._heap, min(2, os.cpu_count() or 1))
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise IndexBusy.of(self.path) from exc
                raise IndexUnwritable.of(self.path, exc) from exc
        return self._writer

    def replace(self, docs: Iterable[IndexedDocument]) -> int:
        """Add or replace documents by doc_id, in one commit; returns how many."""
        return self._write(docs, delete_first=True)

    def add_new(self, docs: Iterable[IndexedDocument]) -> int:
        """Add documents to an index known not to hold them (a rebuild); one commit."""
        return self._write(docs, delete_first=False)

    def _write(self, docs: Iterable[IndexedDocument], *, delete_first: bool) -> int:
        writer = self._get_writer()
        count = 0
        try:
            for doc in docs:
                if delete_first:
                    writer.delete_documents_by_query(self._id_query(doc.doc_id))
                for entry in self._documents(entry_of(doc)):
                    writer.add_document(entry)
                count += 1
            writer.commit()
        except BaseException as exc:
            self._failed(writer, exc)
        self._index.reload()
        return count

    def delete(self, doc_ids: Iterable[int]) -> None:
        writer = self._get_writer()
        try:
            for doc_id in doc_ids:
                writer.delete_documents_by_query(self._id_query(doc_id))
            writer.commit()
        except BaseException as exc:
            self._failed(writer, exc)
        self._index.reload()

    def _failed(self, writer: tantivy.IndexWriter, exc: BaseException) -> NoReturn:
        """Roll back; a writer whose threads died (a full disk, a folder made read-only) is
        dropped, so the next write takes a new one."""
        with contextlib.suppress(ValueError):
            writer.rollback()
        if isinstance(exc, ValueError | OSError):
            self._writer = None
            raise IndexUnwritable.of(self.path, exc) from exc
        raise exc

    def _id_query(self, doc_id: int) -> Query:
        # delete_documents_by_term does not match u64 fields in tantivy-py 0.27: use a query.
        return Query.term_query(self._schema, "doc_id", doc_id)

    def _documents(self, e: DocEntry) -> list[tantivy.Document]:
        page_lanes = [
            (page, text, stacked_lanes(e.marked[page]) if page in e.marked else lanes(text))
            for page, text in e.pages
        ]
        doc = tantivy.Document()
        doc.add_unsigned("kind", _DOC)
        doc.add_unsigned("doc_id", e.doc_id)
        doc.add_unsigned("access_level", e.access_level)
        for _, _, lane in page_lanes:
            _add_lane(doc, "text", lane)  # one value per page: phrases do not run across pages
        doc.add_text("text", lanes(e.texts[-1]))
        doc.add_bytes("stored", e.stored.encode())
        doc.add_text("dv", f"{e.doc_id}:{e.version}")
        for name, value in e.fields.items():
            doc.add_text(f"f_{name}", lanes(value))
        if e.so_terms:
            doc.add_text("so", " ".join(e.so_terms))
        for value in e.do_mat:
            doc.add_text("do_mat", value)
        doc.add_text("ky_so", e.ky_so)
        for name, value in e.facets.items():
            doc.add_text(f"facet_{name}", value)
        if e.nam is not None:
            doc.add_unsigned("facet_nam", e.nam)
        if e.ngay is not None:
            doc.add_integer("ngay", e.ngay)
        out = [doc]
        for page, text, lane in page_lanes:
            p = tantivy.Document()
            p.add_unsigned("kind", _PAGE)
            p.add_unsigned("doc_id", e.doc_id)
            p.add_unsigned("access_level", e.access_level)
            p.add_unsigned("page", page)
            _add_lane(p, "ptext", lane)
            p.add_bytes("page_text", text.encode())
            out.append(p)
        return out

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
        searcher = self._index.searcher()
        doc_query = self._visible(self._compile(ast, "text"), clearance, exclude)
        # tantivy releases the GIL: counting facets runs on another core beside the search.
        facet_counts_ = _BESIDE.submit(self._facets, searcher, doc_query) if facets else None
        runs = proximity_runs(ast)
        if order == "relevance":
            window = max(limit, RESCORE_WINDOW if runs else 1)
            result = searcher.search(doc_query, window)
            scored = [(float(score), address) for score, address in result.hits]
            ranked = self._rescored(searcher, scored, self._boosts(runs, "text"), None)
        else:
            result = searcher.search(
                doc_query,
                max(limit, 1),
                order_by_field="ngay",
                order=Order.Asc if order == "ngay" else Order.Desc,
            )
            # sorted by date, tantivy gives the date (None when undated) instead of a score
            ranked = [(0.0, address) for _, address in result.hits]
        top = []
        for score, address in ranked[: max(limit, 0)]:
            stored = searcher.doc(address)
            top.append((int(_first(stored, "doc_id")), score, stored))
        pages = self._pages(
            searcher, [d for d, _, _ in top], clearance, exclude, ast, pages_per_hit
        )
        hits = [
            hit_of(doc_id, score, bytes(_first(stored, "stored")).decode(), pages.get(doc_id, ()))
            for doc_id, score, stored in top
        ]
        return SearchResults(
            query=query,
            total=int(getattr(result, "count", 0) or 0),  # missing from tantivy's stubs
            hits=tuple(hits),
            facets=facet_counts_.result() if facet_counts_ else {},
        )

    def _rescored(
        self,
        searcher: tantivy.Searcher,
        hits: list[tuple[float, tantivy.DocAddress]],
        boosts: list[Query],
        owners: list[int] | None,
    ) -> list[tuple[float, tantivy.DocAddress]]:
        """Hits re-ranked by adding the scores of the proximity phrases they contain.

        The phrases are checked only on these hits (a rescoring window), each as a required
        clause beside the hits' ids: as optional clauses of the main query tantivy evaluated
        them on every matching entry, which cost 20 times the query itself on common words.
        """
        if not boosts or not hits:
            return hits
        if owners is None:
            owners = [
                int(i or 0) for i in searcher.fast_field_values("doc_id", [a for _, a in hits])
            ]
        owner = self._const(self._any_of("doc_id", sorted(set(owners))))
        bonus: dict[tuple[int, int], float] = {}
        for boost in boosts:
            query = Query.boolean_query([(Occur.Must, owner), (Occur.Must, boost)])
            for score, address in searcher.search(query, 2 * len(hits), count=False).hits:
                key = (address.segment_ord, address.doc)
                bonus[key] = bonus.get(key, 0.0) + float(score)
        rescored = [(s + bonus.get((a.segment_ord, a.doc), 0.0), a) for s, a in hits]
        rescored.sort(key=lambda hit: -hit[0])
        return rescored

    def _pages(
        self,
        searcher: tantivy.Searcher,
        doc_ids: list[int],
        clearance: int,
        exclude: Collection[int],
        ast: Node,
        per_hit: int,
    ) -> dict[int, tuple[PageHit, ...]]:
        """The best `per_hit` matching pages of each hit, with snippets: one search for all."""
        leaves = positive_texts(ast)
        if not leaves or per_hit <= 0 or not doc_ids:
            return {}
        any_leaf = Query.boolean_query([(Occur.Should, self._leaf(t, "ptext")) for t in leaves])
        boosts = self._boosts(proximity_runs(ast), "ptext")

        def best(ids: list[int], limit: int) -> list[tantivy.DocAddress]:
            owner = self._const(self._any_of("doc_id", ids))
            query = self._visible(any_leaf.and_must_match(owner), clearance, exclude)
            found = [(float(s), a) for s, a in searcher.search(query, limit, count=False).hits]
            return [address for _, address in self._rescored(searcher, found, boosts, ids)]

        limit = PAGE_CANDIDATES * len(doc_ids)
        addresses = best(doc_ids, limit)
        chosen: dict[int, list[tantivy.DocAddress]] = {doc_id: [] for doc_id in doc_ids}
        owners = searcher.fast_field_values("doc_id", addresses)
        for address, owner in zip(addresses, owners, strict=True):
            if owner is not None and len(chosen[int(owner)]) < per_hit:
                chosen[int(owner)].append(address)
        if len(addresses) == limit:
            # Documents with hundreds of matching pages filled the candidates: ask per document.
            for doc_id, picked in chosen.items():
                if not picked:
                    picked.extend(best([doc_id], per_hit))
        highlighter = Highlighter(leaves)
        out = {}
        for doc_id, picked in chosen.items():
            found = []
            for address in picked:
                page = searcher.doc(address)
                text = bytes(_first(page, "page_text")).decode()
                found.append(PageHit(int(_first(page, "page")), highlighter.snippet(text)))
            out[doc_id] = tuple(found)
        return out

    def _facets(
        self, searcher: tantivy.Searcher, query: Query
    ) -> dict[str, tuple[tuple[str, int], ...]]:
        # Twice the size asked, so ties at the cut are ordered by value, not by chance.
        aggs = {
            name: {
                "terms": {
                    "field": f"facet_{name}",
                    "size": FACET_SIZE * 2,
                    "segment_size": FACET_SEGMENT_SIZE,
                }
            }
            for name in FACETS
        }
        result = searcher.aggregate(query, aggs)
        return {
            name: facet_counts(
                (int(b["key"]) if name == "nam" else b["key"], b["doc_count"])
                for b in result[name]["buckets"]
            )
            for name in FACETS
        }

    # -- compiling the query AST -----------------------------------------------------------

    def _visible(self, query: Query, clearance: int, exclude: Collection[int] = ()) -> Query:
        """The query restricted to what the clearance may see, less the `exclude`d documents
        (those the store now hides while the index has not caught up).

        No kind filter is needed: text fields exist on one kind of entry only (text and the
        metadata fields on documents, ptext on pages) and "every document" is the kind term.
        """
        # The levels above the clearance are left out rather than the allowed ones required:
        # most entries are allowed, and intersecting with their long posting lists cost twice
        # the query itself on common words; excluding the few above costs little.
        clauses = [(Occur.Must, query)]
        if clearance < MAX_LEVEL:
            above = list(range(clearance + 1, MAX_LEVEL + 1))
            clauses.append((Occur.MustNot, self._any_of("access_level", above)))
        if exclude:
            clauses.append((Occur.MustNot, self._any_of("doc_id", sorted(exclude))))
        return Query.boolean_query(clauses) if len(clauses) > 1 else query

    def _any_of(self, field: str, values: list[int]) -> Query:
        """Entries whose field holds one of a few values.

        Term queries joined by OR: tantivy's term_set_query and range_query scan the whole
        field (1 ms each at 100,000 pages), these seek.
        """
        if len(values) == 1:
            return Query.term_query(self._schema, field, values[0])
        return Query.boolean_query(
            [(Occur.Should, Query.term_query(self._schema, field, v)) for v in values]
        )

    @staticmethod
    def _const(query: Query) -> Query:
        # Filters must not change the ranking.
        return Query.const_score_query(query, 0.0)

    def _boosts(self, runs: list[tuple[QTerm, ...]], field: str) -> list[Query]:
        """Optional phrases over words typed side by side: each adjacent pair, and the run."""
        out: list[Query] = []
        for run in runs:
            out.extend(self._phrase(field, run[i : i + 2]) for i in range(len(run) - 1))
            if len(run) > 2:
                out.append(self._phrase(field, run))
        return out

    def _compile(self, node: Node, field: str) -> Query:
        if isinstance(node, Text):
            return self._leaf(node, field)
        if isinstance(node, FieldText):
            return self._phrase(f"f_{node.field}", node.terms)
        if isinstance(node, Symbol):
            if len(node.terms) == 1:
                return Query.term_query(self._schema, "so", node.terms[0])
            return Query.phrase_query(self._schema, "so", list(node.terms))
        if isinstance(node, Keyword):
            return Query.term_query(self._schema, node.field, node.value)
        if isinstance(node, DateRange):
            lo, hi = date_bounds(node)
            return Query.range_query(self._schema, "ngay", FieldType.Integer, lo, hi)
        if isinstance(node, And):
            clauses = [
                (Occur.MustNot, self._compile(item.item, field))
                if isinstance(item, Not)
                else (Occur.Must, self._compile(item, field))
                for item in node.items
            ]
            if all(occur == Occur.MustNot for occur, _ in clauses):
                clauses.append((Occur.Must, self._every()))
            return Query.boolean_query(clauses)
        if isinstance(node, Or):
            return Query.boolean_query(
                [(Occur.Should, self._compile(i, field)) for i in node.items]
            )
        return Query.boolean_query(
            [(Occur.Must, self._every()), (Occur.MustNot, self._compile(node.item, field))]
        )

    def _every(self) -> Query:
        """Every document-level entry (what a query of only NOT clauses starts from)."""
        return Query.term_query(self._schema, "kind", _DOC)

    def _leaf(self, node: Text, field: str) -> Query:
        return self._phrase(field, node.terms)

    def _phrase(self, field: str, terms: tuple[QTerm, ...]) -> Query:
        if len(terms) == 1:
            term = terms[0]
            if term.fuzzy:
                return Query.fuzzy_term_query(
                    self._schema, field, term.text, distance=1, transposition_cost_one=False
                )
            return Query.term_query(self._schema, field, term.text)
        # Exact words sit at even positions, folded ones at the odd position after them.
        words: list[str | tuple[int, str]] = [
            (2 * i + (0 if t.exact else 1), t.text) for i, t in enumerate(terms)
        ]
        return Query.phrase_query(self._schema, field, words)

    def stamp(self) -> tuple[int, int, int]:
        """The index's last commit as this backend sees it (meta.json's inode, time, size).

        tantivy moves its reader to a new commit on its own, a little later; here the reader
        is moved at once when meta.json changed, so a search begun after this call reads at
        least the commit it names (a key of indexer.cache never holds an older answer).
        """
        meta = os.stat(self.path / "meta.json")
        seen = (meta.st_ino, meta.st_mtime_ns, meta.st_size)
        if seen != self._seen:
            self._index.reload()
            self._seen = seen
        return seen

    # -- maintenance -----------------------------------------------------------------------

    def versions(self) -> dict[int, str]:
        """doc_id -> version of every document in the index (deleted ones excluded)."""
        searcher = self._index.searcher()
        terms = searcher.terms_with_prefix("dv", "", filter_query=Query.all_query(), limit=None)
        out: dict[int, str] = {}
        for term, _ in terms:
            doc_id, _, version = term.partition(":")
            out[int(doc_id)] = version
        return out

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.wait_merging_threads()
