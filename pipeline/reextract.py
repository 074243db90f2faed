"""Cutting the stored pages into documents and extracting their metadata again, without OCR.

For an archive whose extraction has improved since its batches were read, or whose manifest
ranges were fixed: everything comes from the store (the originals' pages as OCR read them, each
batch's files and manifest), so the scan folders need not be there any more. Documents that
still start on the same page keep their ids, and people's corrections keep winning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from archive_store import store
from archive_store.db import Archive
from pipeline import indexing
from pipeline.discover import batch_order
from pipeline.documents import build_documents
from pipeline.manifest import Manifest
from pipeline.planning import ScanFile, dossier_for, plan_streams
from pipeline.publish import check_not_a_copy
from pipeline.run import Progress
from sohoa.errors import NotFound


@dataclass(frozen=True)
class ReextractReport:
    batches: int
    documents: int
    """Documents of those batches after the new cut."""
    removed: tuple[int, ...]
    """Documents that no longer exist (their pages now belong to others)."""
    refused_pages: int
    """Pages now read as Tuyệt mật without the manifest's approval, and deleted."""
    index_note: str | None = None
    """What the user should know about the search index (rebuilt, or not yet in step)."""

    def as_json(self) -> dict:
        return {
            "batches": self.batches,
            "documents": self.documents,
            "removed": list(self.removed),
            "refused_pages": self.refused_pages,
            "index_note": self.index_note,
        }


def reextract(
    archive: Archive,
    batch_id: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> ReextractReport:
    """Cut every batch's stored pages (or one batch's) again and update the index."""
    check_not_a_copy(archive)
    known = store.batches(archive)
    if batch_id is not None:
        known = [b for b in known if b[0] == batch_id]
        if not known:
            raise NotFound(
                vi=f"Không có lô số {batch_id} trong kho. `sohoa status` cho biết số lô.",
                en=f"No batch {batch_id} in the archive. `sohoa status` gives the count.",
            )
    indexing.sync(archive, wait=0.0)  # what an earlier command left in the outbox, first
    total = sum(_pages(*_files(archive, bid)) for bid, _, _ in known)
    done = refused = 0
    removed: list[int] = []
    doc_ids: list[int] = []
    started = time.monotonic()
    for bid, _folder, saved in known:
        manifest = Manifest.from_dict(saved) if saved else None
        dossier_id = dossier_for(archive, manifest)
        for stream in plan_streams(*_files(archive, bid), manifest=manifest):
            cut = build_documents(archive, bid, stream, manifest, dossier_id)
            refused += cut.refused
            removed += cut.removed
            done += len(stream.pages)
            if on_progress:
                on_progress(Progress(done, total, time.monotonic() - started))
        doc_ids += store.batch_document_ids(archive, bid)
    synced = indexing.sync(archive)
    return ReextractReport(len(known), len(doc_ids), tuple(removed), refused, synced.note())


def _files(archive: Archive, batch_id: int) -> tuple[list[ScanFile], list[str]]:
    """A batch's kept files in batch order, and the files of it that are missing."""
    stored = sorted(store.batch_files(archive, batch_id), key=lambda f: batch_order(f[0]))
    files: list[ScanFile] = []
    seen: set[str] = set()
    for rel, sha, pages in stored:
        if sha not in seen:  # a scan delivered twice: its pages are the first copy's
            seen.add(sha)
            files.append(ScanFile(rel, sha, pages))
    # Files that could not be read, or were refused whole (Tuyệt mật) and forgotten, still
    # held a page there: the cut around them is the one ingest made.
    kept = {rel for rel, _, _ in stored}
    missing = sorted({f.rel_path for f in store.failures(archive, batch_id)} - kept)
    return files, missing


def _pages(files: list[ScanFile], missing: list[str]) -> int:
    return sum(f.pages for f in files) + len(missing)
