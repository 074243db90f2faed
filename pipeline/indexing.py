"""Keeping the search index in step with the store: incremental update, rebuild, verify."""

from __future__ import annotations

from collections.abc import Sequence

from archive_store import store
from archive_store.db import Archive
from archive_store.models import utcnow
from indexer.backend import IndexOutdated, VerifyReport, open_index, rebuild_index, verify_index
from pipeline.documents import indexed_documents, to_indexed
from sohoa.i18n import t


def update(archive: Archive, doc_ids: Sequence[int], removed: Sequence[int] = ()) -> str | None:
    """Add or replace these documents in the index and take out those `removed` from the store;
    rebuild the index when its schema is outdated.

    Returns a note for the user when the whole index had to be rebuilt.
    """
    try:
        backend = open_index(archive.index_dir)
    except IndexOutdated:
        count = rebuild(archive)
        return t(
            f"Chỉ mục tìm kiếm cũ đã được xây dựng lại từ kho ({count} văn bản).",
            f"The search index was outdated and was rebuilt from the store ({count} documents).",
        )
    try:
        if removed:
            backend.delete(removed)
        backend.replace(indexed_documents(archive, doc_ids))
    finally:
        backend.close()
    return None


def rebuild(archive: Archive, engine: str | None = None) -> int:
    """A new index from the store (no OCR), swapped in atomically; returns the document count."""
    if engine is None:
        try:
            current = open_index(archive.index_dir)
            engine = current.engine
            current.close()
        except IndexOutdated:
            engine = "tantivy"
    started = utcnow()
    count = rebuild_index(archive.index_dir, indexed_documents(archive), engine=engine)
    # Documents stored or corrected while the rebuild ran went to the old index: add them.
    late = store.changed_since(archive, started)
    if late:
        update(archive, late)
    return count


def verify(archive: Archive) -> tuple[int, VerifyReport]:
    """Compare the index with the store without changing either: (documents, differences)."""
    expected = {rec.id: to_indexed(rec).version for rec in store.iter_documents(archive)}
    return len(expected), verify_index(archive.index_dir, expected)
