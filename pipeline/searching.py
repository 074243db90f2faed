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

import asyncio
import functools
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Protocol

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

Places = dict[int, list[tuple[str, int]]]


@dataclass(frozen=True)
class Found:
    results: SearchResults
    places: Places
    """Where each hit's pages lie (store.page_places), when asked for; else empty."""


class KeepingIndex(Protocol):
    """An index kept open by a server, which also keeps recent answers (web.security)."""

    def search(self, query: str, **options: object) -> SearchResults: ...

    def kept(self, query: str, **options: object) -> SearchResults | None: ...


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
    return find(
        archive, query, clearance=clearance, limit=limit, sort=sort, engine=engine,
        facets=facets, pages_per_hit=pages_per_hit, backend=backend,
    ).results  # fmt: skip


def find(
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
    places: bool = False,
) -> Found:
    """`search`, and (`places`) where the hits' pages lie, read with the last check."""
    if _sync_due():
        # Pending jobs are applied first when the index is free; a busy one is not waited for.
        indexing.sync(archive, wait=0.0)
    own = backend is None
    if backend is None:
        backend = open_index(archive.index_dir, engine)
    options = _engine_options(clearance, limit, sort, facets, pages_per_hit)
    checks = _checked(archive, clearance, places)
    try:
        exclude = next(checks)
        while True:
            exclude = checks.send(backend.search(query, **options, exclude=exclude))  # type: ignore[arg-type]
    except StopIteration as done:
        found: Found = done.value
        return found
    finally:
        if own:
            backend.close()


async def find_async(
    archive: Archive,
    query: str,
    index: KeepingIndex,
    *,
    clearance: int = 0,
    limit: int = 10,
    sort: str | None = None,
    facets: bool = True,
    pages_per_hit: int = 3,
    places: bool = False,
) -> Found:
    """`find` for a server's event loop: the store's checks (small reads) and a kept answer
    run on the loop; the engine, which releases the GIL while it searches, and the outbox
    run in a thread. The same checks as `find`, from the same code."""
    if _sync_due():
        await asyncio.to_thread(indexing.sync, archive, wait=0.0)
    options = _engine_options(clearance, limit, sort, facets, pages_per_hit)
    checks = _checked(archive, clearance, places)
    try:
        exclude = next(checks)
        while True:
            results = index.kept(query, **options, exclude=exclude)
            if results is None:
                run = functools.partial(index.search, query, **options, exclude=exclude)
                results = await asyncio.to_thread(run)
            exclude = checks.send(results)
    except StopIteration as done:
        found: Found = done.value
        return found


def _engine_options(
    clearance: int, limit: int, sort: str | None, facets: bool, pages_per_hit: int
) -> dict[str, object]:
    """What the engine is asked besides the query and the exclusions (and a kept answer is
    kept under)."""
    return {"clearance": clearance, "limit": limit, "sort": sort, "facets": facets,
            "pages_per_hit": pages_per_hit}  # fmt: skip


def _sync_due() -> bool:
    global _last_sync
    if time.monotonic() - _last_sync < SYNC_EVERY:
        return False
    _last_sync = time.monotonic()
    return True


def _checked(
    archive: Archive, clearance: int, places: bool
) -> Generator[set[int], SearchResults, Found]:
    """The store's checks around the engine's searches, apart from how the engine is run:
    yields the documents the next search must exclude, is sent its results, and returns
    them once the store agrees with every hit."""
    hidden = store.hidden_while_pending(archive, clearance)
    refused: set[int] = set()
    for _ in range(ATTEMPTS):
        results = yield hidden | refused
        ids = [hit.doc_id for hit in results.hits]
        check = store.check_hits(archive, ids, clearance, places=places)
        wrong = set(ids) - check.visible
        # A job committed while the search ran may hide more: run again to be sure.
        late = check.hidden - hidden
        if not wrong and not late:
            return Found(results, check.places)
        refused |= wrong
        hidden = check.hidden
    raise ArchiveError(
        vi="Chỉ mục tìm kiếm lệch với kho nên kết quả không được hiện. "
        "Chạy `sohoa reindex` rồi tìm lại.",
        en="The search index is out of step with the store, so no results are shown. "
        "Run `sohoa reindex` and search again.",
    )
