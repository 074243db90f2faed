"""The admins' pages: users (add, disable, role, clearance, password, sessions), API tokens,
the audit trail with its filters and chain check, the index with reindex and verify, and the
fixity report; every change through web.api_manage, so audited as the API's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from archive_store import accounts, audit
from archive_store.accounts import Principal, Role, parse_role
from pipeline import jobs
from sohoa.access import AccessLevel, parse_level
from sohoa.errors import ExitCode, SohoaError
from sohoa.i18n import t
from web import api_manage
from web.pages.frame import Admin, Ctx, nav_item, render
from web.security import Context, note

router = APIRouter()
nav_item(Role.admin, "/quan-tri/nguoi-dung", "Quản trị", "Admin", order=30)

UserName = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
SECTIONS = (
    ("/quan-tri/nguoi-dung", "Người dùng", "Users"),
    ("/quan-tri/token", "Token API", "API tokens"),
    ("/quan-tri/nhat-ky", "Nhật ký kiểm tra", "Audit trail"),
    ("/quan-tri/chi-muc", "Chỉ mục tìm kiếm", "Search index"),
    ("/quan-tri/bao-toan", "Bảo toàn bản gốc", "Fixity"),
)
DONE = {
    "luu": ("Đã lưu thay đổi; các phiên của người dùng đã kết thúc.",
            "Saved; the user's sessions have ended."),
    "them": ("Đã thêm người dùng.", "User added."),
    "phien": ("Đã kết thúc mọi phiên của người dùng.", "Every session of the user has ended."),
    "thu-hoi": ("Đã thu hồi token.", "Token revoked."),
    "viec": ("Đã bắt đầu; trang tự cập nhật khi xong.",
             "Started; the page updates itself when it ends."),
}  # fmt: skip


def _frame(request: Request, template: str, status: int = 200, **values: object) -> HTMLResponse:
    done = DONE.get(request.query_params.get("xong", ""))
    values = {"problem": "", "shown_once": None, **values}
    return render(
        request, template, status, None, sections=[(p, t(vi, en)) for p, vi, en in SECTIONS],
        done=t(*done) if done else "", **values,
    )  # fmt: skip


def _refused(exc: SohoaError) -> str:
    if exc.exit_code not in (ExitCode.usage, ExitCode.not_found):
        raise exc
    return exc.message()


# -- users ----------------------------------------------------------------------------------


def _users_page(request: Request, ctx: Context, who: Principal, status: int = 200,
                **values: object) -> HTMLResponse:  # fmt: skip
    found = accounts.users(ctx.archive)
    sessions = {u.name: accounts.sessions_of(ctx.archive, u.name) for u in found}
    note(request, ctx, who, "users")
    return _frame(
        request, "admin_users.html", status, users=found, sessions=sessions,
        roles=list(Role), levels=list(AccessLevel), **values,
    )  # fmt: skip


@router.get("/quan-tri")
def admin_home(who: Admin) -> Response:
    return RedirectResponse("/quan-tri/nguoi-dung", status_code=303)


@router.get("/quan-tri/nguoi-dung")
def users_page(request: Request, ctx: Ctx, who: Admin) -> HTMLResponse:
    """Every user with their role, clearance, state and open sessions, and what to change."""
    return _users_page(request, ctx, who)


@router.post("/quan-tri/nguoi-dung")
def user_add(
    request: Request,
    ctx: Ctx,
    who: Admin,
    name: Annotated[str, Form(max_length=64)] = "",
    full_name: Annotated[str, Form(max_length=256)] = "",
    role: Annotated[str, Form(max_length=16)] = "researcher",
    clearance: Annotated[str, Form(max_length=16)] = "cong-khai",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        u = accounts.add_user(ctx.archive, name.strip(), full_name, parse_role(role),
                              parse_level(clearance), password)  # fmt: skip
    except SohoaError as exc:
        return _users_page(request, ctx, who, 400, problem=_refused(exc))
    note(request, ctx, who, "user_add", detail={"name": u.name, "role": u.role.name,
                                                "clearance": u.clearance.slug})  # fmt: skip
    return RedirectResponse("/quan-tri/nguoi-dung?xong=them", status_code=303)


@router.post("/quan-tri/nguoi-dung/{name}")
def user_change(
    request: Request,
    ctx: Ctx,
    who: Admin,
    name: UserName,
    role: Annotated[str, Form(max_length=16)] = "",
    clearance: Annotated[str, Form(max_length=16)] = "",
    active: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Role and clearance, or active (from the disable/enable button)."""
    try:
        api_manage.set_user(
            request, ctx, who, name,
            role=parse_role(role) if role else None,
            clearance=parse_level(clearance) if clearance else None,
            active={"co": True, "khong": False}.get(active),
        )  # fmt: skip
    except SohoaError as exc:
        return _users_page(request, ctx, who, 400, problem=_refused(exc))
    return RedirectResponse("/quan-tri/nguoi-dung?xong=luu", status_code=303)


@router.post("/quan-tri/nguoi-dung/{name}/mat-khau")
def user_password(request: Request, ctx: Ctx, who: Admin, name: UserName) -> Response:
    """A new random password, shown on this page only (the user's sessions end)."""
    try:
        made = api_manage.reset_password(request, ctx, who, name)
    except SohoaError as exc:
        return _users_page(request, ctx, who, 400, problem=_refused(exc))
    shown = (t(f"Mật khẩu mới của {name} (chỉ hiện một lần):",
               f"The new password of {name} (shown this once):"), made)  # fmt: skip
    return _users_page(request, ctx, who, shown_once=shown)


