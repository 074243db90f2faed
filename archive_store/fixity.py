"""Fixity checks: every stored original still exists and still hashes to its name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from archive_store.db import Archive
from archive_store.models import Page, SourceFile


@dataclass(frozen=True)
class FixityReport:
    checked: int
    """Distinct originals checked."""
    missing: tuple[str, ...]
    """Files (batch-relative paths) whose blob is gone."""
    corrupt: tuple[str, ...]
    """Files whose blob no longer hashes to its SHA-256."""
    orphan_pages: int
    """Stored pages whose original is not recorded (should be 0)."""

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.orphan_pages)

    def as_json(self) -> dict:
        """`sohoa fixity --json` and the server's `POST /api/v1/fixity`."""
        return {
            "checked": self.checked, "missing": list(self.missing), "corrupt": list(self.corrupt),
            "orphan_pages": self.orphan_pages, "ok": self.ok,
        }  # fmt: skip


def check_fixity(archive: Archive) -> FixityReport:
    """Re-hash every original in the blob store (reads every byte; run it off-hours)."""
    with archive.reading() as s:
        files = s.execute(select(SourceFile.sha256, SourceFile.rel_path)).all()
        known = {sha for sha, _ in files}
        page_shas = set(s.scalars(select(Page.sha256).distinct()))
    names: dict[str, list[str]] = {}
    for sha, rel in files:
        names.setdefault(sha, []).append(rel)
    missing: list[str] = []
    corrupt: list[str] = []
    for sha, rels in sorted(names.items()):
        if not archive.blobs.has(sha):
            missing.extend(rels)
        elif not archive.blobs.verify(sha):
            corrupt.extend(rels)
    return FixityReport(len(names), tuple(missing), tuple(corrupt), len(page_shas - known))
