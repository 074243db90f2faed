"""Reading and writing the archive: batches, files, pages, documents, failures, corrections."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive_store.db import Archive, RawReads
from archive_store.models import (
    Batch,
    Correction,
    Document,
    DocumentPage,
    Dossier,
    Failure,
    IndexJob,
    Meta,
    Page,
    SourceFile,
    utcnow,
)
from archive_store.records import (
    ArchiveStatus,
    DocumentRecord,
    FailureRecord,
    PageRef,
    StoredPage,
)
from archive_store.words import decode_words, encode_words
from ocr.second_opinion import searchable_alternates
from ocr.types import CleanupReport, PageResult, Word
from sohoa.access import AccessLevel, effective_level
from sohoa.errors import NotFound

IN_CHUNK = 500
"""Values per IN (...) list: a folder of thousands of page images is thousands of files, and
SQLite and PostgreSQL limit the parameters of one statement."""


def upsert_batch(archive: Archive, path: Path, manifest: dict | None = None) -> int:
    """The batch for this folder: the existing one when the folder was ingested before.

    The manifest is the one this run reads (None: the folder has none now), so that
    `sohoa reextract` later cuts the batch as its last run did.
    """
    key = str(path.resolve())
    with archive.session() as s:
        batch = s.scalar(select(Batch).where(Batch.path == key))
        if batch is None:
            batch = Batch(path=key, name=path.resolve().name, manifest=manifest)
            s.add(batch)
            s.flush()
        else:
            batch.manifest = manifest
        return batch.id


def batches(archive: Archive) -> list[tuple[int, str, dict | None]]:
    """Every batch: (id, folder, manifest as stored)."""
    with archive.reading() as s:
        return [(b.id, b.path, b.manifest) for b in s.scalars(select(Batch).order_by(Batch.id))]


def batch_files(archive: Archive, batch_id: int) -> list[tuple[str, str, int]]:
    """The scanned files a batch kept: (path in the batch, content hash, pages)."""
    with archive.reading() as s:
        rows = s.execute(
            select(SourceFile.rel_path, SourceFile.sha256, SourceFile.pages).where(
                SourceFile.batch_id == batch_id
            )
        )
        return [(r.rel_path, r.sha256, r.pages) for r in rows]


def batch_cut_key(archive: Archive, batch_id: int) -> str | None:
    with archive.reading() as s:
        return s.scalar(select(Batch.cut_key).where(Batch.id == batch_id))


def set_batch_cut_key(archive: Archive, batch_id: int, key: str) -> None:
    with archive.session() as s:
        s.execute(update(Batch).where(Batch.id == batch_id).values(cut_key=key))


def finish_batch(archive: Archive, batch_id: int) -> None:
    with archive.session() as s:
        s.execute(update(Batch).where(Batch.id == batch_id).values(finished_at=utcnow()))


@dataclasses.dataclass(frozen=True)
class KnownFile:
    """A scanned file as a batch recorded it."""

    rel_path: str
    sha256: str
    size: int
    mtime_ns: int | None
    """Modification time when it was hashed (None: recorded before schema 3)."""
    kind: str
    pages: int


def known_files(archive: Archive, batch_id: int) -> dict[str, KnownFile]:
    """The batch's recorded files by their path in the batch."""
    with archive.reading() as s:
        rows = s.scalars(select(SourceFile).where(SourceFile.batch_id == batch_id))
        return {
            r.rel_path: KnownFile(r.rel_path, r.sha256, r.size, r.mtime_ns, r.kind, r.pages)
            for r in rows
        }


def register_file(archive: Archive, batch_id: int, f: KnownFile) -> None:
    """Record a scanned file of the batch (idempotent; a changed file gets its new hash)."""
    register_files(archive, batch_id, [f])


def register_files(archive: Archive, batch_id: int, files: Sequence[KnownFile]) -> None:
    """Record files of the batch in one transaction (see register_file)."""
    with archive.session() as s:
        for f in files:
            row = s.scalar(
                select(SourceFile).where(
                    SourceFile.batch_id == batch_id, SourceFile.rel_path == f.rel_path
                )
            )
            if row is None:
                row = SourceFile(batch_id=batch_id, rel_path=f.rel_path)
                s.add(row)
            row.sha256, row.size, row.mtime_ns = f.sha256, f.size, f.mtime_ns
            row.kind, row.pages = f.kind, f.pages


