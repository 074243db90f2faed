"""The network copy: an archive of its own holding only what may be published, nothing else.

Secret material does not go on networked computers (Law on Protection of State Secrets, 2018),
so the network gets a copy, not the internal archive behind a filter. A document is published
when the store says it is công khai now (corrections winning) and its dossier's regime (chế độ
sử dụng) is "Công khai" or not given. For each such document the copy holds its metadata, the
text and word boxes of its pages, each page's use copy (upright, at reading resolution; never
the original scan) as a page image of its own, and an index built from the copy alone. Of any
other document it holds nothing: not a row, not an index term, not a file. Removed documents
are deleted, the database is vacuumed (SQLite keeps deleted rows in free pages otherwise) and
the index is rebuilt whole, so a document reclassified Mật leaves no trace at the next publish.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.records import DocumentRecord, PageRef, StoredPage
from ocr.types import CleanupReport, PageResult
from pipeline import indexing
from pipeline.documents import to_indexed
from sohoa.access import AccessLevel, effective_level
from sohoa.errors import ArchiveError

READING_EDGE = 1600
"""Long edge, in pixels, of a published page image (reading resolution)."""
STATE = "publish-state.json"
"""Beside the copy's database: internal document id -> (its version, the copy's id)."""
PUBLIC_REGIMES = (None, "", "Công khai")
"""Dossier regimes (chế độ sử dụng) whose công khai documents are published."""
DOSSIER_KEYS = ("phong", "muc_luc", "hop", "ho_so_code", "ho_so_title", "thoi_gian")
"""What the copy keeps of a dossier's manifest: its place and title, nothing else."""


@dataclass(frozen=True)
class PublishReport:
    """What one publish did to the network copy."""

    path: Path
    published: int
    """Documents in the copy now."""
    added: int
    updated: int
    removed: int
    pages: int
    """Page images in the copy."""
    seconds: float

    def as_json(self) -> dict:
        return {
            k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()
        }


def check_not_a_copy(archive: Archive) -> None:
    """The network copy is written by `sohoa publish` alone: a change made in it would be
    lost at the next publish (and could hold what the internal archive since restricted)."""
    if store.is_published_copy(archive):
        raise ArchiveError(
            vi=f"{archive.root} là bản công bố (do `sohoa publish` ghi), chỉ để đọc. Sửa trong "
            "kho nội bộ rồi chạy lại `sohoa publish`.",
            en=f"{archive.root} is a published copy (written by `sohoa publish`), read-only. "
            "Make the change in the internal archive and run `sohoa publish` again.",
        )


def publishable(archive: Archive) -> Iterator[DocumentRecord]:
    """The documents the network may have, per the store now."""
    regimes = {code: (details or {}).get("che_do_su_dung") for code, details in _dossiers(archive)}
    for record in store.iter_documents(archive):
        if effective_level(record.access_level, record.corrections) != AccessLevel.cong_khai:
            continue
        if record.dossier_code is not None and regimes.get(record.dossier_code) not in (
            PUBLIC_REGIMES
        ):
            continue
        yield record


