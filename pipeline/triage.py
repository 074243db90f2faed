"""Triage: hash, identify and keep each original of a batch before any OCR."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from ocr.loader import inspect_scan
from pipeline.discover import batch_path_of
from pipeline.planning import ScanFile
from sohoa.errors import InputError


def triage(
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