@router.post("/quan-tri/nguoi-dung/{name}/ket-thuc-phien")
def user_end_sessions(request: Request, ctx: Ctx, who: Admin, name: UserName) -> Response:
    try:
        api_manage.end_sessions(request, ctx, who, name)
    except SohoaError as exc:
        return _users_page(request, ctx, who, 400, problem=_refused(exc))
    return RedirectResponse("/quan-tri/nguoi-dung?xong=phien", status_code=303)


# -- tokens ---------------------------------------------------------------------------------


def _tokens_page(request: Request, ctx: Context, who: Principal, status: int = 200,
                 **values: object) -> HTMLResponse:  # fmt: skip
    note(request, ctx, who, "tokens")
    return _frame(
        request, "admin_tokens.html", status, tokens=accounts.tokens(ctx.archive),
        users=accounts.users(ctx.archive), now=accounts.now(), **values,
    )  # fmt: skip


@router.get("/quan-tri/token")
def tokens_page(request: Request, ctx: Ctx, who: Admin) -> HTMLResponse:
    return _tokens_page(request, ctx, who)


@router.post("/quan-tri/token")
def token_add(
    request: Request,
    ctx: Ctx,
    who: Admin,
    user: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=128)] = "token",
    days: Annotated[int, Form(ge=1, le=3660)] = 90,
) -> Response:
    """A new token, shown on this page only (it is kept hashed)."""
    try:
        raw, info = api_manage.add_token(request, ctx, who, user, name, days)
    except SohoaError as exc:
        return _tokens_page(request, ctx, who, 400, problem=_refused(exc))
    heading = t(
        f"Token {info.name} của {info.user_name} (chỉ hiện một lần, hãy chép ngay):",
        f"Token {info.name} of {info.user_name} (shown this once, copy it now):",
    )
    shown = (heading, raw)
    return _tokens_page(request, ctx, who, shown_once=shown)


@router.post("/quan-tri/token/{token_id}/thu-hoi")
def token_revoke(
    request: Request, ctx: Ctx, who: Admin,
    token_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
) -> Response:  # fmt: skip
    try:
        api_manage.revoke_token(request, ctx, who, token_id)
    except SohoaError as exc:
        return _tokens_page(request, ctx, who, 400, problem=_refused(exc))
    return RedirectResponse("/quan-tri/token?xong=thu-hoi", status_code=303)


# -- the audit trail ------------------------------------------------------------------------


@router.get("/quan-tri/nhat-ky")
def audit_page(
    request: Request,
    ctx: Ctx,
    who: Admin,
    nguoi: Annotated[str, Query(max_length=64)] = "",
    tu_ngay: Annotated[str, Query(max_length=10)] = "",
    van_ban: Annotated[str, Query(max_length=10)] = "",
    so_dong: Annotated[int, Query(ge=1, le=5000)] = 200,
    kiem_tra: str = "",
) -> HTMLResponse:
    """Audit records, newest first, by user, date and document; the chain check on asking."""
    problem = ""
    since = None
    if tu_ngay:
        try:
            since = dt.datetime.combine(dt.date.fromisoformat(tu_ngay), dt.time(), dt.UTC)
        except ValueError:
            problem = t("Ngày cần dạng NĂM-THÁNG-NGÀY.", "Dates are YYYY-MM-DD.")
    document = int(van_ban) if van_ban.isdigit() and 0 < int(van_ban) < 2**31 else None
    if van_ban and document is None:
        problem = t("Mã văn bản là một số.", "A document id is a number.")
    check = api_manage.verify_chain(request, ctx, who) if kiem_tra else None
    note(request, ctx, who, "audit_read")
    found = list(audit.entries(ctx.archive, user=nguoi.strip() or None, since=since,
                               document_id=document, limit=so_dong))  # fmt: skip
    found.reverse()
    filters = {"nguoi": nguoi, "tu_ngay": tu_ngay, "van_ban": van_ban, "so_dong": so_dong}
    return _frame(request, "admin_audit.html", 400 if problem else 200, entries=found,
                  filters=filters, check=check, problem=problem)  # fmt: skip


# -- the index and the originals ------------------------------------------------------------


@router.get("/quan-tri/chi-muc")
def index_page(request: Request, ctx: Ctx, who: Admin) -> HTMLResponse:
    """The index's state, the last rebuild and check, and the buttons to run them again."""
    state = api_manage.index_state(request, ctx, who)
    running = [j for j in jobs.list_jobs(ctx.archive, limit=20)
               if j.running and j.kind in ("reindex", "verify")]  # fmt: skip
    return _frame(request, "admin_index.html", state=state, running=running)


@router.get("/quan-tri/bao-toan")
def fixity_page(request: Request, ctx: Ctx, who: Admin) -> HTMLResponse:
    """The last fixity check's report (every original re-hashed), and the button for a new one."""
    found = jobs.list_jobs(ctx.archive, "fixity", limit=5)
    note(request, ctx, who, "fixity_report")
    return _frame(request, "admin_fixity.html", last=found[0] if found else None,
                  earlier=found[1:])  # fmt: skip


@router.post("/quan-tri/viec")
def job_start(
    request: Request, ctx: Ctx, who: Admin, loai: Annotated[str, Form(max_length=16)] = ""
) -> Response:
    """Start a reindex, index check or fixity check as a process of its own."""
    if loai not in api_manage.ADMIN_JOBS:
        raise HTTPException(400, t("Không có loại việc này.", "No such job."))
    api_manage.start_job(request, ctx, who, loai)
    back = "/quan-tri/bao-toan" if loai == "fixity" else "/quan-tri/chi-muc"
    return RedirectResponse(f"{back}?xong=viec", status_code=303)
