"""Ingesting a batch, top to bottom: plan, triage, per-page OCR, store, cut, index, report."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive_store import store
from archive_store.db import Archive
from archive_store.records import FailureRecord
from ocr.loader import DEFAULT_MAX_PIXELS
from ocr.tesseract import check_tesseract
from ocr.types import PageResult
from pipeline import indexing, signatures
from pipeline.cutter import Cutter
from pipeline.discover import PageTask, batch_path_of, discover
from pipeline.executor import Executor, make_executor
from pipeline.head_start import page_work
from pipeline.manifest import Manifest
from pipeline.planning import (
    batch_manifest,
    check_manifest_paths,
    dossier_for,
    plan_streams,
    plan_tasks,
)
from pipeline.progress import Progress
from pipeline.publish import check_not_a_copy
from pipeline.signatures import SignedFile
from pipeline.triage import triage
from sohoa.errors import InputError, SohoaError
from sohoa.i18n import t

__all__ = ["IngestOptions", "IngestReport", "Progress", "ingest"]


@dataclass(frozen=True)
class IngestOptions:
    """How to run a batch; checked when built."""

    workers: int = 0
    """Worker processes; 0 means one per core."""
    lang: str = "vie"
    max_pixels: int = DEFAULT_MAX_PIXELS
    manifest: Path | None = None
    """A manifest outside the batch folder (else sohoa.toml inside it, if any)."""
    scheduler: str | None = None
    """A Dask scheduler ("tcp://host:8786"): the pages are read on that cluster's workers."""

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ValueError("--workers must be 0 (all cores) or more")
        if self.workers == 0:
            object.__setattr__(self, "workers", os.cpu_count() or 1)


