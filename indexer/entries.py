"""What a document gives every backend to index, and what a hit gives back, engine-neutral."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from indexer.analysis import keyword, mark_alternates, nfc, symbol_terms
from indexer.query import TEXT_FIELDS, DateRange
from indexer.types import IndexedDocument, PageHit, SearchHit

FACETS = ("loai", "nam", "co_quan", "ho_so")
FACET_SIZE = 20
"""Values shown per facet; a year or body beyond the 20 largest is found with a filter."""

UNDATED = dt.date.max.toordinal() + 1
"""Where an undated document sorts: after every dated one, whichever way dates are sorted."""

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class DocEntry:
    """One document's values for the index, ready for any engine."""

    doc_id: int
    access_level: int
    version: str
    texts: tuple[str, ...]
    """What the document-level entry searches: each page's text, then the title."""
    pages: tuple[tuple[int, str], ...]
    """(page number, NFC text) for the page-level entries."""
    stored: str
    """JSON of title and metadata, given back in hits."""
    fields: Mapping[str, str]
    """Text of the loai, co_quan, nguoi_ky, ho_so filters (those the document has)."""
    so_terms: tuple[str, ...]
    do_mat: tuple[str, ...]
    """The whole mark, exact and folded ("tối mật", "toi mat"); empty when unmarked."""
    ky_so: str
    """Signature status slug ("hop-le", "chua-xac-minh", "loi", "khong")."""
    facets: Mapping[str, str]
    """Display values of the loai, co_quan, ho_so facets (the year comes from `nam`)."""
    nam: int | None
    ngay: int | None
    """Date issued as a proleptic ordinal (dt.date.toordinal), so every engine sorts integers."""
    marked: Mapping[int, str] = field(default_factory=dict)
    """Page number -> its text with OCR alternatives marked (analysis.mark_alternates), for
    the pages that have any: indexed instead of the plain text, word positions unchanged."""


def entry_of(doc: IndexedDocument) -> DocEntry:
    """The index values of one document."""
    pages = tuple((p.page, nfc(p.text)) for p in doc.pages)
    marked = {p.page: mark_alternates(p.text, p.alternates) for p in doc.pages if p.alternates}
    fields = {name: nfc(value) for name in TEXT_FIELDS if (value := getattr(doc, name))}
    facets = {
        name: _display(value)
        for name in ("loai", "co_quan", "ho_so")
        if (value := getattr(doc, name))
    }
    do_mat = tuple(dict.fromkeys(keyword(doc.do_mat))) if doc.do_mat else ()
    return DocEntry(
        doc_id=doc.doc_id,
        access_level=int(doc.access_level),
        version=doc.version,
        texts=(*(text for _, text in pages), nfc(doc.title)),
        pages=pages,
        marked=marked,
        stored=json.dumps(
            {"title": doc.title, "metadata": dict(doc.metadata)},
            ensure_ascii=False,
            default=_json_value,
        ),
        fields=fields,
        so_terms=tuple(symbol_terms(doc.so_ky_hieu)) if doc.so_ky_hieu else (),
        do_mat=tuple(v for v in do_mat if v),
        ky_so=doc.ky_so,
        facets=facets,
        nam=doc.ngay.year if doc.ngay else None,
        ngay=doc.ngay.toordinal() if doc.ngay else None,
    )


def _display(value: str) -> str:
    return _SPACES.sub(" ", nfc(value)).strip()


def _json_value(value: object) -> object:
    # Metadata holds dates and the odd enum; hits show them as the CLI prints them.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def date_bounds(node: DateRange) -> tuple[int, int]:
    """Inclusive ordinal bounds of a date filter (open ends become the widest dates)."""
    lo = node.first.toordinal() if node.first else 1
    hi = node.last.toordinal() if node.last else dt.date.max.toordinal()
    return lo, hi


def hit_of(doc_id: int, score: float, stored: str, pages: tuple[PageHit, ...]) -> SearchHit:
    """A search hit from what the document-level entry stored."""
    data = json.loads(stored)
    return SearchHit(
        doc_id=doc_id,
        title=data["title"],
        score=score,
        metadata=data["metadata"],
        pages=tuple(sorted(pages, key=lambda p: p.page)),
    )


def facet_counts(buckets: Iterable[tuple[object, int]]) -> tuple[tuple[str, int], ...]:
    """(value, count) pairs, counts descending then values ascending, at most FACET_SIZE."""
    pairs = [(str(value), int(count)) for value, count in buckets if value is not None and count]
    pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    return tuple(pairs[:FACET_SIZE])
