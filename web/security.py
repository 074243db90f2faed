"""Who a request is from (session cookie or API token), what they may do, CSRF, and the audit.

Every route but sign-in depends on `principal`, which refuses a request without a live session
or a valid token (401). State-changing requests made with a session cookie must also come from
an allowed Origin and carry the session's CSRF token. Roles are checked per route
(`requires`); documents are checked against the store's current access level (web.api), and
a document the user may not see is answered like one that does not exist (404).
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request

from archive_store import accounts, audit, store
from archive_store.accounts import Principal, Role
from archive_store.db import Archive
from indexer.backend import SearchBackend, open_index
from indexer.cache import DEFAULT_SIZE, ResultsCache, key_of
from indexer.types import SearchResults
from sohoa.errors import NotFound
from sohoa.i18n import t
from web.settings import ServerSettings

COOKIE = "sohoa_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SharedIndex:
    """The server process's open index, searched by many threads.

    A few backends are kept open (one per core): each is used by one thread at a time, since
    a live index may swap itself to a rebuilt generation between calls; the engine releases
    the GIL while it searches, so two searches run on two cores. Answers are kept
    (indexer.cache) under the state of the index they were read from; `SOHOA_SEARCH_CACHE`
    sets how many (0: none). The caller (pipeline.searching) checks every hit against the
    store, kept or not.
    """

    def __init__(self, archive: Archive, size: int | None = None, cache: int | None = None) -> None:
        self._archive = archive
        self._size = size or min(4, os.cpu_count() or 1)
        if cache is None:
            cache = int(os.environ.get("SOHOA_SEARCH_CACHE", str(DEFAULT_SIZE)))
        self.cache = ResultsCache(cache)
        self._free: queue.LifoQueue[SearchBackend] = queue.LifoQueue()
        self._opened: list[SearchBackend] = []
        self._guard = threading.Lock()
        self.engine = "tantivy"

    @contextmanager
    def _backend(self) -> Iterator[SearchBackend]:
        backend = self._take()
        try:
            yield backend
        finally:
            self._free.put(backend)

    def _take(self) -> SearchBackend:
        return self._take_now() or self._free.get()

    def _take_now(self) -> SearchBackend | None:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._guard:
            if len(self._opened) < self._size:
                backend = open_index(self._archive.index_dir)
                self.engine = backend.engine
                self._opened.append(backend)
                return backend
        return None

    def kept(self, query: str, **options: object) -> SearchResults | None:
        """The kept answer to this search, if there is one, found without waiting (for the
        event loop): None when none is kept or every backend is busy; then `search`."""
        if not self.cache.size:
            return None
        backend = self._take_now()
        if backend is None:
            return None
        try:
            return self.cache.get(key_of(backend.stamp(), query, options))
        finally:
            self._free.put(backend)

    def search(self, query: str, **options: object) -> SearchResults:
        with self._backend() as backend:
            if not self.cache.size:
                return backend.search(query, **options)  # type: ignore[arg-type]
            # The stamp is taken before searching: an answer is never older than its key.
            key = key_of(backend.stamp(), query, options)
            found = self.cache.get(key)
            if found is None:
                found = backend.search(query, **options)  # type: ignore[arg-type]
                self.cache.put(key, found)
            return found

    def replace(self, docs: object) -> int:
        raise NotImplementedError("the server's index only searches")

    def delete(self, doc_ids: object) -> None:
        raise NotImplementedError("the server's index only searches")

    def versions(self) -> dict[int, str]:
        with self._backend() as backend:
            return backend.versions()

    def stamp(self) -> Hashable:
        with self._backend() as backend:
            return backend.stamp()

    def close(self) -> None:
        with self._guard:
            for backend in self._opened:
                backend.close()
            self._opened.clear()


@dataclass
class Context:
    """What every handler needs: the archive, the open index, the settings."""

    archive: Archive
    index: SharedIndex
    settings: ServerSettings
    recorder: audit.Recorder


async def context(request: Request) -> Context:
    # async: no thread hop for what needs none (sync dependencies each run in the pool)
    ctx: Context = request.app.state.sohoa
    return ctx


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def agent_of(request: Request) -> str:
    return request.headers.get("user-agent", "")[:256]


def unauthorized() -> HTTPException:
    return HTTPException(
        401,
        t("Cần đăng nhập (phiên hoặc token API).", "Sign-in needed (a session or an API token)."),
        headers={"WWW-Authenticate": "Bearer"},
    )


def origin_allowed(request: Request, settings: ServerSettings) -> bool:
    """Origin (else Referer) of a state-changing request is the server's own."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent or sent == "null":
        return False
    parts = urlsplit(sent)
    origin = f"{parts.scheme}://{parts.netloc}"
    if settings.origins:
        return origin in settings.origins
    return bool(parts.netloc) and parts.netloc == request.headers.get("host", "")


