"""Use copies of page images: the page as OCR read it (upright, level), at reading resolution.

Made once per page and cached beside the original in the blob store
(`blobs/ab/cd/<sha256>.trang-<n>.jpg`); the original itself is never served. The copy is in
the coordinates of the stored word boxes, scaled by `scale`, so a viewer can draw hit regions.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from archive_store import store
from archive_store.blobs import storage_error
from archive_store.db import Archive
from ocr.loader import load_page
from sohoa.errors import ArchiveError

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True)
class PageFrame:
    """A page's size as OCR read it (the word boxes' coordinates) and its use copy's size."""

    width: int
    height: int
    copy_width: int
    copy_height: int

    @property
    def scale(self) -> float:
        return self.copy_width / self.width if self.width else 1.0


def frame(width: int, height: int, edge: int) -> PageFrame:
    scale = min(1.0, edge / max(width, height, 1))
    return PageFrame(width, height, max(1, round(width * scale)), max(1, round(height * scale)))


def copy_path(archive: Archive, sha256: str, source_page: int) -> Path:
    original = archive.blobs.path_for(sha256)
    return original.with_name(f"{original.name}.trang-{source_page}.jpg")


def use_copy(archive: Archive, sha256: str, source_page: int, edge: int) -> Path:
    """The page's use copy, made now if it is not there yet (one maker at a time per page)."""
    target = copy_path(archive, sha256, source_page)
    if target.is_file():
        return target
    with _locks_guard:
        lock = _locks.setdefault(target, threading.Lock())
    with lock:
        if target.is_file():
            return target
        _make(archive, sha256, source_page, edge, target)
    with _locks_guard:
        _locks.pop(target, None)
    return target


def _make(archive: Archive, sha256: str, source_page: int, edge: int, target: Path) -> None:
    results = store.page_results(archive, [(sha256, source_page)])
    original = archive.blobs.path_for(sha256)
    if not results or not original.is_file():
        raise ArchiveError(
            vi=f"Bản gốc của trang {source_page} không còn trong kho; chạy `sohoa fixity`.",
            en=f"The original of page {source_page} is missing; run `sohoa fixity`.",
        )
    read = results[0]
    image = load_page(original, source_page - 1).image
    if image.mode not in ("L", "RGB"):
        image = image.convert("L" if image.mode in ("1", "I;16", "I", "F") else "RGB")
    size = (read.width or image.width, read.height or image.height)
    white = 255 if image.mode == "L" else (255, 255, 255)
    if read.cleanup.to_scan:
        # to_scan maps read-image pixels to the scan's: exactly what an affine transform takes.
        image = image.transform(
            size, Image.Transform.AFFINE, tuple(read.cleanup.to_scan),
            resample=Image.Resampling.BILINEAR, fillcolor=white,
        )  # fmt: skip
    fr = frame(size[0], size[1], edge)
    image = image.resize((fr.copy_width, fr.copy_height), Image.Resampling.LANCZOS)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".use-", suffix=".jpg")
        try:
            with os.fdopen(fd, "wb") as out:
                image.save(out, format="JPEG", quality=82, optimize=True)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise storage_error(exc, target) from exc
