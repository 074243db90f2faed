"""The search backend contract and the index's life: open, rebuild (atomic swap), verify."""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import shutil
import time
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from indexer import layout
from indexer.query import QueryError
from indexer.types import IndexBusy, IndexedDocument, SearchResults
from sohoa.errors import ArchiveError, ExitCode, SohoaError

__all__ = [
    "ENGINES",
    "IndexOutdated",
    "QueryError",
    "SearchBackend",
    "UnknownEngine",
    "VerifyReport",
    "open_index",
    "rebuild_index",
    "verify_index",
]

ENGINES = {
    "tantivy": ("indexer.tantivy_backend", "TantivyBackend"),
    "whoosh": ("indexer.whoosh_backend", "WhooshBackend"),
}
DEFAULT_ENGINE = "tantivy"


class SearchBackend(Protocol):
    """What the pipeline and the CLI use; one behaviour test suite runs against each engine."""

    engine: str

    def replace(self, docs: Iterable[IndexedDocument]) -> int:
        """Add or replace documents by doc_id, in one commit; returns how many."""
        ...

    def delete(self, doc_ids: Iterable[int]) -> None: ...

    def search(
        self,
        query: str,
        *,
        clearance: int = 0,
        limit: int = 10,
        sort: str | None = None,
        facets: bool = True,
        pages_per_hit: int = 3,
        exclude: Collection[int] = (),
    ) -> SearchResults:
        """Documents the clearance may see that match, grouped with their matching pages;
        the `exclude`d ones are left out of the hits, the total and the facets alike."""
        ...

    def versions(self) -> dict[int, str]:
        """doc_id -> IndexedDocument.version of every document indexed."""
        ...

    def stamp(self) -> Hashable:
        """What the next search will read (generation, last commit): it changes with every
        commit and rebuild, so answers kept under it (indexer.cache) are never stale."""
        ...

    def close(self) -> None: ...


class IndexOutdated(ArchiveError):
    """The index was written by an older schema (or another engine): rebuild it from the store."""


class UnknownEngine(SohoaError):
    exit_code = ExitCode.usage


@dataclass(frozen=True)
class VerifyReport:
    """How the index differs from the store."""

    missing: tuple[int, ...]
    """In the store, not in the index."""
    stale: tuple[int, ...]
    """In both, but the index holds an older version."""
    extra: tuple[int, ...]
    """In the index, no longer in the store."""

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)

    def as_json(self, documents: int) -> dict:
        return {
            "documents": documents,
            "missing": list(self.missing),
            "stale": list(self.stale),
            "extra": list(self.extra),
            "ok": self.ok,
        }


def _module(engine: str) -> Any:
    if engine not in ENGINES:
        choices = ", ".join(ENGINES)
        raise UnknownEngine(
            vi=f"Không có bộ máy tìm kiếm {engine!r}. Dùng một trong: {choices}.",
            en=f"No search engine {engine!r}. Use one of: {choices}.",
        )
    return importlib.import_module(ENGINES[engine][0])


def _backend_class(engine: str) -> Any:
    return getattr(_module(engine), ENGINES[engine][1])


def _open_generation(generation: Path, engine: str | None) -> Any:
    """The backend of one generation, after checking its engine and schema version."""
    info = layout.read_info(generation)
    module = _module(info.engine)
    if engine is not None and engine != info.engine:
        _module(engine)  # an unknown name is a usage error, not an outdated index
        raise IndexOutdated(
            vi=f"Chỉ mục {generation.parent} được xây bằng {info.engine}, không phải {engine}: "
            f"cần xây lại (`sohoa reindex --engine {engine}`).",
            en=f"The index {generation.parent} was built with {info.engine}, not {engine}: "
            f"it needs a rebuild (`sohoa reindex --engine {engine}`).",
        )
    if info.schema_version < module.SCHEMA_VERSION:
        raise IndexOutdated(
            vi=f"Chỉ mục {generation.parent} dùng lược đồ cũ (phiên bản {info.schema_version}, "
            f"nay là {module.SCHEMA_VERSION}): cần xây lại từ kho (`sohoa reindex`).",
            en=f"The index {generation.parent} uses an older schema (version "
            f"{info.schema_version}, now {module.SCHEMA_VERSION}): it needs a rebuild from the "
            "store (`sohoa reindex`).",
        )
    if info.schema_version > module.SCHEMA_VERSION:
        raise ArchiveError(
            vi=f"Chỉ mục {generation.parent} do một phiên bản sohoa mới hơn tạo. "
            "Cập nhật sohoa hoặc chạy `sohoa reindex`.",
            en=f"The index {generation.parent} was written by a newer sohoa. "
            "Upgrade sohoa or run `sohoa reindex`.",
        )
    return getattr(module, ENGINES[info.engine][1])(generation)