def stored_pages(archive: Archive, sha256: str) -> set[int]:
    """Source pages (1-based) of this file content already stored."""
    return stored_pages_of(archive, [sha256])[sha256]


def stored_pages_of(archive: Archive, shas: Iterable[str]) -> dict[str, set[int]]:
    """For each file content, the source pages (1-based) already stored; few queries."""
    out: dict[str, set[int]] = {sha: set() for sha in shas}
    ordered = sorted(out)
    with archive.reading() as s:
        for start in range(0, len(ordered), IN_CHUNK):
            part = ordered[start : start + IN_CHUNK]
            rows = s.execute(select(Page.sha256, Page.source_page).where(Page.sha256.in_(part)))
            for sha, page in rows:
                out[sha].add(page)
    return out


def save_page(archive: Archive, sha256: str, source_page: int, result: PageResult) -> bool:
    """Store one page in its own transaction. False when it was already there (idempotent)."""
    try:
        with archive.session() as s:
            s.add(_page_row(sha256, source_page, result))
            _resolve_page_failures(s, sha256, source_page)
    except IntegrityError:
        return False
    return True


def save_pages(archive: Archive, pages: Sequence[tuple[str, int, PageResult]]) -> list[bool]:
    """Store pages in one transaction (one sync to disk for all: born-digital pages come in
    by the dozen a second); for each, False when it was already there (idempotent)."""
    if len(pages) == 1:
        return [save_page(archive, *pages[0])]
    try:
        with archive.session() as s:
            there = {
                (sha, n)
                for sha, n in s.execute(
                    select(Page.sha256, Page.source_page).where(
                        Page.sha256.in_({sha for sha, _, _ in pages})
                    )
                )
            }
            saved = []
            for sha256, source_page, result in pages:
                new = (sha256, source_page) not in there
                if new:
                    there.add((sha256, source_page))
                    s.add(_page_row(sha256, source_page, result))
                    _resolve_page_failures(s, sha256, source_page)
                saved.append(new)
        return saved
    except IntegrityError:
        # Another process stored one of them meanwhile (the same scan in two batches).
        return [save_page(archive, *page) for page in pages]


def _resolve_page_failures(s: Session, sha256: str, source_page: int) -> None:
    s.execute(
        update(Failure)
        .where(
            Failure.rel_path.in_(select(SourceFile.rel_path).where(SourceFile.sha256 == sha256)),
            Failure.source_page == source_page,
        )
        .values(resolved=True)
    )


def _page_row(sha256: str, source_page: int, result: PageResult) -> Page:
    return Page(
        sha256=sha256,
        source_page=source_page,
        text=result.text,
        words=encode_words(result.words),
        mean_confidence=result.mean_confidence,
        needs_review=result.needs_review,
        review_reasons=list(result.review_reasons),
        width=result.width,
        height=result.height,
        dpi=result.dpi,
        cleanup=dataclasses.asdict(result.cleanup),
        engine=result.engine,
        ocr_seconds=result.ocr_seconds,
        cleanup_seconds=result.cleanup_seconds,
    )


def page_text(archive: Archive, sha256: str, source_page: int) -> str:
    with archive.reading() as s:
        text = s.scalar(
            select(Page.text).where(Page.sha256 == sha256, Page.source_page == source_page)
        )
    return text or ""


def page_content(archive: Archive, sha256: str, source_page: int) -> tuple[str, tuple[Word, ...]]:
    """A stored page's text and words (with boxes), in one read."""
    with archive.reading() as s:
        row = s.execute(
            select(Page.text, Page.words).where(
                Page.sha256 == sha256, Page.source_page == source_page
            )
        ).first()
    if row is None:
        raise _no_page(sha256, source_page)
    return row.text, decode_words(row.words)


def purge_pages(archive: Archive, keys: Iterable[tuple[str, int]]) -> None:
    """Delete what OCR read of these pages (material that may not be kept)."""
    with archive.session() as s:
        for sha256, source_page in keys:
            s.execute(delete(Page).where(Page.sha256 == sha256, Page.source_page == source_page))


def forget_file(archive: Archive, sha256: str) -> None:
    """Remove a scanned file's original from the blob store and its file records."""
    with archive.session() as s:
        s.execute(delete(SourceFile).where(SourceFile.sha256 == sha256))
    archive.blobs.path_for(sha256).unlink(missing_ok=True)


