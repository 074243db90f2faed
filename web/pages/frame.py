"""The frame every browser page shares: templates, the signed-in user, roles, CSRF in forms,
the reader's language, the pages' Content-Security-Policy and their error pages."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from archive_store import accounts
from archive_store.accounts import Principal, Role
from sohoa import i18n
from sohoa.access import AccessLevel
from sohoa.i18n import t
from web.security import COOKIE, SAFE_METHODS, Context, context, note, origin_allowed, refuse_csrf

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

SIGN_IN = "/dang-nhap"
LANG_COOKIE = "sohoa_lang"
CSRF_FIELD = "csrf_token"

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""Scripts, styles and images from this server's own files only: no inline script or style
(positions are SVG attributes or set from script), so an injected tag runs nothing."""

_NOT_PAGES = ("/api/", "/iiif/", "/static/")

Ctx = Annotated[Context, Depends(context)]


_PAGE_PATHS: list[re.Pattern[str]] = []


def register_paths(routes: list[Any]) -> None:
    """Know these routes' paths as pages (web/pages/__init__.py does it for every module)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            register_paths(inner.routes)
        elif isinstance(getattr(route, "path_regex", None), re.Pattern):
            _PAGE_PATHS.append(route.path_regex)


def is_page(path: str) -> bool:
    """Paths answered as HTML (the pages, their errors included); everything else, the API,
    IIIF and unknown paths, answers JSON as before."""
    if path.startswith(_NOT_PAGES):
        return False
    return any(pattern.match(path) for pattern in _PAGE_PATHS)


# -- navigation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    role: Role
    path: str
    vi: str
    en: str
    order: int = 50

    @property
    def label(self) -> str:
        return t(self.vi, self.en)


_NAV: list[NavItem] = []


def nav_item(role: Role, path: str, vi: str, en: str, order: int = 50) -> None:
    """Show a link in the header to users holding at least `role` (call at import time)."""
    if all(item.path != path for item in _NAV):
        _NAV.append(NavItem(role, path, vi, en, order))
        _NAV.sort(key=lambda item: (item.order, item.path))


def nav_for(who: Principal | None) -> list[NavItem]:
    if who is None:
        return []
    return [item for item in _NAV if who.user.role >= item.role]


# -- rendering --------------------------------------------------------------------------------


@cache
def _static_version(name: str) -> str:
    # A file's own hash in its URL: a changed stylesheet is fetched again, never a stale one.
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static(name: str) -> str:
    return f"/static/{name}?v={_static_version(name)}"


def role_label(role: Role) -> str:
    return {
        Role.researcher: t("Nghiên cứu viên", "Researcher"),
        Role.clerk: t("Cán bộ lưu trữ", "Archive clerk"),
        Role.admin: t("Quản trị viên", "Administrator"),
    }[Role(role)]


def level_label(level: int) -> str:
    """A secrecy level as the reader says it ("Mật" is printed on documents: kept in English)."""
    value = AccessLevel(level)
    english = {AccessLevel.cong_khai: "Public", AccessLevel.mat: "Mật (confidential)",
               AccessLevel.toi_mat: "Tối mật (secret)",
               AccessLevel.tuyet_mat: "Tuyệt mật (top secret)"}  # fmt: skip
    return t(value.label, english[value])


def marked(snippet: str) -> Markup:
    """A search snippet with its [[matched words]] in <mark>, everything else escaped."""
    out = escape(snippet)
    return Markup(re.sub(r"\[\[(.+?)\]\]", r"<mark>\1</mark>", str(out)))


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=t, static=static, role_label=role_label, level_label=level_label)
    env.filters["marked"] = marked
    env.filters["urlq"] = lambda value: quote(str(value), safe="")
    return env


ENV = _env()


def with_lang(request: Request, language: str) -> str:
    """This page's own URL in another language (the VI/EN switch)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", language))
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request,
    template_name: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from web/templates/, with the frame's values (who, nav, csrf_token, lang, ...)."""
    who: Principal | None = getattr(request.state, "principal", None)
    values = {
        "request": request,
        "who": who,
        "nav": nav_for(who),
        "lang": i18n.lang(),
        "csrf_token": who.csrf_token if who else "",
        "csrf_field": CSRF_FIELD,
        "lang_vi": with_lang(request, "vi"),
        "lang_en": with_lang(request, "en"),
        "here": request.url.path,
        **context,
    }
    body = ENV.get_template(template_name).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers["content-security-policy"] = PAGE_CSP
    # "no-referrer" (the API's) makes Chromium send "Origin: null" with a form, which the CSRF
    # check must refuse; same-origin still tells other sites nothing.
    response.headers["referrer-policy"] = "same-origin"
    return response


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The HTML answer to an error on a page path (the app's handlers call it)."""
    if 300 <= status < 400 and headers and "location" in {k.lower() for k in headers}:
        location = next(v for k, v in headers.items() if k.lower() == "location")
        return RedirectResponse(location, status_code=status)
    titles = {
        403: t("Không được phép", "Not allowed"),
        404: t("Không tìm thấy", "Not found"),
        422: t("Yêu cầu không hợp lệ", "Invalid request"),
        429: t("Quá nhiều lần thử", "Too many attempts"),
    }
    title = titles.get(status, t("Có lỗi", "Something went wrong"))
    kept = {k: v for k, v in (headers or {}).items() if k.lower() == "retry-after"}
    return render(request, "error.html", status, kept, title=title, message=message)


# -- who is signed in -------------------------------------------------------------------------


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server only, never another site."""
    if not value or len(value) > 2000 or not value.startswith("/"):
        return "/"
    if value.startswith(("//", "/\\")) or any(c in value for c in "\\\r\n\t\0"):
        return "/"
    if value.split("?", 1)[0] in (SIGN_IN, "/dang-xuat"):
        return "/"
    return value


def sign_in_url(request: Request, expired: bool = False) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    params = {"next": safe_next(here)}
    if expired:
        params["het_han"] = "1"
    return f"{SIGN_IN}?{urlencode(params)}"


def _session_of(ctx: Context, request: Request) -> Principal | None:
    raw = request.cookies.get(COOKIE)
    return accounts.session_principal(ctx.archive, raw, ctx.settings.policy) if raw else None


def session_of(request: Request, ctx: Context) -> Principal | None:
    """The live session's user, or None; pages know only sessions (tokens are for machines)."""
    return _session_of(ctx, request)


async def check_form(request: Request, ctx: Context, who: Principal | None) -> None:
    """A form POST must come from this server's Origin and carry the session's token (403)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    ok = origin_allowed(request, ctx.settings) and (
        who is None or accounts.csrf_matches(who, sent if isinstance(sent, str) else None)
    )
    if not ok:
        await run_in_threadpool(
            note, request, ctx, who, "csrf", "denied", detail={"path": request.url.path}
        )
        raise refuse_csrf()


def not_here() -> HTTPException:
    return HTTPException(404, t("Không có trang này.", "No such page."))


def page_user(role: Role = Role.researcher) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the signed-in user, holding at least `role`.

    No live session: 303 to the sign-in page, which comes back here afterwards (and says the
    session ended when the browser still had one). A role too low: the 404 page, recorded, so
    a researcher learns nothing about the clerks' pages. Form POSTs are CSRF-checked.
    """

    async def page_principal(request: Request, ctx: Ctx) -> Principal:
        who = await run_in_threadpool(_session_of, ctx, request)
        if who is None:
            expired = bool(request.cookies.get(COOKIE))
            raise HTTPException(303, headers={"Location": sign_in_url(request, expired)})
        if request.method not in SAFE_METHODS:
            await check_form(request, ctx, who)
        if who.user.role < role:
            await run_in_threadpool(
                note, request, ctx, who, "role", "denied", detail={"path": request.url.path}
            )
            raise not_here()
        request.state.principal = who
        return who

    return page_principal


Researcher = Annotated[Principal, Depends(page_user(Role.researcher))]
Clerk = Annotated[Principal, Depends(page_user(Role.clerk))]
Admin = Annotated[Principal, Depends(page_user(Role.admin))]


# -- the reader's language --------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


def _language_asked(scope: Scope) -> tuple[str | None, bool]:
    """(language, asked in the URL now): ?lang= wins and is kept in a cookie, else the cookie."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    asked = (query.get("lang") or [""])[0].lower()
    if asked in ("vi", "en"):
        return asked, True
    for key, value in scope.get("headers") or []:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, kept = part.strip().partition("=")
                if name == LANG_COOKIE and kept in ("vi", "en"):
                    return kept, False
    return None, False


class Language:
    """Pure ASGI middleware: each page request (its errors included) speaks the reader's
    language, chosen with ?lang=vi|en and kept in a cookie; API requests are left alone."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not is_page(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        language, asked = _language_asked(scope)

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start" and asked:
                cookie = f"{LANG_COOKIE}={language}; Path=/; Max-Age=31536000; SameSite=Strict"
                message["headers"] = [*message.get("headers", []),
                                      (b"set-cookie", cookie.encode())]  # fmt: skip
            await send(message)

        with i18n.speaking(language):
            await self.app(scope, receive, keep)


def static_files() -> StaticFiles:
    """web/static/, served to anyone: a stylesheet and scripts, never archive content."""
    return StaticFiles(directory=STATIC)
