"""Keeping the archive: backups restored into a working archive (store, blobs, index)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archive_store import backup, store
from archive_store.fixity import FixityReport, check_fixity
from archive_store.records import ArchiveStatus
from pipeline import indexing


@dataclass(frozen=True)
class RestoreReport:
    """What a restore brought back, checked as the original would be."""

    source: Path
    """The backup set restored."""
    archive: Path
    documents_indexed: int
    status: ArchiveStatus
    fixity: FixityReport

    @property
    def ok(self) -> bool:
        return self.fixity.ok

    def as_json(self) -> dict:
        return {
            "source": str(self.source),
            "archive": str(self.archive),
            "documents_indexed": self.documents_indexed,
            "status": {
                "batches": self.status.batches,
                "files": self.status.files,
                "pages": self.status.pages,
                "documents": self.status.documents,
                "failures": self.status.failures,
            },
            "fixity": {
                "checked": self.fixity.checked,
                "missing": list(self.fixity.missing),
                "corrupt": list(self.fixity.corrupt),
                "ok": self.fixity.ok,
            },
        }


def restore(source: Path, root: Path, db_url: str | None = None) -> RestoreReport:
    """Verify and restore a backup into a new archive, rebuild its index, check its fixity."""
    chosen, archive = backup.restore(source, root, db_url)
    try:
        indexed = indexing.rebuild(archive)
        return RestoreReport(
            chosen, archive.root, indexed, store.status(archive), check_fixity(archive)
        )
    finally:
        archive.close()
