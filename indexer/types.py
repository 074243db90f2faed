"""What the indexer takes in (documents from the store) and gives back (search results)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sohoa.errors import ArchiveError


@dataclass(frozen=True)
class IndexedPage:
    """One page of a document as the index sees it."""

    page: int
    """Page number within the document, 1-based."""
    text: str
    """The page text, NFC."""
    alternates: tuple[tuple[str, str], ...] = ()
    """(word as in the text, other reading) for each word two OCR engines read differently, in
    reading order: the other reading is indexed at the same position, so a search for either
    finds the page."""


@dataclass(frozen=True)
class IndexedDocument:
    """One document (văn bản) with what search needs; built by the pipeline from the store."""

    doc_id: int
    title: str
    access_level: int
    """sohoa.access.AccessLevel value: 0 công khai .. 3 tuyệt mật."""
    pages: tuple[IndexedPage, ...]
    version: str
    """A hash of everything indexed, so verify can tell a stale index entry."""
    metadata: Mapping[str, object] = field(default_factory=dict)
    """Effective metadata (corrections win), shown in hits: loai, so_ky_hieu, ngay_ban_hanh, ..."""
    loai: str | None = None
    """Document type in full ("Thông báo"), for the loai: filter and facet."""
    so_ky_hieu: str | None = None
    """Number and symbol ("10-ĐA/TU"), for the so: filter."""
    co_quan: str | None = None
    """Issuing body, readable ("Tỉnh ủy Bắc Giang"), for co_quan: and the facet."""
    nguoi_ky: str | None = None
    """Signer, for nguoi_ky:."""
    ngay: dt.date | None = None
    """Date issued, for nam:, ngay: and --sort ngay."""
    ho_so: str | None = None
    """Dossier code, for ho_so: and the facet."""
    do_mat: str | None = None
    """Secrecy mark as printed ("Mật"), for do_mat:."""
    ky_so: str = "khong"
    """Digital signature status (signing.verify): "hop-le", "chua-xac-minh", "loi" or "khong",
    for ky_so:."""


@dataclass(frozen=True)
class PageHit:
    page: int
    snippet: str
    """Text around the match with matched words wrapped in [[ ]] (original spelling)."""


@dataclass(frozen=True)
class SearchHit:
    doc_id: int
    title: str
    score: float
    metadata: Mapping[str, object]
    pages: tuple[PageHit, ...]


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    """Number of documents the user may see that match."""
    hits: tuple[SearchHit, ...]
    facets: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    """Facet name (loai, nam, co_quan, ho_so) -> (value, count) pairs, counts descending."""


class IndexBusy(ArchiveError):
    """Another process holds the index writer: the store's changes wait in the outbox."""

    @classmethod
    def of(cls, path: Path) -> IndexBusy:
        return cls(
            vi=f"Chỉ mục {path} đang được một tiến trình sohoa khác ghi.",
            en=f"The index {path} is being written by another sohoa process.",
        )


class IndexUnwritable(ArchiveError):
    """The index folder cannot be written (read-only, full disk): changes wait in the outbox."""

    @classmethod
    def of(cls, path: Path, exc: BaseException) -> IndexUnwritable:
        return cls(
            vi=f"Không ghi được chỉ mục {path} ({exc}). Kiểm tra quyền ghi và chỗ trống trên "
            "đĩa, hoặc chạy `sohoa reindex`.",
            en=f"Cannot write the index {path} ({exc}). Check write permission and free disk "
            "space, or run `sohoa reindex`.",
        )
