"""Ingesting a batch, top to bottom: triage, per-page OCR, store, documents, index, report."""

from __future__ import annotations

import functools
import os
import posixpath
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from rapidfuzz import process

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.records import FailureRecord, PageRef
from ocr.loader import DEFAULT_MAX_PIXELS, inspect_scan
from ocr.page import ocr_page
from ocr.tesseract import check_tesseract
from ocr.types import PageResult
from pipeline import indexing
from pipeline.discover import PageTask, batch_order, batch_path_of, discover
from pipeline.documents import Cut, Stream, build_documents
from pipeline.executor import Executor, make_executor
from pipeline.manifest import Manifest, find_manifest, load_manifest
from sohoa.access import AccessLevel
from sohoa.errors import InputError, ManifestError, SohoaError
from sohoa.i18n import t


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
class Progress:
    """Where the batch stands, for a progress bar."""

    done: int
    total: int
    elapsed: float


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
        }


@dataclass
class ScanFile:
    """A scanned file of the batch, stored: its path in the batch, content hash and pages."""

    rel_path: str
    sha256: str
    pages: int


def ingest(
    archive: Archive,
    batch_dir: Path,
    options: IngestOptions,
    on_progress: Callable[[Progress], None] | None = None,
) -> IngestReport:
    """Store every page of the batch once; resumable after a crash by running it again."""
    check_tesseract(options.lang)
    if not batch_dir.is_dir():
        raise InputError(
            vi=f"Không tìm thấy thư mục lô quét {batch_dir}. Kiểm tra lại đường dẫn.",
            en=f"Batch folder {batch_dir} not found. Check the path.",
        )
    manifest = _manifest(batch_dir, options.manifest)
    # Before any work: a cluster that does not answer stops the run here.
    executor = make_executor(options.workers, options.scheduler)
    try:
        return _ingest(archive, batch_dir, options, manifest, executor, on_progress)
    finally:
        executor.close()


def _ingest(
    archive: Archive,
    batch_dir: Path,
    options: IngestOptions,
    manifest: Manifest | None,
    executor: Executor,
    on_progress: Callable[[Progress], None] | None,
) -> IngestReport:
    batch_id = store.upsert_batch(archive, batch_dir, manifest.as_dict() if manifest else None)
    dossier_id = dossier_for(archive, manifest)

    # Triage: hash, identify and keep each original before any OCR.
    paths = discover(batch_dir)
    if manifest:
        _check_manifest_paths(manifest, [batch_path_of(p, batch_dir) for p in paths])
    files, duplicates, unreadable = _triage(archive, batch_id, batch_dir, paths)
    failed_files = len(unreadable)
    streams = plan_streams(list(files.values()), unreadable, manifest=manifest)
    tasks: list[PageTask] = []
    skipped = sum(pages for _, _, pages in duplicates)
    for f in files.values():
        already = store.stored_pages(archive, f.sha256)
        skipped += len(already & set(range(1, f.pages + 1)))
        for n in range(1, f.pages + 1):
            if n not in already:
                tasks.append(PageTask(archive.blobs.path_for(f.sha256), f.rel_path, f.sha256, n))
    total = skipped + len(tasks) + failed_files

    # Per-page work in workers; the parent alone writes, one transaction per page, and cuts the
    # documents as their pages come in.
    cutter = _Cutter(archive, batch_id, streams, manifest, dossier_id, tasks)
    done = failed = 0
    started = time.monotonic()
    work = functools.partial(_ocr_task, lang=options.lang, max_pixels=options.max_pixels)
    if on_progress:
        on_progress(Progress(skipped, total, 0.0))
    for outcome in executor.run(work, tasks):
        task = outcome.task
        if outcome.error is None and outcome.result is not None:
            if store.save_page(archive, task.sha256, task.source_page, outcome.result):
                done += 1
            else:
                skipped += 1
        else:
            failed += 1
            vi, en = _explain(outcome.error, task)
            store.record_failure(archive, batch_id, task.rel_path, task.source_page, vi, en)
        cutter.page_in(task)
        if on_progress:
            elapsed = time.monotonic() - started
            on_progress(Progress(done + skipped + failed + failed_files, total, elapsed))
    cutter.finish()
    refused, removed = cutter.refused, cutter.removed
    doc_ids = tuple(store.batch_document_ids(archive, batch_id))
    note = indexing.update(archive, doc_ids, removed=removed)
    store.finish_batch(archive, batch_id)
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


