"""Planning a batch before any OCR: its manifest, its dossier, and how its files are read as
streams of pages to be cut into documents."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from rapidfuzz import process

from archive_store import store
from archive_store.db import Archive
from archive_store.records import PageRef
from pipeline.discover import PageTask, batch_order
from pipeline.documents import Stream
from pipeline.manifest import Manifest, find_manifest, load_manifest
from sohoa.access import AccessLevel
from sohoa.errors import ManifestError


@dataclass
class ScanFile:
    """A scanned file of the batch, stored: its path in the batch, content hash and pages."""

    rel_path: str
    sha256: str
    pages: int


def batch_manifest(batch_dir: Path, explicit: Path | None) -> Manifest | None:
    """The batch's manifest (`explicit`, else sohoa.toml inside it), checked; None if none."""
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


def dossier_for(archive: Archive, manifest: Manifest | None) -> int | None:
    """The dossier the manifest names (created or brought up to date), if it names one."""
    if manifest is None or not manifest.ho_so_code:
        return None
    return store.ensure_dossier(
        archive, manifest.ho_so_code, manifest.ho_so_title, manifest.as_dict()
    )


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


def plan_tasks(archive: Archive, files: Iterable[ScanFile]) -> tuple[list[PageTask], int]:
    """The pages still to read (one task each), and how many pages an earlier run stored."""
    files = list(files)
    stored = store.stored_pages_of(archive, [f.sha256 for f in files])
    tasks: list[PageTask] = []
    skipped = 0
    for f in files:
        already = stored[f.sha256]
        skipped += len(already & set(range(1, f.pages + 1)))
        path = archive.blobs.path_for(f.sha256)
        tasks += [
            PageTask(path, f.rel_path, f.sha256, n)
            for n in range(1, f.pages + 1)
            if n not in already
        ]
    return tasks, skipped


def check_manifest_paths(manifest: Manifest, rel_paths: Sequence[str]) -> None:
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
