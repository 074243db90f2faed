"""The API of the clerks' and admins' work: batches started from the scan root and their live
progress, background jobs (reindex, verify, fixity), users' sessions and passwords, API tokens,
the audit chain and the index state.

Each action is one function here that the route and the page (web.pages.clerk, .admin) both
call, so the check, the library call and its audit record are the same either way.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from archive_store import accounts, audit, store
from archive_store.accounts import Principal, Role
from archive_store.db import Archive
from pipeline import indexing, jobs, live, scan_root
from pipeline.documents import effective_access
from sohoa.access import parse_level
from sohoa.errors import ExitCode, NotFound, SohoaError
from web import api
from web.security import Context, context, note, requires

router = APIRouter(prefix="/api/v1")
Clerk = Annotated[Principal, Depends(requires(Role.clerk))]
Admin = Annotated[Principal, Depends(requires(Role.admin))]
Ctx = Annotated[Context, Depends(context)]
UserName = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
JobId = Annotated[str, PathParam(min_length=1, max_length=40, pattern=r"^[0-9a-f-]+$")]
ADMIN_JOBS = ("reindex", "verify", "fixity")


# -- the library of both the routes and the pages -------------------------------------------


def folders(request: Request, ctx: Context, who: Principal, path: str = "") -> dict:
    """The folders under `path` of the scan root (refused outside it)."""
    root = ctx.settings.scan_root
    if root is None:
        raise scan_root.no_scan_root()
    try:
        found = scan_root.list_folders(ctx.archive, root, path)
    except scan_root.OutsideScanRoot:
        note(request, ctx, who, "scan_root", "denied", detail={"path": path[:200]})
        raise
    except OSError:
        raise scan_root.no_scan_root() from None
    note(request, ctx, who, "scan_root", detail={"path": path[:200]})
    parent = path.strip("/").rsplit("/", 1)[0] if "/" in path.strip("/") else ""
    return {"path": path.strip("/"), "parent": parent if path.strip("/") else None,
            "folders": [f.as_json() for f in found]}  # fmt: skip


def start_batch(
    request: Request, ctx: Context, who: Principal, folder: str, workers: int | None = None
) -> jobs.Job:
    """Ingest a folder of the scan root as a job of its own (or the one already running)."""
    root = ctx.settings.scan_root
    if root is None:
        raise scan_root.no_scan_root()
    try:
        real = scan_root.check_batch_folder(root, folder)
    except scan_root.OutsideScanRoot:
        note(request, ctx, who, "batch_start", "denied", detail={"folder": folder[:200]})
        raise
    job = jobs.start(
        ctx.archive, "ingest", who.user.name, folder=real,
        rel_folder=real.relative_to(root.resolve()).as_posix(), workers=workers,
    )  # fmt: skip
    note(request, ctx, who, "batch_start", detail={"folder": job.folder, "job": job.id})
    return job


def live_batches(
    request: Request, ctx: Context, who: Principal, record: bool = True
) -> list[live.LiveBatch]:
    """The batches with live progress. A page's poll every few seconds is not recorded (it
    shows counts, no document; the page that polls was): the trail would fill with it."""
    found = live.live_batches(ctx.archive)
    if record:
        note(request, ctx, who, "batches")
    return found


def job_of(request: Request, ctx: Context, who: Principal, job_id: str) -> jobs.Job:
    """A job the user may see: clerks see batches, admins every job (else 404 as absent)."""
    found = jobs.job(ctx.archive, job_id)
    if found.kind != "ingest" and who.user.role < Role.admin:
        raise NotFound(vi=f"Không có việc {job_id!r}.", en=f"No job {job_id!r}.")
    note(request, ctx, who, "job", detail={"job": job_id})
    return found


def start_job(request: Request, ctx: Context, who: Principal, kind: str) -> jobs.Job:
    """A reindex, an index check or a fixity check as a job of its own (admin)."""
    job = jobs.start(ctx.archive, kind, who.user.name)
    note(request, ctx, who, "job_start", detail={"kind": kind, "job": job.id})
    return job


def index_state(request: Request, ctx: Context, who: Principal) -> dict:
    """The index as the store sees it now: documents, jobs waiting, the last check and the
    jobs of each admin kind."""
    st = store.status(ctx.archive)
    pending = store.pending_jobs(ctx.archive)
    last = {kind: next(iter(jobs.list_jobs(ctx.archive, kind, limit=1)), None)
            for kind in ADMIN_JOBS}  # fmt: skip
    note(request, ctx, who, "index_state")
    return {
        "engine": ctx.index.engine,
        "documents": st.documents,
        "pages": st.pages,
        "pending_documents": len(pending.doc_ids),
        "pending_by_reason": pending.reasons,
        "last": {kind: job.as_json() if job else None for kind, job in last.items()},
    }


def end_sessions(request: Request, ctx: Context, who: Principal, name: str) -> int:
    ended = accounts.end_sessions(ctx.archive, name)
    note(request, ctx, who, "sessions_end", detail={"name": name, "ended": ended})
    return ended


def reset_password(
    request: Request, ctx: Context, who: Principal, name: str, password: str | None = None
) -> str | None:
    """Set the user's password (a new random one when none is given, returned to be shown
    once); every session of the user ends."""
    made = None if password else secrets.token_urlsafe(12)
    accounts.set_user(ctx.archive, name, password=password or made)
    note(request, ctx, who, "user_set", detail={"name": name, "changed": ["password"]})
    return made


def set_user(request: Request, ctx: Context, who: Principal, name: str, **changes: object) -> None:
    """Change role, clearance or active (each ends the user's sessions), as PATCH /users."""
    accounts.set_user(ctx.archive, name, **changes)  # type: ignore[arg-type]
    changed = sorted(k for k, v in changes.items() if v is not None)
    note(request, ctx, who, "user_set", detail={"name": name, "changed": changed})


def add_token(
    request: Request, ctx: Context, who: Principal, user: str, name: str, days: int
) -> tuple[str, accounts.TokenInfo]:
    raw, info = accounts.add_token(ctx.archive, user, name, days)
    note(request, ctx, who, "token_add", detail={"id": info.id, "user": user, "name": info.name})
    return raw, info


def revoke_token(
    request: Request, ctx: Context, who: Principal, token_id: int
) -> accounts.TokenInfo:
    info = accounts.revoke_token(ctx.archive, token_id)
    note(request, ctx, who, "token_revoke", detail={"id": token_id, "user": info.user_name})
    return info


def verify_chain(request: Request, ctx: Context, who: Principal) -> audit.ChainCheck:
    # Recorded first, so the check covers its own record too.
    note(request, ctx, who, "audit_verify")
    return audit.verify(ctx.archive)


def shown(archive: Archive, who: Principal, job: dict | None) -> dict | None:
    """A job as this user may see it: an ingest's report lists only the documents their
    clearance allows (the ids of the others reveal nothing either)."""
    if not job or not isinstance((job.get("result") or {}).get("documents"), list):
        return job
    ids = [d for d in job["result"]["documents"] if isinstance(d, int)]
    seen = store.visible(archive, ids, int(who.user.clearance))
    return {**job, "result": {**job["result"], "documents": [d for d in ids if d in seen]}}


def batch_json(ctx: Context, who: Principal, batch: live.LiveBatch) -> dict:
    obj = batch.as_json()
    return {**obj, "job": shown(ctx.archive, who, obj["job"])}


class NotAllowed(SohoaError):
    exit_code = ExitCode.usage


def correct_document(
    request: Request, ctx: Context, who: Principal, doc_id: int, changed: dict[str, str]
) -> indexing.SyncReport:
    """The correction form's save: the checks of `POST /documents/{id}/corrections` (the
    document visible to the clerk now, only an admin lowers độ mật), then the same library
    call, which brings search in step at once."""
    from pipeline.corrections import correct, parse_assignments

    record = api._record(request, ctx, who, doc_id, "correction", with_pages=False)
    changes = parse_assignments(tuple(f"{k}={v.replace(chr(0), '')}" for k, v in changed.items()))
    lowered = "do_mat" in changes and parse_level(changes["do_mat"]) < effective_access(record)
    if lowered and who.user.role < Role.admin:
        note(request, ctx, who, "correction", "denied", document_id=doc_id,
             detail={"fields": sorted(changes)})  # fmt: skip
        raise NotAllowed(
            vi="Chỉ quản trị viên được hạ độ mật.", en="Only an admin may lower a secrecy mark."
        )
    synced = correct(ctx.archive, doc_id, changes, f"web:{who.user.name}")
    note(request, ctx, who, "correction", document_id=doc_id, detail={"fields": sorted(changes)})
    return synced


# -- clerks ---------------------------------------------------------------------------------


@router.get("/scan-root", tags=["batches"])
def scan_root_folders(
    request: Request,
    ctx: Ctx,
    who: Clerk,
    path: Annotated[str, Query(max_length=1024, description="folder under the scan root")] = "",
) -> dict:
    """The folders under the scan root (or one of its folders) that a batch may start from."""
    return folders(request, ctx, who, path)


class StartBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    folder: str = Field(..., min_length=1, max_length=1024,
                        description="the folder, relative to the scan root")  # fmt: skip
    workers: int | None = Field(None, ge=1, le=256)


@router.post("/ingest", status_code=202, tags=["batches"])
def ingest_start(
    request: Request, ctx: Ctx, who: Clerk, body: Annotated[StartBatch, Body()]
) -> dict:
    """Start ingesting a folder of the scan root, as a process of its own (resumable: start
    it again after an interruption); answers the job."""
    job = start_batch(request, ctx, who, body.folder, body.workers)
    return shown(ctx.archive, who, job.as_json()) or {}


@router.get("/ingest", tags=["batches"])
def ingest_progress(
    request: Request,
    ctx: Ctx,
    who: Clerk,
    poll: Annotated[bool, Query(description="a page following progress: not recorded")] = False,
) -> list[dict]:
    """Every batch, newest first, with live progress: pages stored of pages found, pages per
    minute, time left, failures with their reasons, and the job that runs it."""
    found = live_batches(request, ctx, who, record=not poll)
    return [batch_json(ctx, who, b) for b in found]


@router.get("/jobs", tags=["batches"])
def job_list(
    request: Request,
    ctx: Ctx,
    who: Clerk,
    kind: Literal["ingest", "reindex", "verify", "fixity"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict]:
    """Background jobs, newest first: clerks see batches, admins every kind."""
    if who.user.role < Role.admin and kind not in (None, "ingest"):
        return []
    wanted = kind or (None if who.user.role >= Role.admin else "ingest")
    note(request, ctx, who, "jobs")
    found = jobs.list_jobs(ctx.archive, wanted, limit)
    return [shown(ctx.archive, who, j.as_json()) or {} for j in found]


@router.get("/jobs/{job_id}", tags=["batches"])
def job_one(request: Request, ctx: Ctx, who: Clerk, job_id: JobId) -> dict:
    """One job: its state and, once ended, the command's report."""
    return shown(ctx.archive, who, job_of(request, ctx, who, job_id).as_json()) or {}


# -- admins ---------------------------------------------------------------------------------


class StartJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["reindex", "verify", "fixity"]


@router.post("/jobs", status_code=202, tags=["admin"])
def job_start(request: Request, ctx: Ctx, who: Admin, body: Annotated[StartJob, Body()]) -> dict:
    """Rebuild the index, check it against the store, or re-hash every original, as a process
    of its own (the one running is answered when there is one)."""
    return start_job(request, ctx, who, body.kind).as_json()


@router.get("/index", tags=["admin"])
def index(request: Request, ctx: Ctx, who: Admin) -> dict:
    """The index's state: documents, index jobs waiting, the last rebuild, check and fixity."""
    return index_state(request, ctx, who)


@router.post("/users/{name}/end-sessions", tags=["users"])
def user_end_sessions(request: Request, ctx: Ctx, who: Admin, name: UserName) -> dict:
    """End every open session of the user now (their browser is signed out at its next step)."""
    return {"name": name, "ended": end_sessions(request, ctx, who, name)}


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str | None = Field(None, min_length=10, max_length=1024,
                                 description="none: a random one, answered once")  # fmt: skip


@router.post("/users/{name}/password", tags=["users"])
def user_password(
    request: Request, ctx: Ctx, who: Admin, name: UserName, body: Annotated[PasswordIn, Body()]
) -> JSONResponse:
    """Reset the user's password (their sessions end); a generated one is shown only here."""
    made = reset_password(request, ctx, who, name, body.password)
    return JSONResponse({"name": name, "password": made})


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(..., min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field("token", min_length=1, max_length=128)
    days: int = Field(90, ge=1, le=3660)


@router.get("/tokens", tags=["users"])
def token_list(
    request: Request,
    ctx: Ctx,
    who: Admin,
    user: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict]:
    """API tokens (never the tokens themselves: they are kept hashed)."""
    note(request, ctx, who, "tokens")
    return [tok.as_json() for tok in accounts.tokens(ctx.archive, user)]


@router.post("/tokens", status_code=201, tags=["users"])
def token_add(request: Request, ctx: Ctx, who: Admin, body: Annotated[TokenIn, Body()]) -> dict:
    """A new API token for a user: the token is in this answer only."""
    raw, info = add_token(request, ctx, who, body.user, body.name, body.days)
    return {**info.as_json(), "token": raw}


@router.delete("/tokens/{token_id}", tags=["users"])
def token_revoke(
    request: Request, ctx: Ctx, who: Admin, token_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]
) -> dict:
    """Revoke an API token (at once)."""
    return revoke_token(request, ctx, who, token_id).as_json()


@router.get("/audit/verify", tags=["audit"])
def audit_verify(request: Request, ctx: Ctx, who: Admin) -> dict:
    """Check the audit trail's hash chain: the first record edited, deleted or added, if any."""
    return verify_chain(request, ctx, who).as_json()
