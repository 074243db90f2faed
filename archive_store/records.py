"""Plain values the store hands out (never ORM objects): pages, documents, batch summaries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoredPage:
    """A page as stored: where it came from and what OCR read."""

    sha256: str
    source_page: int
    """1-based page within the scanned file."""
    text: str
    mean_confidence: float
    needs_review: bool
    review_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentRecord:
    """A document with its pages, extracted metadata and people's corrections."""

    id: int
    batch_id: int
    title: str
    source_path: str
    sha256: str
    first_page: int
    last_page: int
    access_level: int
    extracted: Mapping[str, object]
    """field -> {"value", "confidence", "page", "region"} as extraction gave it."""
    corrections: Mapping[str, str | None]
    """field -> value set by a person (the latest correction of each field)."""
    pages: tuple[StoredPage, ...] = ()
    dossier_code: str | None = None

    def metadata(self) -> dict[str, object]:
        """Effective metadata: extracted values, with people's corrections winning."""
        values: dict[str, object] = {}
        for name, item in self.extracted.items():
            values[name] = item.get("value") if isinstance(item, Mapping) else item
        values.update(self.corrections)
        return values


@dataclass(frozen=True)
class FailureRecord:
    rel_path: str
    source_page: int | None
    reason_vi: str
    reason_en: str


@dataclass(frozen=True)
class ArchiveStatus:
    batches: int
    files: int
    pages: int
    pages_needing_review: int
    documents: int
    failures: int
    """Unresolved failures."""
    failures_list: tuple[FailureRecord, ...] = field(default_factory=tuple)
