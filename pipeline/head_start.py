"""The first pages of a batch handed to the OCR workers before the parent has opened the store.

The parent's own start (importing the store, the cut and the index, opening the archive,
keeping each original) takes ~0.9 s on two cores before the first page can go out, while
raw Tesseract starts reading at once. So the command line, which imports none of that, hashes
the first few scans of the batch and starts the workers on them straight from the batch
folder; the ingest that follows takes each result for the task of its plan with the same
content hash and page (pipeline.executor.ProcessExecutor.head_start), and stores it only after
it has kept the original, as for every page. Only raster images are started this way (a PDF
may carry a signature, checked before any page is read), only their first page, and only
files whose first page the archive does not hold yet, so a batch run again wastes no work.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.discover import PageTask, batch_path_of, discover

RASTER = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})


def page_work(lang: str, max_pixels: int) -> Callable[[PageTask], Any]:
    """The function the workers run on each page of a batch (one for the head start and the
    ingest, so that the ingest may take the head start's results)."""
    from pipeline.reading import read_page_task

    return functools.partial(read_page_task, lang=lang, max_pixels=max_pixels)


def page_key(task: PageTask) -> tuple[str, int]:
    return task.sha256, task.source_page


def first_pages(batch_dir: Path, archive_dir: Path, most: int) -> list[PageTask]:
    """Up to `most` first pages of the batch's raster scans, in the batch's order, that the
    archive does not hold: none when that cannot be told cheaply (a PostgreSQL store)."""
    if most < 1 or os.environ.get("SOHOA_DB_URL") or not batch_dir.is_dir():
        return []
    try:
        scans = [p for p in discover(batch_dir) if p.suffix.lower() in RASTER]
    except Exception:  # the ingest itself reports what is wrong with the folder
        return []
    tasks: list[PageTask] = []
    with _FirstPages(archive_dir / "archive.db") as stored:
        seen: set[str] = set()
        for scan in scans:
            if len(tasks) >= most or stored.unknown:
                break
            try:
                digest = _sha256(scan)
            except OSError:
                continue
            if digest in seen or stored(digest):
                continue
            seen.add(digest)
            tasks.append(PageTask(scan, batch_path_of(scan, batch_dir), digest, 1))
    return [] if stored.unknown else tasks


class _FirstPages:
    """Whether the archive holds a file's first page, by its content hash, read from the
    SQLite database without the store's code; `unknown` when it cannot be asked (then
    nothing is started early)."""

    def __init__(self, db: Path) -> None:
        self._db = db
        self._conn: sqlite3.Connection | None = None
        self.unknown = False

    def __enter__(self) -> _FirstPages:
        if self._db.exists():  # else a new archive, which holds nothing
            try:
                self._conn = sqlite3.connect(f"file:{self._db}?mode=ro", uri=True, timeout=1.0)
            except sqlite3.Error:
                self.unknown = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()

    def __call__(self, digest: str) -> bool:
        if self._conn is None:
            return False
        try:
            row = self._conn.execute(
                "SELECT 1 FROM page WHERE sha256 = ? AND source_page = 1 LIMIT 1", (digest,)
            ).fetchone()
        except sqlite3.Error:
            self.unknown = True
            return True
        return row is not None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
