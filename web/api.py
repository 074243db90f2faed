"""The REST API under /api/v1: the same library calls as the CLI, each access recorded."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import tempfile
from email.utils import formatdate
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from starlette.background import BackgroundTask

from archive_store import accounts, audit, store
from archive_store.accounts import Principal, Role
from archive_store.models import DocumentPage, Page
from archive_store.records import DocumentRecord, PageRef
from pipeline import batches, signatures
from pipeline.documents import effective_access
from pipeline.views import corrected_view, full_view, search_view
from sohoa.access import AccessLevel, parse_level
from sohoa.errors import ArchiveError, NotFound
from sohoa.i18n import t
from web import images
from web.security import Context, context, no_document, note, noted, principal, requires

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
DocId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="Document id (mã văn bản)")]
PageNo = Annotated[int, PathParam(ge=1, le=MAX_PAGE, description="1-based page of the document")]

router = APIRouter(prefix="/api/v1")
Researcher = Annotated[Principal, Depends(requires(Role.researcher))]
Clerk = Annotated[Principal, Depends(requires(Role.clerk))]
Admin = Annotated[Principal, Depends(requires(Role.admin))]
Ctx = Annotated[Context, Depends(context)]


# -- the session ----------------------------------------------------------------------------


class Who(BaseModel):
    name: str
    full_name: str
    role: str
    clearance: str
    via: str
    csrf_token: str | None = Field(
        None, description="Send it back in the X-CSRF-Token header of every POST/PATCH/DELETE."
    )


def _who(p: Principal) -> Who:
    u = p.user
    return Who(
        name=u.name, full_name=u.full_name, role=u.role.name, clearance=u.clearance.slug,
        via=p.via, csrf_token=p.csrf_token or None,
    )  # fmt: skip


@router.get("/session", response_model=Who, tags=["session"])
def whoami(who: Annotated[Principal, Depends(principal)]) -> Who:
    """The signed-in user and the session's CSRF token."""
    return _who(who)


@router.delete("/session", status_code=204, tags=["session"])
def sign_out(request: Request, ctx: Ctx, who: Annotated[Principal, Depends(principal)]) -> Response:
    """Sign out: the session ends in the store (the cookie is cleared too)."""
    from web.security import COOKIE

    raw = request.cookies.get(COOKIE)
    if who.via == "session" and raw:
        accounts.end_session(ctx.archive, raw)
    note(request, ctx, who, "sign_out")
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- search ---------------------------------------------------------------------------------