def refuse_csrf() -> HTTPException:
    return HTTPException(
        403,
        t(
            "Yêu cầu bị từ chối: thiếu mã CSRF hoặc nguồn (Origin) không phải của máy chủ này.",
            "Request refused: CSRF token missing or wrong, or the Origin is not this server's.",
        ),
    )


async def principal(request: Request, ctx: Annotated[Context, Depends(context)]) -> Principal:
    """The signed-in user of the request, or 401; CSRF checked on session writes.

    Run on the event loop, not in a thread: one small indexed read (`Archive.raw_reads`; on
    SQLite from the page cache, on PostgreSQL one round trip) costs less than the hand-over
    to a thread and back.
    """
    who: Principal | None = None
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        who = accounts.token_principal(ctx.archive, auth[7:].strip())
    else:
        raw = request.cookies.get(COOKIE)
        if raw:
            who = accounts.session_principal(ctx.archive, raw, ctx.settings.policy)
    if who is None:
        raise unauthorized()
    if who.via == "session" and request.method not in SAFE_METHODS:
        ok = origin_allowed(request, ctx.settings) and accounts.csrf_matches(
            who, request.headers.get(CSRF_HEADER)
        )
        if not ok:
            await noted(request, ctx, who, "csrf", "denied", detail={"path": request.url.path})
            raise refuse_csrf()
    request.state.principal = who
    return who


def requires(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the request's user, who must hold at least `role` (else 403)."""

    async def check(
        request: Request,
        who: Annotated[Principal, Depends(principal)],
        ctx: Annotated[Context, Depends(context)],
    ) -> Principal:
        if who.user.role < role:
            await noted(request, ctx, who, "role", "denied", detail={"path": request.url.path})
            raise HTTPException(
                403,
                t(
                    f"Vai trò {who.user.role.name} không được làm việc này (cần {role.name}).",
                    f"The role {who.user.role.name} may not do this ({role.name} needed).",
                ),
            )
        return who

    return check


def note(
    request: Request,
    ctx: Context,
    who: Principal | None,
    action: str,
    outcome: str = "ok",
    *,
    document_id: int | None = None,
    detail: dict | None = None,
    user: str | None = None,
) -> None:
    """Append to the audit trail: who, when, from where, with what outcome (committed before
    the answer goes out)."""
    event = _event(request, who, action, outcome, document_id, detail, user)
    ctx.recorder.record(event)


async def noted(
    request: Request,
    ctx: Context,
    who: Principal | None,
    action: str,
    outcome: str = "ok",
    *,
    document_id: int | None = None,
    detail: dict | None = None,
    user: str | None = None,
) -> None:
    """`note` for a handler on the event loop: waits for the commit without holding a thread."""
    event = _event(request, who, action, outcome, document_id, detail, user)
    await asyncio.wrap_future(ctx.recorder.submit(event))


def _event(
    request: Request,
    who: Principal | None,
    action: str,
    outcome: str,
    document_id: int | None,
    detail: dict | None,
    user: str | None,
) -> audit.Event:
    return audit.Event(
        action=action,
        user=user if user is not None else (who.user.name if who else ""),
        outcome=outcome,
        document_id=document_id,
        client=client_of(request),
        user_agent=agent_of(request),
        detail={**(detail or {}), **({"via": who.via} if who else {})},
    )


def no_document(doc_id: int) -> NotFound:
    """The one answer for a document that does not exist and one the user may not see."""
    return NotFound(
        vi=f"Không có văn bản số {doc_id} trong kho.",
        en=f"No document {doc_id} in the archive.",
    )


def visible_ids(ctx: Context, who: Principal, ids: Collection[int]) -> set[int]:
    return store.visible(ctx.archive, ids, int(who.user.clearance))