def _no_page(sha256: str, source_page: int) -> NotFound:
    return NotFound(
        vi=f"Không có trang {source_page} của tệp {sha256[:12]}.",
        en=f"No page {source_page} of file {sha256[:12]}.",
    )


def page_results(archive: Archive, keys: Sequence[tuple[str, int]]) -> list[PageResult]:
    """The stored OCR of these pages, in this order, as the OCR stage produced it (no OCR).

    Pages that are not stored are left out.
    """
    wanted = set(keys)
    with archive.reading() as s:
        rows = {
            (p.sha256, p.source_page): p
            for p in s.scalars(select(Page).where(Page.sha256.in_({k[0] for k in wanted})))
            if (p.sha256, p.source_page) in wanted
        }
        return [_page_result(rows[k]) for k in keys if k in rows]


def _page_result(p: Page) -> PageResult:
    return PageResult(
        text=p.text,
        words=decode_words(p.words),
        mean_confidence=p.mean_confidence,
        needs_review=p.needs_review,
        review_reasons=tuple(p.review_reasons or ()),
        width=p.width,
        height=p.height,
        dpi=p.dpi,
        cleanup=_cleanup_report(p.cleanup or {}),
        engine=p.engine,
        ocr_seconds=p.ocr_seconds,
        cleanup_seconds=p.cleanup_seconds,
    )


def _cleanup_report(data: dict) -> CleanupReport:
    known = {f.name for f in dataclasses.fields(CleanupReport)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known
    }
    return CleanupReport(**values)


def record_failure(
    archive: Archive, batch_id: int, rel_path: str, source_page: int | None, vi: str, en: str
) -> None:
    """Record why an input could not be stored (one row per file and page, latest reason)."""
    with archive.session() as s:
        s.execute(
            delete(Failure).where(
                Failure.batch_id == batch_id,
                Failure.rel_path == rel_path,
                Failure.source_page.is_(None)
                if source_page is None
                else Failure.source_page == source_page,
            )
        )
        s.add(
            Failure(
                batch_id=batch_id,
                rel_path=rel_path,
                source_page=source_page,
                reason_vi=vi,
                reason_en=en,
            )
        )


def resolve_file_failures(archive: Archive, batch_id: int, rel_path: str) -> None:
    """A file that now reads: its file-level failure is resolved."""
    with archive.session() as s:
        s.execute(
            update(Failure)
            .where(
                Failure.batch_id == batch_id,
                Failure.rel_path == rel_path,
                Failure.source_page.is_(None),
            )
            .values(resolved=True)
        )


def failures(archive: Archive, batch_id: int | None = None) -> list[FailureRecord]:
    with archive.reading() as s:
        q = select(Failure).where(Failure.resolved.is_(False)).order_by(Failure.id)
        if batch_id is not None:
            q = q.where(Failure.batch_id == batch_id)
        return [
            FailureRecord(f.rel_path, f.source_page, f.reason_vi, f.reason_en) for f in s.scalars(q)
        ]


PUBLISHED_COPY = "published_copy"
"""Meta key of an archive that `sohoa publish` writes (the network copy)."""


def mark_published_copy(archive: Archive) -> None:
    with archive.session() as s:
        if s.get(Meta, PUBLISHED_COPY) is None:
            s.add(Meta(key=PUBLISHED_COPY, value="1"))


def is_published_copy(archive: Archive) -> bool:
    with archive.reading() as s:
        return s.get(Meta, PUBLISHED_COPY) is not None


def dossiers(archive: Archive) -> list[tuple[str, dict | None]]:
    """Every dossier: (code, details as the manifest gave them)."""
    with archive.reading() as s:
        return [(d.code, d.details) for d in s.scalars(select(Dossier).order_by(Dossier.id))]


def dossier_document_counts(archive: Archive) -> dict[str, int]:
    """How many documents each dossier holds, by its code."""
    with archive.reading() as s:
        rows = s.execute(
            select(Dossier.code, func.count(Document.id))
            .join(Document, Document.dossier_id == Dossier.id)
            .group_by(Dossier.code)
        )
        return {code: int(n) for code, n in rows}


def forget_documents(archive: Archive, doc_ids: Sequence[int]) -> None:
    """Delete these documents, their corrections and their index entries (a job each)."""
    ids = sorted(set(doc_ids))
    with archive.session() as s:
        for start in range(0, len(ids), IN_CHUNK):
            part = ids[start : start + IN_CHUNK]
            s.execute(delete(Correction).where(Correction.document_id.in_(part)))
            s.execute(delete(DocumentPage).where(DocumentPage.document_id.in_(part)))
            s.execute(delete(Document).where(Document.id.in_(part)))
            for doc_id in part:
                _job(s, doc_id, "removed")