class Json(JSONResponse):
    """JSON written straight from the library's plain values (the CLI's --json): no second
    walk through them; what is not JSON (a date) is written as text, as the CLI does."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str,
                          separators=(",", ":")).encode()  # fmt: skip


@router.get("/search", tags=["search"], response_model=None)
async def search(
    request: Request,
    ctx: Ctx,
    who: Researcher,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="Query (README)")],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    sort: Literal["relevance", "ngay", "-ngay"] = "relevance",
    facets: bool = True,
) -> Json:
    """Full-text and metadata search (the CLI's `search --json`), only what the user may see."""
    from pipeline.searching import find_async

    found = await find_async(
        ctx.archive, q, ctx.index, clearance=int(who.user.clearance), limit=limit,
        sort=None if sort == "relevance" else sort, facets=facets, places=True,
    )  # fmt: skip
    await noted(request, ctx, who, "search", detail={"query": q, "total": found.results.total})
    return Json(search_view(found.results, found.places))


# -- documents ------------------------------------------------------------------------------


def _record(request: Request, ctx: Context, who: Principal, doc_id: int, action: str,
            with_pages: bool = True) -> DocumentRecord:  # fmt: skip
    """The document if the user may see it now, per the store's current record (corrections
    winning, never the index), else 404 like an absent one, and the refusal recorded."""
    try:
        record = store.document(ctx.archive, doc_id, with_pages=False)
    except NotFound:
        note(request, ctx, who, action, "missing", document_id=doc_id)
        raise no_document(doc_id) from None
    if effective_access(record) <= who.user.clearance and with_pages:
        # Read again with its pages: a change in between is seen, and refused below.
        try:
            record = store.document(ctx.archive, doc_id, with_pages=True)
        except NotFound:
            note(request, ctx, who, action, "missing", document_id=doc_id)
            raise no_document(doc_id) from None
    if effective_access(record) > who.user.clearance:
        note(request, ctx, who, action, "denied", document_id=doc_id)
        raise no_document(doc_id)
    return record


@router.get("/documents/{doc_id}", tags=["documents"], response_model=None)
def document(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId) -> Json:
    """A document's metadata (confidence, region, review flags, corrections) and page texts."""
    record = _record(request, ctx, who, doc_id, "document")
    note(request, ctx, who, "document", document_id=doc_id)
    return Json(full_view(ctx.archive, record))


@router.get("/documents/{doc_id}/pages", tags=["documents"])
def pages(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId) -> list[dict]:
    """The document's pages: where each comes from, how sure OCR was."""
    record = _record(request, ctx, who, doc_id, "pages")
    note(request, ctx, who, "pages", document_id=doc_id)
    return [
        {
            "page": n, "source_file": p.source_path, "source_page": p.source_page,
            "mean_confidence": round(p.mean_confidence, 2), "needs_review": p.needs_review,
        }
        for n, p in enumerate(record.pages, 1)
    ]  # fmt: skip


def _page(ctx: Context, record: DocumentRecord, number: int) -> PageRef:
    """The document's `number`-th stored page (as `show` counts them), without reading the
    other pages' text and words."""
    with ctx.archive.reading() as s:
        stored = (
            select(DocumentPage.sha256, DocumentPage.source_page, DocumentPage.source_path)
            .join(Page, (Page.sha256 == DocumentPage.sha256)
                  & (Page.source_page == DocumentPage.source_page))
            .where(DocumentPage.document_id == record.id)
        )  # fmt: skip
        row = s.execute(stored.order_by(DocumentPage.ordinal).offset(number - 1).limit(1)).first()
        if row is None:
            count = s.scalar(select(func.count()).select_from(stored.subquery())) or 0
    if row is None:
        raise HTTPException(
            404,
            t(
                f"Văn bản {record.id} có {count} trang, không có trang {number}.",
                f"Document {record.id} has {count} pages, not page {number}.",
            ),
        )
    return PageRef(row.sha256, row.source_page, row.source_path)


@router.get("/documents/{doc_id}/pages/{page}", tags=["documents"])
def page(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId, page: PageNo) -> dict:
    """One page: its text and its words with boxes (pixels of the page as OCR read it)."""
    record = _record(request, ctx, who, doc_id, "page", with_pages=False)
    p = _page(ctx, record, page)
    (read,) = store.page_results(ctx.archive, [(p.sha256, p.source_page)])
    note(request, ctx, who, "page", document_id=doc_id, detail={"page": page})
    return {
        "page": page,
        "source_file": p.source_path,
        "source_page": p.source_page,
        "width": read.width,
        "height": read.height,
        "text": read.text,
        "words": [_word(w) for w in read.words],
    }


def _word(w: Any) -> dict:
    return {"text": w.text, "left": w.left, "top": w.top, "width": w.width, "height": w.height,
            "conf": round(w.conf, 1), "line": w.line}  # fmt: skip


@router.get("/documents/{doc_id}/pages/{page}/words", tags=["documents"])
def words(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId, page: PageNo) -> list[dict]:
    """The page's words with boxes and confidences, in reading order."""
    record = _record(request, ctx, who, doc_id, "words", with_pages=False)
    p = _page(ctx, record, page)
    _, found = store.page_content(ctx.archive, p.sha256, p.source_page)
    note(request, ctx, who, "words", document_id=doc_id, detail={"page": page})
    return [_word(w) for w in found]


@router.get(
    "/documents/{doc_id}/pages/{page}/image",
    tags=["documents"],
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The page's use copy"}},
)
async def page_image(
    request: Request, ctx: Ctx, who: Researcher, doc_id: DocId, page: PageNo
) -> Response:
    """The page's use copy (JPEG, upright and level, reading resolution), never the original."""
    p = await _visible_page(request, ctx, who, doc_id, page, "page_image")
    path = images.copy_path(ctx.archive, p.sha256, p.source_page)
    if not path.is_file():  # made once, in a thread: it decodes and scales the scan
        edge = ctx.settings.reading_edge
        path = await asyncio.to_thread(images.use_copy, ctx.archive, p.sha256, p.source_page, edge)
    await noted(request, ctx, who, "page_image", document_id=doc_id, detail={"page": page})
    return file_bytes(path, "image/jpeg")


async def _visible_page(
    request: Request, ctx: Context, who: Principal, doc_id: int, number: int, action: str
) -> PageRef:
    """`_record` then `_page` for a handler on the event loop, in one small read: the page if
    the user may see its document now, else 404 like an absent one, the refusal recorded."""
    at = store.page_at(ctx.archive, doc_id, number)
    if at is None or at.access > who.user.clearance:
        outcome = "missing" if at is None else "denied"
        await noted(request, ctx, who, action, outcome, document_id=doc_id)
        raise no_document(doc_id)
    if at.page is None:
        raise HTTPException(
            404,
            t(
                f"Văn bản {doc_id} có {at.pages} trang, không có trang {number}.",
                f"Document {doc_id} has {at.pages} pages, not page {number}.",
            ),
        )
    return at.page


def file_bytes(path: Path, media_type: str) -> Response:
    """A small file (a use copy, a thumbnail: a few hundred KB) read whole and sent at once,
    with the validators FileResponse gives, without its hand-overs to threads."""
    try:
        st = path.stat()
        body = path.read_bytes()
    except OSError as exc:
        raise ArchiveError(
            vi=f"Không đọc được {path.name} trong kho: {exc.strerror}. Chạy `sohoa fixity`.",
            en=f"Cannot read {path.name} in the archive: {exc.strerror}. Run `sohoa fixity`.",
        ) from exc
    tag = hashlib.md5(f"{st.st_mtime}-{st.st_size}".encode(), usedforsecurity=False).hexdigest()
    headers = {"etag": f'"{tag}"', "last-modified": formatdate(st.st_mtime, usegmt=True)}
    return Response(body, media_type=media_type, headers=headers)


@router.get(
    "/documents/{doc_id}/pdf",
    tags=["documents"],
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}}, "description": "PDF/A-2b"}},
)
def pdf(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId) -> FileResponse:
    """The document as PDF/A-2b (scan images with the stored OCR as a text layer)."""
    from pipeline.export import write_archival_pdf

    record = _record(request, ctx, who, doc_id, "pdf")
    folder = Path(tempfile.mkdtemp(prefix="sohoa-pdf-"))
    out = write_archival_pdf(ctx.archive, record, folder / f"van-ban-{doc_id}.pdf")
    note(request, ctx, who, "pdf", document_id=doc_id)
    return WholeFile(
        out, media_type="application/pdf", filename=out.name,
        background=BackgroundTask(_remove, folder),
    )  # fmt: skip