def dossier_for(archive: Archive, manifest: Manifest | None) -> int | None:
    """The dossier the manifest names (created or brought up to date), if it names one."""
    if manifest is None or not manifest.ho_so_code:
        return None
    return store.ensure_dossier(
        archive, manifest.ho_so_code, manifest.ho_so_title, manifest.as_dict()
    )


class _Cutter:
    """Cuts each stream into documents as its pages come in.

    A stream is cut whole once its last page is in. Before that, a long run of page images is
    cut in steps over the pages read in a row so far, storing the documents that the next one
    has closed: they are in the store during the batch and survive a crash. The steps grow with
    the open part (32, 64, 128... pages), so a run without cues costs O(pages) reads, not
    O(pages²). What was cut goes into the search index every INDEX_EVERY seconds, so a long
    batch is searchable as it goes. Streams with nothing left to read are cut at the end too:
    an earlier run may have stopped before cutting them, or the manifest may have changed.
    """

    STEP = 32
    INDEX_EVERY = 60.0
    """Seconds between index updates during a run: documents cut so far become searchable."""

    def __init__(
        self,
        archive: Archive,
        batch_id: int,
        streams: Sequence[Stream],
        manifest: Manifest | None,
        dossier_id: int | None,
        tasks: Sequence[PageTask],
    ) -> None:
        self.archive, self.batch_id, self.streams = archive, batch_id, streams
        self.manifest, self.dossier_id = manifest, dossier_id
        self.refused = 0
        self.removed: list[int] = []
        self._where = {
            r.key: (i, k) for i, st in enumerate(streams) for k, r in enumerate(st.pages)
        }
        self._waiting: list[set[int]] = [set() for _ in streams]
        for task in tasks:
            i, k = self._where[task.sha256, task.source_page]
            self._waiting[i].add(k)
        self._in_a_row = [0] * len(streams)  # pages before it are all in
        self._open_at = [0] * len(streams)  # where the document still open starts
        self._tried_at = [0] * len(streams)  # _in_a_row at the last step
        self._whole: set[int] = set()  # streams cut whole in this run
        self._unindexed: set[int] = set()  # stored since the last index update
        self._gone: set[int] = set()  # removed since then
        self._indexed_at = time.monotonic()

    def page_in(self, task: PageTask) -> None:
        """A page was stored, or failed: cut what is due."""
        i, k = self._where[task.sha256, task.source_page]
        waiting = self._waiting[i]
        waiting.discard(k)
        if not waiting:
            self._cut(i, self.streams[i])
            self._whole.add(i)
            return
        stream, row = self.streams[i], self._in_a_row[i]
        while row < len(stream.pages) and row not in waiting:
            row += 1
        self._in_a_row[i] = row
        # The next step waits for as many new pages as the open part held at the last one.
        step = max(self.STEP, self._tried_at[i] - self._open_at[i])
        if not stream.fixed and row - self._tried_at[i] >= step:
            self._tried_at[i] = row
            part = Stream(stream.name, stream.pages[self._open_at[i] : row])
            cut = self._cut(i, part, closed_only=True)
            if cut.open_at is not None:
                self._open_at[i] += cut.open_at

    def finish(self) -> None:
        for i, stream in enumerate(self.streams):
            if i not in self._whole:
                self._cut(i, stream)

    def _cut(self, i: int, stream: Stream, *, closed_only: bool = False) -> Cut:
        cut = build_documents(
            self.archive,
            self.batch_id,
            stream,
            self.manifest,
            self.dossier_id,
            closed_only=closed_only,
        )
        self.refused += cut.refused
        self.removed += cut.removed
        self._unindexed.update(cut.ids)
        self._unindexed.difference_update(cut.removed)
        self._gone.update(cut.removed)
        if time.monotonic() - self._indexed_at >= self.INDEX_EVERY:
            # The end of the run indexes the whole batch; this only makes it searchable sooner.
            indexing.update(self.archive, sorted(self._unindexed), removed=sorted(self._gone))
            self._unindexed.clear()
            self._gone.clear()
            self._indexed_at = time.monotonic()
        return cut