def forget_loose_pages(archive: Archive) -> list[str]:
    """Delete the pages no document holds, and the files left without a page; returns those
    files' content hashes (their blobs are the caller's to remove). For the network copy
    only: in the internal archive, stored pages wait there for their cut."""
    with archive.session() as s:
        held = select(DocumentPage.id).where(
            DocumentPage.sha256 == Page.sha256, DocumentPage.source_page == Page.source_page
        )
        s.execute(delete(Page).where(~held.exists()))
        loose = list(
            s.scalars(
                select(SourceFile.sha256).where(
                    ~select(Page.id).where(Page.sha256 == SourceFile.sha256).exists()
                )
            )
        )
        s.execute(delete(SourceFile).where(SourceFile.sha256.in_(loose)))
        return loose


def ensure_dossier(archive: Archive, code: str, title: str | None, details: dict) -> int:
    with archive.session() as s:
        row = s.scalar(select(Dossier).where(Dossier.code == code))
        if row is None:
            row = Dossier(code=code, title=title, details=details)
            s.add(row)
            s.flush()
        else:
            row.title, row.details = title, details
        return row.id


@dataclasses.dataclass(frozen=True)
class NewDocument:
    """What the pipeline decided about one document: its pages in order and its metadata."""

    pages: tuple[PageRef, ...]
    title: str
    extracted: dict
    access_level: int

    def __post_init__(self) -> None:
        if not self.pages:
            raise ValueError("a document has at least one page")


@dataclasses.dataclass(frozen=True)
class Replaced:
    ids: list[int]
    """The documents, in the order given."""
    removed: list[int]
    """Documents that no longer exist (to take out of the search index)."""


def replace_documents(
    archive: Archive,
    batch_id: int,
    scope: Sequence[PageRef],
    documents: Sequence[NewDocument],
    dossier_id: int | None = None,
) -> Replaced:
    """Set the documents cut from a run of pages (one scanned file, or a folder's page images).

    A document keeps its id while it starts on the same page. Documents that started on, or
    held, a page of `scope` and no longer exist are removed, unless a person corrected them
    (then they are kept for review).
    """
    keys = {r.key for r in scope}
    shas = {r.sha256 for r in scope}
    with archive.session() as s:
        existing: dict[tuple[str, int], Document] = {}
        ordered = sorted(shas)
        for start in range(0, len(ordered), IN_CHUNK):
            part = ordered[start : start + IN_CHUNK]
            for old in s.scalars(select(Document).where(Document.sha256.in_(part))):
                if (old.sha256, old.first_page) in keys:
                    existing[old.sha256, old.first_page] = old
            holding = select(DocumentPage.document_id).where(DocumentPage.sha256.in_(part))
            for old in s.scalars(select(Document).where(Document.id.in_(holding))):
                if any((p.sha256, p.source_page) in keys for p in old.pages):
                    existing.setdefault((old.sha256, old.first_page), old)
        ids: list[int] = []
        for new in documents:
            first = new.pages[0]
            doc = existing.pop(first.key, None)
            before = _state(doc)
            if doc is None:
                doc = Document(batch_id=batch_id, sha256=first.sha256, first_page=first.source_page)
                s.add(doc)
            # The batch that delivered the pages last owns the document (a scan delivered again
            # in another box moves with its dossier).
            doc.batch_id = batch_id
            doc.source_path = first.source_path
            doc.last_page = new.pages[-1].source_page
            doc.title = new.title
            doc.extracted = new.extracted
            doc.dossier_id = dossier_id
            # A person's access decision is a correction and wins (see effective access).
            doc.access_level = new.access_level
            _set_pages(doc, new.pages)
            s.flush()
            if _state(doc) != before:
                # The index follows in the same transaction's outbox (nothing new: no job).
                _job(s, doc.id, "added" if before is None else "recut")
            ids.append(doc.id)
        removed = []
        for stale in existing.values():
            if not stale.corrections:
                removed.append(stale.id)
                _job(s, stale.id, "removed")
                s.delete(stale)
        return Replaced(ids, removed)