class WholeFile(FileResponse):
    """A use copy (a few hundred KB) read in one go, not in 64 KB steps through the threads."""

    chunk_size = 4 << 20


def _remove(folder: Path) -> None:
    for f in folder.iterdir():
        f.unlink(missing_ok=True)
    folder.rmdir()


@router.get("/documents/{doc_id}/export", tags=["documents"])
def export(request: Request, ctx: Ctx, who: Researcher, doc_id: DocId) -> dict:
    """The document's record under the standard's field names (TT 02/2019, TT 05/2025)."""
    from pipeline.export import standard_record

    record = _record(request, ctx, who, doc_id, "export")
    row = signatures.export_fields(ctx.archive, record, standard_record(record, 1, None))
    note(request, ctx, who, "export", document_id=doc_id)
    return row


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: dict[
        Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=4000)] | None
    ] = Field(..., min_length=1, max_length=40, description="field -> value; null clears the field")


@router.post("/documents/{doc_id}/corrections", tags=["review"])
def corrections(request: Request, ctx: Ctx, who: Clerk, doc_id: DocId, body: CorrectionIn) -> dict:
    """Correct metadata (clerk); lowering độ mật needs an admin. Says whether search follows."""
    from pipeline.corrections import correct, parse_assignments

    record = _record(request, ctx, who, doc_id, "correction", with_pages=False)
    changes = parse_assignments(
        tuple(f"{k}={'' if v is None else v.replace(chr(0), '')}" for k, v in body.changes.items())
    )
    lowered = "do_mat" in changes and parse_level(changes["do_mat"]) < effective_access(record)
    if lowered and who.user.role < Role.admin:
        note(request, ctx, who, "correction", "denied", document_id=doc_id,
                 detail={"fields": sorted(changes)})  # fmt: skip
        raise HTTPException(
            403,
            t("Chỉ quản trị viên được hạ độ mật.", "Only an admin may lower a secrecy mark."),
        )
    synced = correct(ctx.archive, doc_id, changes, f"web:{who.user.name}")
    # The fields only: the values are in the corrections table; the trail stays less secret.
    note(request, ctx, who, "correction", document_id=doc_id, detail={"fields": sorted(changes)})
    return corrected_view(ctx.archive, doc_id, synced)


# -- clerks: batches and review --------------------------------------------------------------


@router.get("/batches", tags=["batches"])
def batch_list(request: Request, ctx: Ctx, who: Clerk) -> list[dict]:
    """Every batch with its progress (pages stored of pages found, documents, failures)."""
    note(request, ctx, who, "batches")
    return [b.as_json() for b in batches.all_batches(ctx.archive)]


