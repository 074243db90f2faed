"""The ASGI application: sign-in, the API and IIIF routers, limits, headers and error answers.

Errors answer JSON `{"error": message}` in the reader's language with a fitting status, never a
traceback: a bad query or value 400/422, an unknown or hidden document 404, a body too large
413, an archive that cannot answer 503, anything unexpected 500 (the traceback goes to the
server's log only).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive_store import accounts, audit
from archive_store.accounts import Principal
from archive_store.db import Archive
from sohoa.errors import ExitCode, SohoaError
from sohoa.i18n import t
from web import api, api_manage, iiif, pages
from web.security import (
    COOKIE,
    Context,
    SharedIndex,
    agent_of,
    client_of,
    context,
    note,
    origin_allowed,
    principal,
    refuse_csrf,
)
from web.settings import ServerSettings

log = logging.getLogger("sohoa.web")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    # Pages of classified documents stay out of browser and proxy caches.
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class Guard:
    """Pure ASGI middleware: refuses bodies over the limit (413) and adds security headers."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _too_large(send, self.max_body)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge
            return message

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in have]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, limited, with_headers)
        except _BodyTooLarge:
            if not started:
                await _too_large(send, self.max_body)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = JSONResponse(
        {
            "error": t(
                f"Yêu cầu quá lớn (tối đa {limit} byte).",
                f"Request too large (at most {limit} bytes).",
            )
        },
        status_code=413,
    )
    await send({"type": "http.response.start", "status": 413,
                "headers": [*body.raw_headers, *HEADERS]})  # fmt: skip
    await send({"type": "http.response.body", "body": body.body})


_STATUS = {
    ExitCode.usage: 400,
    ExitCode.not_found: 404,
    ExitCode.access_denied: 404,  # ids reveal nothing: hidden is answered as absent
    ExitCode.archive_error: 503,
    ExitCode.input_failed: 422,
    ExitCode.missing_dependency: 503,
}


class SignInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=1024)


def create_app(settings: ServerSettings, archive: Archive | None = None) -> FastAPI:
    """The server over one archive (opened here unless given); one index kept open."""
    archive = archive or Archive(settings.archive_dir, create=False)
    accounts.warm_up()
    ctx = Context(archive, SharedIndex(archive), settings, audit.Recorder(archive))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.recorder.close()
        ctx.index.close()

    app = FastAPI(
        lifespan=lifespan,
        title="sohoa",
        version="1",
        summary=t("Kho lưu trữ số hóa", "The digitized archive"),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, to signed-in users only
    )
    app.state.sohoa = ctx

    @app.post("/api/v1/session", tags=["session"], response_model=api.Who)
    def sign_in(request: Request, body: SignInBody) -> JSONResponse:
        """Sign in with name and password: a new session (cookie) and its CSRF token.

        Five failed attempts for a name (twenty from one address) in 15 minutes and sign-in is
        refused (429) for a while, even with the right password.
        """
        if request.headers.get("origin") and not origin_allowed(request, settings):
            raise refuse_csrf()
        client = client_of(request)
        result = accounts.sign_in(archive, body.name, body.password, client, settings.policy)
        tried = body.name.strip().lower()[:64]
        if result.outcome == "throttled":
            note(request, ctx, None, "sign_in", "throttled", user=tried)
            raise HTTPException(
                429,
                t(
                    "Đăng nhập sai quá nhiều lần; thử lại sau 15 phút.",
                    "Too many failed sign-ins; try again in 15 minutes.",
                ),
                headers={"Retry-After": str(int(settings.policy.failure_window_minutes * 60))},
            )
        if result.user is None:
            note(request, ctx, None, "sign_in", "failed", user=tried)
            raise HTTPException(
                401, t("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password.")
            )
        raw, csrf = accounts.open_session(
            archive,
            result.user.id,
            client,
            agent_of(request),
            request.cookies.get(COOKIE),
            settings.policy,
        )
        who = Principal(result.user, "session", csrf)
        note(request, ctx, who, "sign_in")
        response = JSONResponse(api._who(who).model_dump())
        secure = request.url.scheme == "https" or not settings.loopback
        response.set_cookie(
            COOKIE, raw, httponly=True, samesite="strict", secure=secure, path="/",
            max_age=int(settings.policy.absolute_hours * 3600),
        )  # fmt: skip
        return response

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(who: Annotated[Principal, Depends(principal)]) -> JSONResponse:
        return JSONResponse(app.openapi())

    app.include_router(api.router)
    app.include_router(api_manage.router)
    app.include_router(iiif.router)
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")

    @app.exception_handler(SohoaError)
    async def sohoa_error(request: Request, exc: SohoaError) -> Response:
        status = _STATUS.get(exc.exit_code, 500)
        if pages.is_page(request.url.path):
            return pages.error_page(request, status, exc.message())
        return JSONResponse({"error": exc.message()}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = t("Không có địa chỉ này.", "No such address.")
        if exc.status_code == 405:
            message = t("Phương thức không dùng được ở địa chỉ này.", "Method not allowed here.")
        if pages.is_page(request.url.path):
            return pages.error_page(
                request, exc.status_code, message, getattr(exc, "headers", None)
            )
        return JSONResponse(
            {"error": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if pages.is_page(request.url.path):
            return pages.error_page(request, 422, t("Yêu cầu không hợp lệ.", "Invalid request."))
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()[:20]
        ]
        return JSONResponse(
            {"error": t("Yêu cầu không hợp lệ.", "Invalid request."), "problems": problems},
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error", exc_info=exc)
        message = t(
            "Lỗi máy chủ; quản trị viên xem nhật ký.", "Server error; the admin can read the log."
        )
        if pages.is_page(request.url.path):
            return pages.error_page(request, 500, message)
        return JSONResponse({"error": message}, status_code=500)

    # The pages' language (?lang=, a cookie) is set around everything, their errors included.
    app.add_middleware(pages.Language)
    app.add_middleware(Guard, max_body=settings.max_body)
    return app


def every_route(app: FastAPI) -> list[tuple[str, set[str], Any]]:
    """(path, methods, route) of every route the application answers, routers included."""
    out: list[tuple[str, set[str], Any]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # FastAPI >= 0.16x keeps included routers as branches
                walk(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
                continue
            if hasattr(route, "methods"):
                out.append((prefix + route.path, set(route.methods or ()), route))
            elif hasattr(route, "routes"):
                walk(route.routes, prefix + getattr(route, "path", ""))

    walk(list(app.router.routes), "")
    return out


def app_from_env() -> FastAPI:
    """For `uvicorn --factory` and server worker processes (settings from the environment)."""
    return create_app(ServerSettings.from_env())


__all__ = ["Context", "context", "create_app"]