def _state(doc: Document | None) -> tuple | None:
    """What the index shows of a stored document (to tell whether a re-cut changed it)."""
    if doc is None:
        return None
    pages = tuple((p.sha256, p.source_page, p.source_path) for p in doc.pages)
    return (doc.batch_id, doc.title, doc.extracted, doc.access_level, doc.dossier_id, pages)


def _job(s: Session, doc_id: int, reason: str) -> None:
    s.add(IndexJob(document_id=doc_id, reason=reason))


def _set_pages(doc: Document, pages: Sequence[PageRef]) -> None:
    """List the document's pages, changing rows in place (no churn when nothing moved)."""
    rows = list(doc.pages)
    for ordinal, ref in enumerate(pages, 1):
        if ordinal <= len(rows):
            row = rows[ordinal - 1]
            row.sha256, row.source_page, row.source_path = (
                ref.sha256,
                ref.source_page,
                ref.source_path,
            )
        else:
            doc.pages.append(
                DocumentPage(
                    ordinal=ordinal,
                    sha256=ref.sha256,
                    source_page=ref.source_page,
                    source_path=ref.source_path,
                )
            )
    del doc.pages[len(pages) :]


def add_correction(archive: Archive, doc_id: int, field: str, value: str | None, who: str) -> None:
    add_corrections(archive, doc_id, {field: value}, who)


def add_corrections(
    archive: Archive, doc_id: int, changes: dict[str, str | None], who: str
) -> None:
    """Store a person's corrections of one document and its index job: all or nothing."""
    with archive.session() as s:
        if s.get(Document, doc_id) is None:
            raise _no_document(doc_id)
        for field, value in changes.items():
            s.add(Correction(document_id=doc_id, field=field, value=value, who=who))
        _job(s, doc_id, "corrected")


def set_access_level(archive: Archive, doc_id: int, level: int) -> None:
    with archive.session() as s:
        s.execute(update(Document).where(Document.id == doc_id).values(access_level=level))
        _job(s, doc_id, "corrected")


# -- the index outbox ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PendingJobs:
    """Index jobs not applied yet: the documents to bring in step, and the jobs read."""

    doc_ids: tuple[int, ...]
    job_ids: tuple[int, ...]
    """The jobs read, to delete once applied: exactly these, never a range of ids, since on
    PostgreSQL a lower id may still commit later (ids are drawn when a row is written)."""
    reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    """How many jobs of each reason (added, recut, removed, corrected)."""

    def __bool__(self) -> bool:
        return bool(self.doc_ids)


def pending_jobs(archive: Archive, limit: int | None = None) -> PendingJobs:
    """The documents whose index entries lag behind the store, oldest job first."""
    with archive.reading() as s:
        q = select(IndexJob.id, IndexJob.document_id, IndexJob.reason).order_by(IndexJob.id)
        if limit is not None:
            q = q.limit(limit)
        rows = s.execute(q).all()
    reasons: dict[str, int] = {}
    for row in rows:
        reasons[row.reason] = reasons.get(row.reason, 0) + 1
    return PendingJobs(
        doc_ids=tuple(dict.fromkeys(r.document_id for r in rows)),
        job_ids=tuple(r.id for r in rows),
        reasons=reasons,
    )


def enqueue(archive: Archive, doc_ids: Iterable[int], reason: str) -> None:
    """Index jobs for these documents (whatever their state: the index reads the store)."""
    with archive.session() as s:
        for doc_id in sorted(set(doc_ids)):
            _job(s, doc_id, reason)


def clear_jobs(archive: Archive, job_ids: Iterable[int]) -> None:
    """These jobs were applied: the index holds the state the store had after each of them
    (a job commits with its change, and the state is read after the job)."""
    ids = sorted(set(job_ids))
    with archive.session() as s:
        for start in range(0, len(ids), IN_CHUNK):
            s.execute(delete(IndexJob).where(IndexJob.id.in_(ids[start : start + IN_CHUNK])))


def access_levels(archive: Archive, doc_ids: Iterable[int]) -> dict[int, AccessLevel]:
    """Each existing document's access level now, corrections winning; absent ones left out."""
    with archive.raw_reads() as reads:
        return _levels(reads, doc_ids)


