"""Triage: hash, identify and keep each original of a batch before any OCR."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from ocr.loader import inspect_scan
from pipeline import office
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
    known = store.known_files(archive, batch_id)
    for path in paths:
        rel = batch_path_of(path, batch_dir)
        if office.is_office(path):
            # Kept as delivered; its pages are read from LibreOffice's PDF of it.
            try:
                _add(files, duplicates, office.take(archive, batch_id, rel, path, known))
            except InputError as exc:
                store.record_failure(archive, batch_id, rel, None, exc.vi, exc.en)
                failed.append(rel)
            continue
        seen = _unchanged(archive, known.get(rel), path)
        if seen is not None:
            # Stored by an earlier run and not touched since: no need to read it again.
            _add(files, duplicates, ScanFile(rel, seen.sha256, seen.pages))
            continue
        try:
            stat = path.stat()
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
        store.register_file(
            archive,
            batch_id,
            store.KnownFile(rel, sha, stat.st_size, stat.st_mtime_ns, info.kind, info.pages),
        )
        _add(files, duplicates, ScanFile(rel, sha, info.pages))
    return files, duplicates, failed


def _add(files: dict[str, ScanFile], duplicates: list[tuple[str, str, int]], f: ScanFile) -> None:
    if f.sha256 in files:
        duplicates.append((f.rel_path, files[f.sha256].rel_path, f.pages))
    else:
        files[f.sha256] = f


def _unchanged(
    archive: Archive, known: store.KnownFile | None, path: Path
) -> store.KnownFile | None:
    """The stored record of this file when its size and modification time are those it had
    when it was hashed and its original is in the blob store (as make and rsync trust them)."""
    if known is None or known.mtime_ns is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    if (stat.st_size, stat.st_mtime_ns) != (known.size, known.mtime_ns):
        return None
    if not archive.blobs.path_for(known.sha256).is_file():
        return None
    return known
