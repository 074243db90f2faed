"""Plain values the store hands out (never ORM objects): pages, documents, batch summaries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageRef:
    """A page by its place in a scanned file: the file's content hash, path and page."""

    sha256: str
    source_page: int
    """1-based page within the scanned file."""
    source_path: str
    """The file's path in the batch."""

    @property
    def key(self) -> tuple[str, int]:
        return self.sha256, self.source_page


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
    source_path: str = ""
    """The scanned file's path in the batch."""
    alternates: tuple[tuple[str, str], ...] = ()
    """(word as in the text, other reading) where two OCR engines disagreed and the other
    reading is worth finding (ocr.second_opinion.searchable_alternates), in reading order."""


@dataclass(frozen=True)
class DocumentRecord:
    """A document with its pages, extracted metadata and people's corrections."""

    id: int
    batch_id: int
    title: str
    source_path: str
    """The scanned file the document's first page comes from (pages may span several)."""
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

    def source_runs(self) -> list[tuple[str, int, int]]:
        """(file, first page, last page) for each run of the document's pages in one file."""
        runs: list[tuple[str, int, int]] = []
        for p in self.pages:
            if runs and runs[-1][0] == p.source_path and runs[-1][2] == p.source_page - 1:
                runs[-1] = (p.source_path, runs[-1][1], p.source_page)
            else:
                runs.append((p.source_path, p.source_page, p.source_page))
        return runs

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
