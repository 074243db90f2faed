"""Pages a person should look at, worst first, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from archive_store import store
from archive_store.db import Archive
from archive_store.models import DocumentPage, Page
from archive_store.words import decode_words
from ocr.types import Word
from pipeline.documents import effective_access
from sohoa.access import AccessLevel


@dataclass(frozen=True)
class Disagreement:
    """A word two OCR engines read differently: what is stored, the other reading, and where."""

    text: str
    """The reading kept in the page text."""
    engine: str
    """Which engine gave it ("tesseract" or "asterocr")."""
    conf: float
    other: str
    """The other engine's reading."""
    other_conf: float
    box: tuple[int, int, int, int]
    """(left, top, width, height) in pixels of the page image OCR read."""


@dataclass(frozen=True)
class ReviewItem:
    doc_id: int | None
    source_file: str | None
    source_page: int
    mean_confidence: float
    reasons: tuple[str, ...]
    disputed: tuple[Disagreement, ...] = ()
    """The page's words the engines disagreed on, in reading order, for a person to settle."""

    def as_json(self) -> dict:
        """As `review --json` and the server's review queue list it."""
        return {
            "doc_id": self.doc_id, "source_file": self.source_file,
            "source_page": self.source_page, "mean_confidence": round(self.mean_confidence, 2),
            "reasons": list(self.reasons),
            "disputed": [
                {"text": d.text, "engine": d.engine, "conf": d.conf, "other": d.other,
                 "other_conf": d.other_conf, "box": list(d.box)}
                for d in self.disputed
            ],
        }  # fmt: skip


def disagreements(words: tuple[Word, ...]) -> tuple[Disagreement, ...]:
    """The disputed words of a page (see ocr.second_opinion)."""
    return tuple(
        Disagreement(
            w.text, w.engine, w.conf, w.alt_text, w.alt_conf, (w.left, w.top, w.width, w.height)
        )
        for w in words
        if w.alt_text
    )


def pages_to_review(
    archive: Archive, limit: int | None = None, clearance: AccessLevel = AccessLevel.cong_khai
) -> list[ReviewItem]:
    """Pages flagged needs_review, lowest confidence first, of documents the user may see.

    A page not (yet) in a document has no known độ mật: only the highest clearance sees it.
    """
    levels: dict[int, AccessLevel] = {}

    def visible(doc_id: int | None) -> bool:
        if doc_id is None:
            return clearance >= AccessLevel.tuyet_mat
        if doc_id not in levels:
            record = store.document(archive, doc_id, with_pages=False)
            levels[doc_id] = AccessLevel(effective_access(record))
        return levels[doc_id] <= clearance

    with archive.session() as s:
        q = (
            select(Page, DocumentPage.document_id, DocumentPage.source_path)
            .outerjoin(
                DocumentPage,
                (DocumentPage.sha256 == Page.sha256)
                & (DocumentPage.source_page == Page.source_page),
            )
            .where(Page.needs_review)
            .order_by(Page.mean_confidence, Page.id)
        )
        rows = [
            ReviewItem(
                doc_id,
                path,
                p.source_page,
                p.mean_confidence,
                tuple(p.review_reasons),
                disagreements(decode_words(p.words)),
            )
            for p, doc_id, path in s.execute(q)
        ]
    out = [item for item in rows if visible(item.doc_id)]
    return out if limit is None else out[:limit]


@dataclass(frozen=True)
class FieldReviewItem:
    """A metadata field a person must look at: the value read, why, and where to look."""

    doc_id: int
    field: str
    value: object
    reason: str | None
    confidence: float
    page: int | None
    """1-based page within the document, None when the value was read on no page."""
    source_file: str | None
    source_page: int | None
    region: tuple[int, ...] | None
    """(left, top, width, height) in pixels of the page image OCR read."""

    def as_json(self) -> dict:
        """As `review --json` and the server's review queue list it."""
        return {
            "doc_id": self.doc_id, "field": self.field, "value": self.value,
            "review_reason": self.reason, "confidence": self.confidence, "page": self.page,
            "source_file": self.source_file, "source_page": self.source_page,
            "region": list(self.region) if self.region else None,
        }  # fmt: skip


def fields_to_review(
    archive: Archive, limit: int | None = None, clearance: AccessLevel = AccessLevel.cong_khai
) -> list[FieldReviewItem]:
    """Flagged metadata fields not yet corrected by a person, of documents the user may see,
    in document order (so a clerk works through one document's fields at a time)."""
    out: list[FieldReviewItem] = []
    for record in store.iter_documents(archive, with_pages=False):
        if effective_access(record) > clearance:
            continue
        flagged = [
            (name, item)
            for name, item in record.extracted.items()
            if isinstance(item, dict) and item.get("needs_review")
            and name not in record.corrections  # a person's value: verified
        ]  # fmt: skip
        places = store.page_places(archive, [record.id]).get(record.id, []) if flagged else []
        for name, item in flagged:
            page = item.get("page")
            where = places[page] if isinstance(page, int) and page < len(places) else None
            region = item.get("region")
            out.append(
                FieldReviewItem(
                    record.id,
                    name,
                    item.get("value"),
                    item.get("review_reason"),
                    float(item.get("confidence") or 0.0),
                    page + 1 if where is not None and isinstance(page, int) else None,
                    where[0] if where else record.source_path,
                    where[1] if where else None,
                    tuple(region) if isinstance(region, list | tuple) else None,
                )
            )
            if limit is not None and len(out) >= limit:
                return out
    return out


@dataclass(frozen=True)
class ReviewQueue:
    """What a person should check, of the documents a clearance allows: flagged metadata
    fields first, then pages (`sohoa review`, the server's review queue)."""

    fields: tuple[FieldReviewItem, ...]
    pages: tuple[ReviewItem, ...]

    def as_json(self) -> dict:
        return {"fields": [f.as_json() for f in self.fields],
                "pages": [i.as_json() for i in self.pages]}  # fmt: skip


def review_queue(
    archive: Archive, limit: int | None = None, clearance: AccessLevel = AccessLevel.cong_khai
) -> ReviewQueue:
    """At most `limit` fields and `limit` pages to review, worst pages first."""
    return ReviewQueue(
        tuple(fields_to_review(archive, limit, clearance)),
        tuple(pages_to_review(archive, limit, clearance)),
    )