def _ocr_task(task: PageTask, *, lang: str, max_pixels: int) -> PageResult:
    """Runs in a worker process (here, or on a cluster machine): OCR one page of the stored
    original."""
    if not task.path.is_file():
        # On a cluster: the worker's machine does not see the archive's blob folder.
        host, blobs = socket.gethostname(), task.path.parents[2]  # blobs/ab/cd/<sha>
        raise InputError(
            vi=f"{task.rel_path}, trang {task.source_page}: máy OCR {host} không thấy bản gốc đã "
            f"lưu trong {blobs}. Thư mục blobs của kho phải được gắn cùng đường dẫn trên mọi máy "
            "chạy `dask worker`; sửa rồi chạy lại lệnh.",
            en=f"{task.rel_path}, page {task.source_page}: the OCR machine {host} does not see the "
            f"stored original in {blobs}. The archive's blobs folder must be mounted at the same "
            "path on every machine running `dask worker`; fix that and run again.",
        )
    return ocr_page(task.path, task.source_page - 1, lang=lang, max_pixels=max_pixels)


def _manifest(batch_dir: Path, explicit: Path | None) -> Manifest | None:
    path = explicit or find_manifest(batch_dir)
    if path is None:
        return None
    manifest = load_manifest(path)
    if manifest.access_level == AccessLevel.tuyet_mat and not manifest.tuyet_mat_approved:
        raise ManifestError(
            vi=f"{path}: lô tài liệu Tuyệt mật không được số hóa khi chưa có phê duyệt. "
            "Thêm tuyet_mat_approved = true kèm căn cứ phê duyệt vào manifest.",
            en=f"{path}: Top-secret (Tuyệt mật) material is not digitized without approval. "
            "Add tuyet_mat_approved = true with the approval reference to the manifest.",
        )
    return manifest


MISSING = "missing:"
"""Content hash of a placeholder page: a file of the batch that could not be read."""


def plan_streams(
    files: Sequence[ScanFile], missing: Sequence[str] = (), *, manifest: Manifest | None
) -> list[Stream]:
    """How the batch's files are read into documents, in the batch's order.

    A multi-page file is cut on its own. The single-page scans that follow one another in a
    folder are one run of pages, cut into documents by first- and last-page cues, so that a
    dossier delivered as page images becomes its documents. A folder given page ranges in the
    manifest is one run of all its pages; `moi_tep_mot_van_ban` keeps every file on its own.
    The `missing` files (unreadable) hold a page that is never stored: the cut knows a page
    was there, and its place counts in the manifest's ranges.
    """
    if missing:
        placeholders = [ScanFile(rel, MISSING + rel, 1) for rel in missing]
        files = sorted([*files, *placeholders], key=lambda f: batch_order(f.rel_path))
    ranges = manifest.page_ranges if manifest else {}
    alone = manifest.moi_tep_mot_van_ban if manifest else False

    def kind(f: ScanFile) -> tuple[str, str]:
        folder = posixpath.dirname(f.rel_path) or "."
        if folder in ranges:
            return "folder", folder
        if f.pages == 1 and not alone and f.rel_path not in ranges:
            return "run", folder
        return "file", f.rel_path

    # Discovery lists a folder's files together (see discover), so each group is contiguous.
    streams = []
    for (what, name), group in groupby(files, kind):
        members = list(group)
        pages = tuple(
            PageRef(f.sha256, n, f.rel_path) for f in members for n in range(1, f.pages + 1)
        )
        if what == "folder":
            streams.append(Stream(name, pages, ranges[name]))
        elif what == "run" and len(members) > 1:
            streams.append(Stream(name, pages))
        else:
            streams.append(Stream(members[0].rel_path, pages, ranges.get(members[0].rel_path)))
    return streams