@router.get("/batches/{batch_id}", tags=["batches"])
def batch(
    request: Request,
    ctx: Ctx,
    who: Clerk,
    batch_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
) -> dict:
    """One batch's progress."""
    note(request, ctx, who, "batches", detail={"batch": batch_id})
    return batches.batch_progress(ctx.archive, batch_id).as_json()


@router.get("/review", tags=["review"])
def review(
    request: Request,
    ctx: Ctx,
    who: Clerk,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    """The review queue: flagged fields and pages, of documents the user's clearance allows."""
    from pipeline.review import review_queue

    queue = review_queue(ctx.archive, limit, who.user.clearance)
    note(request, ctx, who, "review")
    return queue.as_json()


# -- admins: users and the audit trail --------------------------------------------------------

RoleName = Literal["researcher", "clerk", "admin"]
LevelName = Literal["cong-khai", "mat", "toi-mat", "tuyet-mat"]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    full_name: str = Field(..., min_length=1, max_length=256)
    role: RoleName
    clearance: LevelName
    password: str = Field(..., min_length=10, max_length=1024)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: str | None = Field(None, min_length=1, max_length=256)
    role: RoleName | None = None
    clearance: LevelName | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=1024)


@router.get("/users", tags=["users"])
def user_list(request: Request, ctx: Ctx, who: Admin) -> list[dict]:
    """Every user (admin)."""
    note(request, ctx, who, "users")
    return [u.as_json() for u in accounts.users(ctx.archive)]


@router.post("/users", status_code=201, tags=["users"])
def user_add(request: Request, ctx: Ctx, who: Admin, body: Annotated[UserIn, Body()]) -> dict:
    """Add a user (admin)."""
    u = accounts.add_user(
        ctx.archive, body.name, body.full_name, Role[body.role], parse_level(body.clearance),
        body.password,
    )  # fmt: skip
    note(request, ctx, who, "user_add", detail={"name": u.name, "role": u.role.name,
                                                "clearance": u.clearance.slug})  # fmt: skip
    return u.as_json()


@router.patch("/users/{name}", tags=["users"])
def user_set(
    request: Request,
    ctx: Ctx,
    who: Admin,
    name: Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")],
    body: Annotated[UserChange, Body()],
) -> dict:
    """Change a user (admin); a change of role, clearance, password or active ends their
    sessions at once."""
    u = accounts.set_user(
        ctx.archive, name, full_name=body.full_name,
        role=Role[body.role] if body.role else None,
        clearance=parse_level(body.clearance) if body.clearance else None,
        active=body.active, password=body.password,
    )  # fmt: skip
    changed = sorted(k for k, v in body.model_dump().items() if v is not None)
    note(request, ctx, who, "user_set", detail={"name": name, "changed": changed})
    return u.as_json()


@router.get("/audit", tags=["audit"])
def audit_trail(
    request: Request,
    ctx: Ctx,
    who: Admin,
    user: Annotated[str | None, Query(max_length=64)] = None,
    since: dt.date | None = None,
    document: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[dict]:
    """Audit records, oldest first (admin); reading them is itself recorded."""
    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since else None
    note(request, ctx, who, "audit_read")
    found = audit.entries(ctx.archive, user=user, since=start, document_id=document, limit=limit)
    return [e.as_json() for e in found]


@router.get("/levels", tags=["session"])
def levels(who: Researcher) -> list[dict]:
    """Secrecy levels and their marks (for clients' forms)."""
    return [{"slug": lv.slug, "label": lv.label} for lv in AccessLevel]


# -- admins: the index and the originals --------------------------------------------------------


@router.post("/reindex", tags=["admin"])
def reindex(
    request: Request,
    ctx: Ctx,
    who: Admin,
    verify: Annotated[bool, Query(description="only compare the index with the store")] = False,
) -> dict:
    """Rebuild the search index from the store (swapped in atomically), or only verify it."""
    from pipeline import indexing

    if verify:
        documents, report = indexing.verify(ctx.archive)
        note(request, ctx, who, "reindex", detail={"verify": True, "ok": report.ok})
        return report.as_json(documents)
    count = indexing.rebuild(ctx.archive)
    note(request, ctx, who, "reindex", detail={"documents": count})
    return {"documents": count}


@router.post("/fixity", tags=["admin"])
def fixity(request: Request, ctx: Ctx, who: Admin) -> dict:
    """Re-hash every stored original (reads every byte: for small archives or quiet hours)."""
    from archive_store.fixity import check_fixity

    report = check_fixity(ctx.archive)
    note(request, ctx, who, "fixity", detail={"ok": report.ok, "checked": report.checked})
    return report.as_json()
