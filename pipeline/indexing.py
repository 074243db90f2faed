"""Keeping the search index in step with the store: the outbox drained, rebuild, verify.

Every store change the index must follow writes an index job in its own transaction (see
`archive_store.models.IndexJob`). `sync` applies them: each job's document is replaced with the
store's current state, or deleted when the store no longer has it, and the job is deleted only
once the index has committed, so a crash in between replays it (replacing is idempotent). A
command that cannot take the index writer within its wait leaves the jobs for whoever holds it,
or for the next command; searches meanwhile hide what the store forbids (`pipeline.searching`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from archive_store import signatures, store
from archive_store.db import Archive
from indexer.backend import (
    IndexOutdated,
    SearchBackend,
    VerifyReport,
    index_lock,
    open_index,
    rebuild_index,
    verify_index,
)
from indexer.types import IndexBusy, IndexedDocument
from pipeline.documents import indexed_documents, to_indexed
from sohoa.errors import ArchiveError, NotFound
from sohoa.i18n import t

JOBS_AT_ONCE = 2000
"""Jobs applied in one index commit (their documents are streamed from the store)."""


def index_wait() -> float:
    """Seconds a command that writes waits for the index writer ($SOHOA_INDEX_WAIT, else 15)."""
    try:
        return max(0.0, float(os.environ.get("SOHOA_INDEX_WAIT", "15")))
    except ValueError:
        return 15.0


@dataclass(frozen=True)
class SyncReport:
    """What bringing the index in step did."""

    applied: int = 0
    """Documents replaced in, or deleted from, the index."""
    pending: int = 0
    """Documents whose jobs are still waiting (the index was busy or could not be written)."""
    rebuilt: int | None = None
    """Documents in the index when it had to be rebuilt whole (an outdated index schema)."""
    problem: str | None = None
    """Why jobs are still waiting, in the reader's language."""

    @property
    def in_step(self) -> bool:
        return self.pending == 0

    def note(self) -> str | None:
        """What the user should be told, or None when all went as it should."""
        if self.rebuilt is not None:
            return t(
                f"Chỉ mục tìm kiếm cũ đã được xây dựng lại từ kho ({self.rebuilt} văn bản).",
                f"The search index was outdated and was rebuilt from the store "
                f"({self.rebuilt} documents).",
            )
        if self.pending:
            return t(
                f"Kho đã lưu; chỉ mục tìm kiếm chưa cập nhật {self.pending} văn bản "
                f"({self.problem}). Tìm kiếm sẽ theo kịp ngay khi chỉ mục rảnh (lệnh sohoa kế "
                "tiếp tự cập nhật); trong lúc chờ, văn bản bị hạn chế hay đã xóa không hiện cho "
                "người không đủ quyền.",
                f"The store is saved; the search index has yet to take {self.pending} documents "
                f"({self.problem}). Search follows as soon as the index is free (the next sohoa "
                "command brings it in step); meanwhile restricted or removed documents are "
                "hidden from anyone not cleared for them.",
            )
        return None


def sync(archive: Archive, *, wait: float | None = None) -> SyncReport:
    """Apply the pending index jobs; wait at most `wait` seconds for the index writer.

    Never raises for an index that is busy or cannot be written: the jobs stay in the store
    and the report says so.
    """
    jobs = store.pending_jobs(archive, limit=JOBS_AT_ONCE)
    if not jobs:
        return SyncReport()
    wait = index_wait() if wait is None else wait
    try:
        backend = open_index(archive.index_dir)
    except IndexOutdated:
        return SyncReport(applied=len(jobs.doc_ids), rebuilt=rebuild(archive))
    except (ArchiveError, OSError) as exc:
        return _left(archive, exc)
    applied = 0
    deadline = time.monotonic() + wait
    try:
        with index_lock(archive.index_dir, shared=True, wait=wait):
            while jobs:
                try:
                    _apply(archive, backend, jobs.doc_ids)
                except IndexBusy:
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(0.2)
                    continue
                store.clear_jobs(archive, jobs.job_ids)
                applied += len(jobs.doc_ids)
                # Holding the writer: take what other commands left meanwhile, too.
                jobs = store.pending_jobs(archive, limit=JOBS_AT_ONCE)
    except Exception as exc:  # whatever fails, the jobs wait and access holds
        left = _left(archive, exc)
        return SyncReport(applied=applied, pending=left.pending, problem=left.problem)
    finally:
        backend.close()
    return SyncReport(applied=applied)


def _left(archive: Archive, exc: BaseException) -> SyncReport:
    problem = exc.message() if isinstance(exc, ArchiveError) else f"{type(exc).__name__}: {exc}"
    return SyncReport(pending=len(store.pending_jobs(archive).doc_ids), problem=problem)


def _apply(archive: Archive, backend: SearchBackend, doc_ids: Sequence[int]) -> None:
    """Bring these documents' index entries to the store's state, in one commit each way."""
    present = set(store.access_levels(archive, doc_ids))
    gone = [d for d in doc_ids if d not in present]
    if gone:
        backend.delete(gone)
    backend.replace(_current(archive, [d for d in doc_ids if d in present]))


def _current(archive: Archive, doc_ids: Sequence[int]) -> Iterator[IndexedDocument]:
    for doc_id in doc_ids:
        try:
            record = store.document(archive, doc_id)
            yield to_indexed(record, signatures.document_status(archive, doc_id))
        except NotFound:
            # Removed since it was looked up: its job is written with the removal, later.
            continue


def rebuild(archive: Archive, engine: str | None = None) -> int:
    """A new index from the store (no OCR), swapped in atomically; returns the document count.

    The jobs pending when it began are in what it read; those written while it ran are
    applied to the new index after the swap.
    """
    if engine is None:
        try:
            current = open_index(archive.index_dir)
            engine = current.engine
            current.close()
        except IndexOutdated:
            engine = "tantivy"
    before = store.pending_jobs(archive)
    count = rebuild_index(archive.index_dir, indexed_documents(archive), engine=engine)
    store.clear_jobs(archive, before.job_ids)
    sync(archive)
    return count


def repair(archive: Archive) -> tuple[int, VerifyReport, SyncReport]:
    """Compare the index with the store and bring only what differs in step, through the
    outbox (so what is being repaired is hidden as any pending change is): the cheap
    alternative to a rebuild after an index was restored from an older copy, say."""
    documents, report = verify(archive)
    if report.ok:
        return documents, report, SyncReport()
    store.enqueue(archive, [*report.missing, *report.stale, *report.extra], "repair")
    return documents, report, sync(archive)


def verify(archive: Archive) -> tuple[int, VerifyReport]:
    """Compare the index with the store without changing either: (documents, differences)."""
    expected = {
        rec.id: to_indexed(rec, signatures.document_status(archive, rec.id)).version
        for rec in store.iter_documents(archive)
    }
    return len(expected), verify_index(archive.index_dir, expected)
