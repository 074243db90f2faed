"""Batches and their progress, as the server and `status` report them (the report owns its JSON)."""

from __future__ import annotations

from dataclasses import dataclass

from archive_store import store
from archive_store.db import Archive
from sohoa.errors import NotFound
from sohoa.i18n import t


@dataclass(frozen=True)
class BatchProgress:
    id: int
    name: str
    files: int
    pages_total: int
    """Pages of the batch's files as triage counted them."""
    pages_stored: int
    documents: int
    failures: tuple[tuple[str, int | None, str], ...]
    """(file, page or None, reason in the reader's language), unresolved."""

    @property
    def done(self) -> float:
        return round(self.pages_stored / self.pages_total, 4) if self.pages_total else 0.0

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "files": self.files,
            "pages_total": self.pages_total,
            "pages_stored": self.pages_stored,
            "done": self.done,
            "documents": self.documents,
            "failures": [
                {"file": f, "page": p, "reason": reason} for f, p, reason in self.failures
            ],
        }


def batch_progress(archive: Archive, batch_id: int) -> BatchProgress:
    known = {b[0]: b for b in store.batches(archive)}
    if batch_id not in known:
        raise NotFound(vi=f"Không có lô số {batch_id}.", en=f"No batch {batch_id}.")
    _, path, _ = known[batch_id]
    files = store.batch_files(archive, batch_id)
    stored = store.stored_pages_of(archive, {sha for _, sha, _ in files})
    return BatchProgress(
        id=batch_id,
        # The folder's last part only: the server does not show the archive machine's paths.
        name=path.rstrip("/").rsplit("/", 1)[-1],
        files=len(files),
        pages_total=sum(pages for _, _, pages in files),
        pages_stored=sum(len(stored[sha]) for _, sha, _ in files),
        documents=len(store.batch_document_ids(archive, batch_id)),
        failures=tuple(
            (f.rel_path, f.source_page, t(f.reason_vi, f.reason_en))
            for f in store.failures(archive, batch_id)
        ),
    )


def all_batches(archive: Archive) -> list[BatchProgress]:
    return [batch_progress(archive, batch_id) for batch_id, _, _ in store.batches(archive)]