# The reads every search and page-image request makes, as plain SQL on the driver's cursor
# (Archive.raw_reads): SQLAlchemy's work around a statement cost more than the statement.
_LEVELS = "SELECT id, access_level FROM document WHERE id IN "
_MARKS = "SELECT document_id, value FROM correction WHERE field = 'do_mat' AND document_id IN "
_PENDING = "SELECT DISTINCT document_id FROM index_job"
_PLACES = (
    "SELECT dp.document_id, dp.source_path, dp.source_page FROM document_page dp"
    " JOIN page p ON p.sha256 = dp.sha256 AND p.source_page = dp.source_page"
    " WHERE dp.document_id IN "
)


def _levels(reads: RawReads, doc_ids: Iterable[int]) -> dict[int, AccessLevel]:
    ids = sorted(set(doc_ids))
    out: dict[int, AccessLevel] = {}
    for start in range(0, len(ids), IN_CHUNK):
        part = ids[start : start + IN_CHUNK]
        within = reads.in_(len(part))
        stored: dict[int, int] = dict(reads.rows(_LEVELS + within, part))
        marks: dict[int, dict[str, str | None]] = {}
        for doc_id, value in reads.rows(_MARKS + within + " ORDER BY id", part):
            marks[doc_id] = {"do_mat": value}  # the latest correction wins
        for doc_id, level in stored.items():
            out[doc_id] = effective_level(level, marks.get(doc_id, {}))
    return out


def _hidden(reads: RawReads, clearance: int) -> set[int]:
    pending = {doc_id for (doc_id,) in reads.rows(_PENDING)}
    if not pending:
        return set()
    levels = _levels(reads, pending)
    return {d for d in pending if d not in levels or levels[d] > clearance}


def hidden_while_pending(archive: Archive, clearance: int) -> set[int]:
    """Documents with a pending index job that `clearance` may not see now, or that are gone.

    The index may still hold their old entries (public, or existing): searches exclude them
    inside the engine query until the job is applied.
    """
    with archive.raw_reads() as reads:
        return _hidden(reads, clearance)


def visible(archive: Archive, doc_ids: Iterable[int], clearance: int) -> set[int]:
    """Those of these documents that exist and that `clearance` may see, per the store now."""
    return {d for d, level in access_levels(archive, doc_ids).items() if level <= clearance}


@dataclasses.dataclass(frozen=True)
class HitCheck:
    """What the store says now of a search's hits, read in one transaction."""

    visible: set[int]
    """The hits that exist and that the clearance may see."""
    hidden: set[int]
    """Documents with a pending job that the clearance may not see (hidden_while_pending)."""
    places: dict[int, list[tuple[str, int]]]
    """Where each visible hit's pages lie (page_places), when asked for."""


def check_hits(
    archive: Archive, doc_ids: Sequence[int], clearance: int, *, places: bool = False
) -> HitCheck:
    """The store's word on a search's hits: which it may show, which pending jobs hide now,
    and (`places`) where the visible hits' pages lie; one read, so they agree."""
    with archive.raw_reads() as reads:
        seen = {d for d, level in _levels(reads, doc_ids).items() if level <= clearance}
        hidden = _hidden(reads, clearance)
        shown = [d for d in doc_ids if d in seen]
        return HitCheck(seen, hidden, _places(reads, shown) if places else {})


def document(archive: Archive, doc_id: int, *, with_pages: bool = True) -> DocumentRecord:
    with archive.reading() as s:
        doc = s.get(Document, doc_id)
        if doc is None:
            raise _no_document(doc_id)
        return _record(s, doc, with_pages)


def iter_documents(
    archive: Archive, *, batch_id: int | None = None, with_pages: bool = True, chunk: int = 200
) -> Iterator[DocumentRecord]:
    """All documents (of one batch), in id order, streamed in chunks to bound memory."""
    last = 0
    while True:
        with archive.reading() as s:
            q = select(Document).where(Document.id > last).order_by(Document.id).limit(chunk)
            if batch_id is not None:
                q = q.where(Document.batch_id == batch_id)
            rows = list(s.scalars(q))
            records = [_record(s, d, with_pages) for d in rows]
        if not records:
            return
        yield from records
        last = records[-1].id


@dataclasses.dataclass(frozen=True)
class PageAt:
    """A document's access level now and its `number`-th stored page (None past the end)."""

    access: AccessLevel
    page: PageRef | None
    pages: int
    """How many stored pages the document has (counted only when `page` is None)."""


