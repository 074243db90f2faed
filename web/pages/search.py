"""The search page: one box with the query language, facets as filters, pages of results."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from archive_store.accounts import Role
from web.pages.frame import Researcher, nav_item, render

router = APIRouter()
nav_item(Role.researcher, "/", "Tìm kiếm", "Search", order=0)


@router.get("/")
@router.get("/tim-kiem")
def search_page(request: Request, who: Researcher, q: str = "") -> HTMLResponse:
    return render(request, "search.html", q=q)
