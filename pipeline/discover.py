"""Finding the scans of a batch folder, in the order a clerk reads them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sohoa.errors import InputError

# Files a scanner or an OS leaves beside scans; they are not scans and not failures.
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", "sohoa.toml"}
_IGNORED_SUFFIXES = {".json", ".txt", ".md", ".toml", ".xml", ".csv"}


@dataclass(frozen=True)
class PageTask:
    """One page to OCR: which file, which page, and the file's content hash."""

    path: Path
    rel_path: str
    sha256: str
    source_page: int
    """1-based page within the file."""


def natural_key(text: str) -> tuple:
    """Sort key so that "trang2" comes before "trang10" (case-insensitive, per path part)."""
    parts = re.split(r"(\d+)", text.casefold())
    return tuple((0, int(p), p) if p.isdigit() else (1, 0, p) for p in parts)


def discover(batch_dir: Path) -> list[Path]:
    """Every candidate scan under the folder, recursively, in natural order: a folder's files
    together, then its subfolders, as a file manager lists them.

    Hidden files, sidecar text (ground truth, notes) and the manifest are left out; anything else
    is offered to the loader, which reports files it cannot read as failures.
    """
    if not batch_dir.is_dir():
        raise InputError(
            vi=f"Không tìm thấy thư mục lô quét {batch_dir}. Kiểm tra lại đường dẫn.",
            en=f"Batch folder {batch_dir} not found. Check the path.",
        )
    found = []
    for path in batch_dir.rglob("*"):
        rel = path.relative_to(batch_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if not path.is_file() or path.name.lower() in _IGNORED_NAMES:
            continue
        if path.suffix.lower() in _IGNORED_SUFFIXES:
            continue
        found.append(path)
    return sorted(found, key=lambda p: batch_order(batch_path_of(p, batch_dir)))


def batch_path_of(path: Path, batch_dir: Path) -> str:
    """A scan's path in the batch as sohoa stores and compares it: forward slashes, NFC (a
    folder named on a Mac comes decomposed, and "Hồ sơ" must equal what a clerk types)."""
    return unicodedata.normalize("NFC", path.relative_to(batch_dir).as_posix())


def batch_order(rel_path: str) -> tuple:
    """Sort key of a path in the batch: its folder's files together, then its subfolders."""
    rel = PurePosixPath(rel_path)
    return tuple(natural_key(part) for part in rel.parent.parts), natural_key(rel.name)