_NTH_PAGE = (
    "SELECT dp.sha256, dp.source_page, dp.source_path FROM document_page dp"
    " JOIN page p ON p.sha256 = dp.sha256 AND p.source_page = dp.source_page"
    " WHERE dp.document_id = ? ORDER BY dp.ordinal LIMIT 1 OFFSET ?"
)
_PAGE_COUNT = (
    "SELECT count(*) FROM document_page dp"
    " JOIN page p ON p.sha256 = dp.sha256 AND p.source_page = dp.source_page"
    " WHERE dp.document_id = ?"
)


def page_at(archive: Archive, doc_id: int, number: int) -> PageAt | None:
    """The document's current access level (corrections winning) and its `number`-th stored
    page (1-based, as `show` counts them), in one read; None if there is no such document."""
    with archive.raw_reads() as reads:
        level = _levels(reads, [doc_id]).get(doc_id)
        if level is None:
            return None
        rows = reads.rows(_NTH_PAGE, (doc_id, number - 1))
        if rows:
            return PageAt(level, PageRef(*rows[0]), 0)
        return PageAt(level, None, int(reads.rows(_PAGE_COUNT, (doc_id,))[0][0] or 0))


def page_places(archive: Archive, doc_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    """For each document, where its pages 1, 2, ... lie: (scanned file, page within it)."""
    if not doc_ids:
        return {}
    with archive.raw_reads() as reads:
        return _places(reads, doc_ids)


def _places(reads: RawReads, doc_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    places: dict[int, list[tuple[str, int]]] = {d: [] for d in doc_ids}
    if not places:
        return places
    ids = list(places)
    for start in range(0, len(ids), IN_CHUNK):
        part = ids[start : start + IN_CHUNK]
        sql = _PLACES + reads.in_(len(part)) + " ORDER BY dp.document_id, dp.ordinal"
        for doc_id, path, page in reads.rows(sql, part):
            places[doc_id].append((path, page))
    return places


def batch_document_ids(archive: Archive, batch_id: int) -> list[int]:
    with archive.reading() as s:
        return list(
            s.scalars(
                select(Document.id).where(Document.batch_id == batch_id).order_by(Document.id)
            )
        )


def status(archive: Archive) -> ArchiveStatus:
    with archive.reading() as s:

        def count(q: Any) -> int:
            return int(s.scalar(q) or 0)

        return ArchiveStatus(
            batches=count(select(func.count(Batch.id))),
            files=count(select(func.count(SourceFile.id))),
            pages=count(select(func.count(Page.id))),
            pages_needing_review=count(select(func.count(Page.id)).where(Page.needs_review)),
            documents=count(select(func.count(Document.id))),
            failures=count(select(func.count(Failure.id)).where(Failure.resolved.is_(False))),
        )


def _record(s: Session, doc: Document, with_pages: bool) -> DocumentRecord:
    corrections: dict[str, str | None] = {c.field: c.value for c in doc.corrections}
    pages: tuple[StoredPage, ...] = ()
    if with_pages:
        rows = s.execute(
            select(DocumentPage.source_path, Page)
            .join(
                Page,
                (Page.sha256 == DocumentPage.sha256)
                & (Page.source_page == DocumentPage.source_page),
            )
            .where(DocumentPage.document_id == doc.id)
            .order_by(DocumentPage.ordinal)
        )
        pages = tuple(
            StoredPage(
                sha256=p.sha256,
                source_page=p.source_page,
                text=p.text,
                mean_confidence=p.mean_confidence,
                needs_review=p.needs_review,
                review_reasons=tuple(p.review_reasons or ()),
                source_path=path,
                alternates=searchable_alternates(decode_words(p.words)),
            )
            for path, p in rows
        )
    dossier_code = None
    if doc.dossier_id is not None:
        dossier_code = s.scalar(select(Dossier.code).where(Dossier.id == doc.dossier_id))
    return DocumentRecord(
        id=doc.id,
        batch_id=doc.batch_id,
        title=doc.title,
        source_path=doc.source_path,
        sha256=doc.sha256,
        first_page=doc.first_page,
        last_page=doc.last_page,
        access_level=doc.access_level,
        extracted=dict(doc.extracted or {}),
        corrections=corrections,
        pages=pages,
        dossier_code=dossier_code,
    )


def _no_document(doc_id: int) -> NotFound:
    return NotFound(
        vi=f"Không có văn bản số {doc_id} trong kho. Dùng `sohoa search` để tìm mã văn bản.",
        en=f"No document {doc_id} in the archive. Use `sohoa search` to find document ids.",
    )
