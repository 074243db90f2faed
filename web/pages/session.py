"""Signing in and out in the browser: the same accounts, sessions, throttling and audit as the
API's `POST/DELETE /api/v1/session`, with a form instead of JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from archive_store import accounts
from archive_store.accounts import Principal
from sohoa.i18n import t
from web.pages.frame import SIGN_IN, Ctx, Researcher, check_form, render, safe_next, session_of
from web.security import COOKIE, agent_of, client_of, note

router = APIRouter()


def _form(request: Request, status: int = 200, message: str = "", name: str = "",
          next_: str = "/", notice: str = "") -> Response:  # fmt: skip
    return render(
        request, "sign_in.html", status, message=message, notice=notice, name=name,
        next=safe_next(next_),
    )  # fmt: skip


@router.get(SIGN_IN)
def sign_in_page(
    request: Request, ctx: Ctx, next: str = "/", het_han: str = "", ra: str = ""
) -> Response:
    """The sign-in form; a browser already signed in goes straight on."""
    if session_of(request, ctx) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = ""
    if het_han:
        notice = t(
            "Phiên làm việc đã hết hạn hoặc đã kết thúc; hãy đăng nhập lại.",
            "Your session has expired or was ended; please sign in again.",
        )
    elif ra:
        notice = t("Bạn đã đăng xuất.", "You have signed out.")
    return _form(request, next_=next, notice=notice)


@router.post(SIGN_IN)
async def sign_in(
    request: Request,
    ctx: Ctx,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password (throttled as the API's sign-in); a new session id, then `next`."""
    await check_form(request, ctx, None)
    return await run_in_threadpool(_sign_in, request, ctx, name, password, next)


def _sign_in(request: Request, ctx: Ctx, name: str, password: str, next_: str) -> Response:
    settings = ctx.settings
    if not name.strip() or not password:
        message = t("Nhập tên đăng nhập và mật khẩu.", "Enter your user name and password.")
        return _form(request, 422, message, name, next_)
    client = client_of(request)
    result = accounts.sign_in(ctx.archive, name, password, client, settings.policy)
    tried = name.strip().lower()[:64]
    if result.outcome == "throttled":
        note(request, ctx, None, "sign_in", "throttled", user=tried)
        message = t(
            "Đăng nhập sai quá nhiều lần; thử lại sau 15 phút.",
            "Too many failed sign-ins; try again in 15 minutes.",
        )
        return _form(request, 429, message, name, next_)
    if result.user is None:
        note(request, ctx, None, "sign_in", "failed", user=tried)
        message = t("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password.")
        return _form(request, 401, message, name, next_)
    # A new session id whatever the browser had before (no session fixation).
    raw, csrf = accounts.open_session(
        ctx.archive, result.user.id, client, agent_of(request), request.cookies.get(COOKIE),
        settings.policy,
    )  # fmt: skip
    note(request, ctx, Principal(result.user, "session", csrf), "sign_in")
    response = RedirectResponse(safe_next(next_), status_code=303)
    secure = request.url.scheme == "https" or not settings.loopback
    response.set_cookie(
        COOKIE, raw, httponly=True, samesite="strict", secure=secure, path="/",
        max_age=int(settings.policy.absolute_hours * 3600),
    )  # fmt: skip
    return response


@router.post("/dang-xuat")
def sign_out(request: Request, ctx: Ctx, who: Researcher) -> Response:
    """End the session in the store (the form is CSRF-checked like every page POST)."""
    raw = request.cookies.get(COOKIE)
    if raw:
        accounts.end_session(ctx.archive, raw)
    note(request, ctx, who, "sign_out")
    response = RedirectResponse(f"{SIGN_IN}?ra=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
