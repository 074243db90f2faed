"""Searching the archive so that the index can never show what the store forbids.

The index is a derived copy and may lag behind the store (a job in the outbox not applied yet,
an index that was busy or could not be written). So a search is checked against the store
twice: documents with a pending job that the store now hides from this clearance (or no longer
holds) are excluded inside the engine query, so totals, facets and snippets leave them out too;
and every hit is checked against the store's current access level and existence before any of
it is returned. A hit that fails that check (an index out of step without a job) is excluded
and the search run again, so counts stay right; if that does not settle, the search fails
closed.
"""

from __future__ import annotations

import time

from archive_store import store
from archive_store.db import Archive
from indexer.backend import SearchBackend, open_index
from indexer.types import SearchResults
from pipeline import indexing
from sohoa.errors import ArchiveError

ATTEMPTS = 4
"""Searches run at most, each excluding the hits the store refused in the one before."""

SYNC_EVERY = 1.0
"""Seconds between a process's attempts to apply pending jobs before a search: while another
process holds the index writer, a server does not pay for a failed attempt on every search."""

_last_sync = -SYNC_EVERY


def search(
    archive: Archive,
    query: str,
    *,
    clearance: int = 0,
    limit: int = 10,
    sort: str | None = None,
    engine: str | None = None,
    facets: bool = True,
    pages_per_hit: int = 3,
    backend: SearchBackend | None = None,
) -> SearchResults:
    """Documents the clearance may see, per the store now, that match the query.

    `backend`: an index kept open by a long-lived caller (a server); else it is opened here.
    """
    # Pending jobs are applied first when the index is free; a busy index is not waited for.
    global _last_sync
    if time.monotonic() - _last_sync >= SYNC_EVERY:
        _last_sync = time.monotonic()
        indexing.sync(archive, wait=0.0)
    own = backend is None
    if backend is None:
        backend = open_index(archive.index_dir, engine)
    refused: set[int] = set()
    try:
        for _ in range(ATTEMPTS):
            hidden = store.hidden_while_pending(archive, clearance)
            results = backend.search(
                query,
                clearance=clearance,
                limit=limit,
                sort=sort,
                facets=facets,
                pages_per_hit=pages_per_hit,
                exclude=hidden | refused,
            )
            ids = {hit.doc_id for hit in results.hits}
            wrong = ids - store.visible(archive, ids, clearance)
            # A job committed while the search ran may hide more: run again to be sure.
            late = store.hidden_while_pending(archive, clearance) - hidden
            if not wrong and not late:
                return results
            refused |= wrong
    finally:
        if own:
            backend.close()
    raise ArchiveError(
        vi="Chỉ mục tìm kiếm lệch với kho nên kết quả không được hiện. "
        "Chạy `sohoa reindex` rồi tìm lại.",
        en="The search index is out of step with the store, so no results are shown. "
        "Run `sohoa reindex` and search again.",
    )