def publish(archive: Archive, target: Path) -> PublishReport:
    """Bring the network copy in `target` in step with what may be published now."""
    from web.images import use_copy  # the server's use copies, cached in the internal store

    started = time.monotonic()
    check_not_a_copy(archive)  # a copy of a copy would publish what was never checked here
    if target.resolve() == archive.root:
        raise ArchiveError(
            vi="Bản công bố phải ở thư mục khác kho nội bộ.",
            en="The published copy must be in another folder than the internal archive.",
        )
    state_file = target / STATE
    state: dict[str, list] = json.loads(state_file.read_text()) if state_file.exists() else {}
    copy = Archive(target, db_url=f"sqlite:///{target.resolve()}/archive.db")
    added = updated = 0
    try:
        store.mark_published_copy(copy)
        batch = store.upsert_batch(copy, target)
        wanted: dict[str, list] = {}
        for record in publishable(archive):
            version = to_indexed(record).version
            key = str(record.id)
            old = state.get(key)
            if old is not None and old[0] == version:
                wanted[key] = old
                continue
            made = [
                _page(archive, copy, p, use_copy(archive, p.sha256, p.source_page, READING_EDGE))
                for p in record.pages
            ]
            # One transaction for the document's pages, one for their files: each commit
            # syncs the copy's database to disk.
            store.save_pages(copy, [(f.sha256, 1, result) for f, result in made])
            store.register_files(copy, batch, [f for f, _ in made])
            refs = [PageRef(f.sha256, 1, f.rel_path) for f, _ in made]
            dossier = _dossier(archive, copy, record.dossier_code)
            new = store.NewDocument(tuple(refs), record.title, dict(record.extracted), 0)
            (copy_id,) = store.replace_documents(copy, batch, refs, [new], dossier).ids
            if record.corrections:
                store.add_corrections(copy, copy_id, dict(record.corrections), "sohoa publish")
            wanted[key] = [version, copy_id]
            added, updated = (added + 1, updated) if old is None else (added, updated + 1)
        gone = [v[1] for k, v in state.items() if k not in wanted]
        # A document published again under a new first page got a new id: the old one goes.
        gone += [v[1] for k, v in state.items() if k in wanted and wanted[k][1] != v[1]]
        _forget(copy, gone)
        indexing.rebuild(copy, "tantivy")  # whole: no term of a removed document survives
        pages = store.status(copy).pages
    finally:
        copy.close()
    _compact(target / "archive.db")
    _write_state(state_file, wanted)
    return PublishReport(
        target.resolve(),
        len(wanted),
        added,
        updated,
        len(set(state) - set(wanted)),
        pages,
        time.monotonic() - started,
    )


def _dossiers(archive: Archive) -> list[tuple[str, dict | None]]:
    return store.dossiers(archive)


def _dossier(archive: Archive, copy: Archive, code: str | None) -> int | None:
    if code is None:
        return None
    details = dict(_dossiers(archive)).get(code) or {}
    kept = {k: details[k] for k in DOSSIER_KEYS if details.get(k) is not None}
    return store.ensure_dossier(copy, code, kept.get("ho_so_title"), kept)


def _page(
    archive: Archive, copy: Archive, page: StoredPage, image: Path
) -> tuple[store.KnownFile, PageResult]:
    """One page for the copy: its use copy put in the copy's blobs as a file of its own, and
    its text with the words scaled to that image."""
    from web.images import frame

    sha256, source_page = page.sha256, page.source_page
    (read,) = store.page_results(archive, [(sha256, source_page)])
    sha = sha256_file(image)
    copy.blobs.put(image, sha)
    fr = frame(read.width, read.height, READING_EDGE)
    s = fr.scale
    words = tuple(
        dataclasses.replace(
            w,
            left=round(w.left * s),
            top=round(w.top * s),
            width=max(1, round(w.width * s)),
            height=max(1, round(w.height * s)),
        )
        for w in read.words
    )
    result = dataclasses.replace(
        read,
        words=words,
        width=fr.copy_width,
        height=fr.copy_height,
        dpi=max(1, round(read.dpi * s)),
        cleanup=CleanupReport(),  # the image is already as OCR read it
        ocr_seconds=0.0,
        cleanup_seconds=0.0,
    )
    name = f"{page.source_path}#trang-{source_page}"
    return store.KnownFile(name, sha, image.stat().st_size, None, "jpeg", 1), result


def _forget(copy: Archive, doc_ids: list[int]) -> None:
    """Delete these documents from the copy, then every page no document holds any more (a
    re-cut may have moved a page to a document that is not published), with its image."""
    store.forget_documents(copy, doc_ids)
    for sha in store.forget_loose_pages(copy):
        copy.blobs.path_for(sha).unlink(missing_ok=True)


def _compact(db: Path) -> None:
    """Rewrite the database so no deleted row survives in a free page or the WAL."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _write_state(path: Path, state: dict[str, list]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-")
    with os.fdopen(fd, "w") as out:
        json.dump(state, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