def _check_manifest_paths(manifest: Manifest, rel_paths: Sequence[str]) -> None:
    """Every file or folder the manifest's page ranges name must be in the batch."""
    files = set(rel_paths)
    folders = {posixpath.dirname(r) or "." for r in rel_paths}
    for name in manifest.page_ranges:
        if name in folders:
            inside = sorted(
                r for r in files if posixpath.dirname(r) == name and r in manifest.page_ranges
            )
            if inside:
                raise ManifestError(
                    vi=f"{_where(manifest)}: page_ranges cho cả thư mục {name!r} và tệp "
                    f"{inside[0]!r} trong đó; chỉ ghi một trong hai.",
                    en=f"{_where(manifest)}: page_ranges given for the folder {name!r} and for "
                    f"the file {inside[0]!r} in it; give only one of them.",
                )
        elif name not in files:
            near = process.extractOne(name, sorted(files | folders), score_cutoff=70)
            hint_vi = f" Có phải ý bạn là {near[0]!r}?" if near else ""
            hint_en = f" Did you mean {near[0]!r}?" if near else ""
            raise ManifestError(
                vi=f"{_where(manifest)}: page_ranges nêu {name!r}, nhưng lô không có tệp hay "
                f"thư mục đó.{hint_vi}",
                en=f"{_where(manifest)}: page_ranges names {name!r}, which is neither a file nor "
                f"a folder of the batch.{hint_en}",
            )


def _where(manifest: Manifest) -> str:
    return manifest.path.name if manifest.path else "sohoa.toml"


def _triage(
    archive: Archive, batch_id: int, batch_dir: Path, paths: Sequence[Path]
) -> tuple[dict[str, ScanFile], list[tuple[str, str, int]], list[str]]:
    """Hash, identify and store each scan; unreadable files become failures.

    Returns the files by content hash, the duplicates (file, same as, pages) and the files that
    could not be read.
    """
    files: dict[str, ScanFile] = {}
    duplicates: list[tuple[str, str, int]] = []
    failed: list[str] = []
    for path in paths:
        rel = batch_path_of(path, batch_dir)
        try:
            info = inspect_scan(path)
            sha = sha256_file(path)
        except InputError as exc:
            # Name the file as the clerk knows it: its path inside the batch.
            vi, en = (
                m.replace(path.name, rel, 1) if m.startswith(path.name) else f"{rel}: {m}"
                for m in (exc.vi, exc.en)
            )
            store.record_failure(archive, batch_id, rel, None, vi, en)
            failed.append(rel)
            continue
        except OSError as exc:
            store.record_failure(
                archive,
                batch_id,
                rel,
                None,
                f"Không đọc được tệp {rel}: {exc.strerror}. Kiểm tra quyền đọc hoặc ổ đĩa.",
                f"Cannot read {rel}: {exc.strerror}. Check read permission or the drive.",
            )
            failed.append(rel)
            continue
        store.resolve_file_failures(archive, batch_id, rel)
        archive.blobs.put(path, sha)
        store.register_file(archive, batch_id, rel, sha, path.stat().st_size, info.kind, info.pages)
        if sha in files:
            duplicates.append((rel, files[sha].rel_path, info.pages))
            continue
        files[sha] = ScanFile(rel, sha, info.pages)
    return files, duplicates, failed


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