@dataclass(frozen=True)
class IngestReport:
    """What one run of `sohoa ingest` did."""

    batch_id: int
    pages_total: int
    pages_done: int
    """Pages stored by this run."""
    pages_skipped: int
    """Pages an earlier run (or a duplicate scan in this batch) already stored."""
    pages_failed: int
    documents: tuple[int, ...]
    """Every document of the batch."""
    failures: tuple[FailureRecord, ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()
    """(file, same content as file) for scans delivered twice."""
    index_note: str | None = None

    def as_json(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "pages_total": self.pages_total,
            "pages_done": self.pages_done,
            "pages_skipped": self.pages_skipped,
            "pages_failed": self.pages_failed,
            "documents": list(self.documents),
            "failures": [
                {"file": f.rel_path, "page": f.source_page, "reason": t(f.reason_vi, f.reason_en)}
                for f in self.failures
            ],
            "duplicates": [{"file": a, "same_as": b} for a, b in self.duplicates],
            "index_note": self.index_note,
        }


def ingest(
    archive: Archive,
    batch_dir: Path,
    options: IngestOptions,
    on_progress: Callable[[Progress], None] | None = None,
    executor: Executor | None = None,
) -> IngestReport:
    """Store every page of the batch once; resumable after a crash by running it again.

    `executor`: one the caller made, which may have had a head start on the batch's first
    pages (pipeline.head_start); it is closed here as one made here would be."""
    try:
        check_not_a_copy(archive)
        check_tesseract(options.lang)
        if not batch_dir.is_dir():
            raise InputError(
                vi=f"Không tìm thấy thư mục lô quét {batch_dir}. Kiểm tra lại đường dẫn.",
                en=f"Batch folder {batch_dir} not found. Check the path.",
            )
        manifest = batch_manifest(batch_dir, options.manifest)
        # Before any work: a cluster that does not answer stops the run here.
        executor = executor or make_executor(options.workers, options.scheduler)
        return _ingest(archive, batch_dir, options, manifest, executor, on_progress)
    finally:
        if executor is not None:
            executor.close()


def _ingest(
    archive: Archive,
    batch_dir: Path,
    options: IngestOptions,
    manifest: Manifest | None,
    executor: Executor,
    on_progress: Callable[[Progress], None] | None,
) -> IngestReport:
    # What an earlier command left in the outbox (a crash, a busy index) is applied first.
    indexing.sync(archive, wait=0.0)
    batch_id = store.upsert_batch(archive, batch_dir, manifest.as_dict() if manifest else None)
    dossier_id = dossier_for(archive, manifest)

    # Triage: hash, identify and keep each original before any OCR.
    paths = discover(batch_dir)
    if manifest:
        check_manifest_paths(manifest, [batch_path_of(p, batch_dir) for p in paths])
    files, duplicates, unreadable = triage(archive, batch_id, batch_dir, paths)
    # Signatures are checked on the stored originals, before any page is read.
    signed = [SignedFile(f.rel_path, f.sha256) for f in files.values()]
    signatures.check_batch(archive, batch_id, signed)
    failed_files = len(unreadable)
    streams = plan_streams(list(files.values()), unreadable, manifest=manifest)
    tasks, skipped = plan_tasks(archive, files.values())
    skipped += sum(pages for _, _, pages in duplicates)
    total = skipped + len(tasks) + failed_files

    # Per-page work in workers; the parent alone writes, one transaction per page, and cuts the
    # documents as their pages come in.
    cutter = Cutter(archive, batch_id, streams, manifest, dossier_id, tasks)
    failed = 0
    started = time.monotonic()
    work = page_work(options.lang, options.max_pixels)
    if on_progress:
        on_progress(Progress(skipped, total, 0.0))
    saver = _PageSaver(archive, cutter)
    for outcome in executor.run(work, tasks):
        task = outcome.task
        if outcome.error is None and outcome.result is not None:
            cutter.blanks_read(task, outcome.result.blanks)
            saver.add(task, outcome.result.result)
        else:
            saver.flush()  # the pages read before it are stored first: the cut needs them
            failed += 1
            vi, en = _explain(outcome.error, task)
            store.record_failure(archive, batch_id, task.rel_path, task.source_page, vi, en)
            cutter.page_in(task)
        if on_progress:
            elapsed = time.monotonic() - started
            stored = saver.done + saver.skipped
            on_progress(Progress(skipped + stored + failed + failed_files, total, elapsed))
    saver.flush()
    done, skipped = saver.done, skipped + saver.skipped
    cutter.finish()
    refused = cutter.refused
    doc_ids = tuple(store.batch_document_ids(archive, batch_id))
    store.finish_batch(archive, batch_id)
    # The cut wrote its index jobs with the documents; here the index takes them.
    note = indexing.sync(archive).note()
    return IngestReport(
        batch_id=batch_id,
        pages_total=total,
        pages_done=done - refused,
        pages_skipped=skipped,
        pages_failed=failed + failed_files + refused,
        documents=doc_ids,
        failures=tuple(store.failures(archive, batch_id)),
        duplicates=tuple((a, b) for a, b, _ in duplicates),
        index_note=note,
    )


class _PageSaver:
    """Finished pages stored together when they come fast: each commit syncs the database to
    disk, which costs more than reading a born-digital page. Pages that come slowly (OCR) are
    stored one by one as before; fast ones wait at most FLUSH_SECONDS (a crash loses no more:
    those pages are read again by the next run)."""

    FLUSH_PAGES = 32
    FLUSH_SECONDS = 0.25

    def __init__(self, archive: Archive, cutter: Cutter) -> None:
        self.archive, self.cutter = archive, cutter
        self.done = self.skipped = 0
        self._waiting: list[tuple[PageTask, PageResult]] = []
        self._flushed = 0.0

    def add(self, task: PageTask, result: PageResult) -> None:
        self._waiting.append((task, result))
        if (
            len(self._waiting) >= self.FLUSH_PAGES
            or time.monotonic() - self._flushed >= self.FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        self._flushed = time.monotonic()
        if not self._waiting:
            return
        waiting, self._waiting = self._waiting, []
        saved = store.save_pages(
            self.archive, [(t.sha256, t.source_page, result) for t, result in waiting]
        )
        for (task, _), new in zip(waiting, saved, strict=True):
            self.done, self.skipped = self.done + new, self.skipped + (not new)
            self.cutter.page_in(task)


def _explain(error: BaseException | None, task: PageTask) -> tuple[str, str]:
    """The failure as the clerk should read it: their file name, the page, the reason."""
    if isinstance(error, SohoaError):
        # The worker read the stored copy (named by its hash); name the clerk's file instead.
        blob = task.path.name
        vi, en = error.vi.replace(blob, task.rel_path), error.en.replace(blob, task.rel_path)
        if task.rel_path in vi:
            return vi, en
        return (
            f"{task.rel_path}, trang {task.source_page}: {vi}",
            f"{task.rel_path}, page {task.source_page}: {en}",
        )
    kind = type(error).__name__
    return (
        f"{task.rel_path}, trang {task.source_page}: lỗi không mong đợi khi OCR "
        f"({kind}: {error}). Chạy lại với -v và báo lỗi.",
        f"{task.rel_path}, page {task.source_page}: unexpected error during OCR "
        f"({kind}: {error}). Run with -v and report it.",
    )
