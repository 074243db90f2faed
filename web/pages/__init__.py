"""The browser pages: server-rendered HTML (Jinja2) over the same library calls as the API.

The frame's contract, for whoever adds a page:

- **A module, a router.** Put a module in `web/pages/` (say `clerk.py`) with
  `router = APIRouter()` and its routes; every module here that has a `router` is included
  below, in name order, so nothing else needs editing. Paths are Vietnamese and unaccented
  (`/lo-quet`, `/quan-tri/nguoi-dung`); the routes' paths are then pages, whose errors are
  answered as HTML (`error.html`) in the reader's language (other paths answer JSON).
- **A template.** Put it in `web/templates/` (`clerk_batches.html`), starting with
  `{% extends "base.html" %}` and filling `{% block title %}` and `{% block main %}`; answer
  with `render(request, "clerk_batches.html", batches=...)`. Templates escape everything
  (autoescape) and fail on an undefined name (StrictUndefined). `t(vi, en)` is there for
  messages; `who`, `lang`, `csrf_token`, `csrf_field` and `static(name)` come with the frame.
- **A role.** Take the user as a parameter: `who: Researcher`, `Clerk` or `Admin` (from
  `web.pages.frame`), or `Depends(page_user(Role.x))`. No session: 303 to `/dang-nhap?next=`;
  a role too low: the 404 page, and the denial goes to the audit trail. Record what the user
  saw with `web.security.note(...)` as the API does. A header link per role:
  `nav_item(Role.clerk, "/lo-quet", "Lô quét", "Batches")` at import time.
- **CSRF in a form.** `<form method="post">` with
  `<input type="hidden" name="{{ csrf_field }}" value="{{ csrf_token }}">`: every POST through
  `page_user` is checked (the Origin as the API checks it, and the session's token) before
  the route runs, so a route only reads its form fields (FastAPI `Form`).
- **No inline script or style.** Pages are served with `PAGE_CSP` (only this server's files):
  put scripts and styles in `web/static/` and link them with `static("name.js")`; position
  things with SVG attributes or from a script, never a `style=` attribute.
- **Nothing the user may not see** goes into the HTML, a script or a request the page makes:
  filter in the library (search with the user's clearance, documents through
  `web.api._record`), never in the template.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter

from web.pages.frame import (
    PAGE_CSP,
    Admin,
    Clerk,
    Language,
    Researcher,
    error_page,
    is_page,
    nav_item,
    page_user,
    register_paths,
    render,
    static_files,
)

router = APIRouter(include_in_schema=False)

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "frame":
        _found = getattr(importlib.import_module(f"{__name__}.{_module}"), "router", None)
        if isinstance(_found, APIRouter):
            router.include_router(_found)
            register_paths(_found.routes)

__all__ = [
    "PAGE_CSP",
    "Admin",
    "Clerk",
    "Language",
    "Researcher",
    "error_page",
    "is_page",
    "nav_item",
    "page_user",
    "render",
    "router",
    "static_files",
]