def open_index(index_dir: Path, engine: str | None = None) -> SearchBackend:
    """The live index in `index_dir` (an empty one is created when there is none).

    `engine` None takes whatever engine built the index. Raises IndexOutdated when the index was
    built by an older schema or another engine than the one asked for: rebuild it then.
    """
    index_dir = Path(index_dir)
    generation = layout.live_generation(index_dir)
    if generation is None:
        with _build_lock(index_dir):
            generation = layout.live_generation(index_dir)
            if generation is None:
                _build(index_dir, [], engine or DEFAULT_ENGINE)
                generation = layout.live_generation(index_dir)
                assert generation is not None
    return _LiveIndex(index_dir, generation, _open_generation(generation, engine))


def rebuild_index(
    index_dir: Path, docs: Iterable[IndexedDocument], *, engine: str = DEFAULT_ENGINE
) -> int:
    """Index `docs` into a new generation, then make it live atomically; returns how many.

    Searches keep using the old generation until the swap; if this raises or the process is
    killed, the old generation stays live and the half-built one is removed later.
    """
    index_dir = Path(index_dir)
    _module(engine)
    with _build_lock(index_dir):
        _remove_unused(index_dir)
        count = _build(index_dir, docs, engine)
        _remove_unused(index_dir)
    return count


def verify_index(index_dir: Path, expected: Mapping[int, str]) -> VerifyReport:
    """Compare the index with the store's doc_id -> version, changing nothing."""
    generation = layout.live_generation(Path(index_dir))
    have: dict[int, str] = {}
    if generation is not None:
        backend = _open_generation(generation, None)
        try:
            have = backend.versions()
        finally:
            backend.close()
    return VerifyReport(
        missing=tuple(sorted(set(expected) - set(have))),
        stale=tuple(sorted(i for i, v in expected.items() if i in have and have[i] != v)),
        extra=tuple(sorted(set(have) - set(expected))),
    )


def _build(index_dir: Path, docs: Iterable[IndexedDocument], engine: str) -> int:
    generation = layout.new_generation(index_dir)
    try:
        backend = _backend_class(engine)(generation, create=True)
        try:
            count = int(backend.add_new(docs))
        finally:
            backend.close()
        layout.write_info(generation, layout.IndexInfo(engine, _module(engine).SCHEMA_VERSION))
        layout.publish(index_dir, generation)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    return count


def _remove_unused(index_dir: Path) -> None:
    # A damaged pointer: the rebuild replaces it; leave the folders for a person to look at.
    with contextlib.suppress(ArchiveError):
        layout.remove_unused(index_dir)


BUILD_WAIT = 600.0
"""Seconds a rebuild, or the first opening of a new index, waits for another one to end."""


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One rebuild at a time per index folder; the kernel frees the lock if the process dies."""
    with index_lock(index_dir, shared=False, wait=BUILD_WAIT):
        yield


@contextmanager
def index_lock(index_dir: Path, *, shared: bool, wait: float) -> Iterator[None]:
    """The index folder's lock: a rebuild holds it alone, updates of the live index share it.

    An update must not apply the store's outbox to a generation that a rebuild running beside
    it is about to replace: the update waits (at most `wait` seconds), or raises IndexBusy and
    leaves its jobs to the rebuild, which applies every job left when it swaps in.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / ".build.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    if shared:
                        raise IndexBusy.of(index_dir) from None
                    raise ArchiveError(
                        vi=f"Chỉ mục {index_dir} đang được xây lại bởi tiến trình khác. "
                        "Chờ nó xong rồi chạy lại.",
                        en=f"The index {index_dir} is being rebuilt by another process. "
                        "Wait for it to finish and run again.",
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


class _LiveIndex:
    """A backend that follows the `current` pointer, so a long-lived process (a search
    service) moves to a rebuilt index at its next call instead of reading the removed one."""

    def __init__(self, index_dir: Path, generation: Path, backend: Any) -> None:
        self._dir = index_dir
        self._generation = generation
        self._backend = backend
        self.engine: str = backend.engine

    def _current(self) -> Any:
        generation = layout.live_generation(self._dir)
        if generation is not None and generation != self._generation:
            backend = _open_generation(generation, None)
            self._backend.close()
            self._backend, self._generation = backend, generation
            self.engine = backend.engine
        return self._backend

    def replace(self, docs: Iterable[IndexedDocument]) -> int:
        return int(self._current().replace(docs))

    def delete(self, doc_ids: Iterable[int]) -> None:
        self._current().delete(doc_ids)

    def search(
        self,
        query: str,
        *,
        clearance: int = 0,
        limit: int = 10,
        sort: str | None = None,
        facets: bool = True,
        pages_per_hit: int = 3,
        exclude: Collection[int] = (),
    ) -> SearchResults:
        result: SearchResults = self._current().search(
            query,
            clearance=int(clearance),
            limit=limit,
            sort=sort,
            facets=facets,
            pages_per_hit=pages_per_hit,
            exclude=exclude,
        )
        return result

    def versions(self) -> dict[int, str]:
        return dict(self._current().versions())

    def stamp(self) -> Hashable:
        backend = self._current()
        return (self._generation.name, backend.stamp())

    def close(self) -> None:
        self._backend.close()
