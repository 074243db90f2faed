"""Pages a person should look at, worst first, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from archive_store.db import Archive
from archive_store.models import DocumentPage, Page


@dataclass(frozen=True)
class ReviewItem:
    doc_id: int | None
    source_file: str | None
    source_page: int
    mean_confidence: float
    reasons: tuple[str, ...]


def pages_to_review(archive: Archive, limit: int | None = None) -> list[ReviewItem]:
    """Pages flagged needs_review, lowest confidence first."""
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
            .limit(limit)
        )
        return [
            ReviewItem(doc_id, path, p.source_page, p.mean_confidence, tuple(p.review_reasons))
            for p, doc_id, path in s.execute(q)
        ]
