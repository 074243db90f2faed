"""The search page: one box with the query language, facets as filters, pages of results.

The whole search is in the URL (`/tim-kiem?q=...&sap_xep=...&trang=...`), so a search is a
link to keep or send; a facet adds its filter to the query itself (`loai:"Thông báo"`), so the
filters a reader chose are the query language a reader can also type. Every count comes from
the same library search as the API and the CLI (pipeline.searching), whose access filter is
inside the engine query: no count, facet or snippet includes what the reader may not see.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from archive_store.accounts import Principal, Role
from indexer.types import SearchResults
from pipeline.searching import search
from sohoa.access import AccessLevel
from sohoa.errors import ExitCode, SohoaError
from sohoa.i18n import t
from web.pages.frame import Ctx, Researcher, level_label, nav_item, render
from web.security import Context, note

router = APIRouter()
nav_item(Role.researcher, "/", "Tìm kiếm", "Search", order=0)

PER_PAGE = 20
MAX_PAGE = 25
"""Results are read from the top (the engine has no offset): 500 is as deep as a reader goes;
past that, a filter finds it faster."""

Sort = Literal["relevance", "ngay", "-ngay"]
SIGNATURES = ("hop-le", "chua-xac-minh", "loi", "khong")


@dataclass(frozen=True)
class Choice:
    """One value of a facet: its label, count, and the query with it (or without, if chosen)."""

    label: str
    count: int
    href: str
    chosen: bool


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    choices: tuple[Choice, ...]


def filter_term(name: str, value: str) -> str:
    """The query language's filter for one facet value (quotes in a value become spaces)."""
    value = value.replace('"', " ").strip()
    return f"{name}:{value}" if re.fullmatch(r"[\w.-]+", value) else f'{name}:"{value}"'


def toggled(q: str, term: str) -> tuple[str, bool]:
    """The query with `term` added, or taken out if it is there already; whether it was."""
    if term in q:
        return " ".join(q.replace(term, " ").split()), True
    return f"{q} {term}".strip(), False


def search_url(q: str, sort: str = "relevance", page: int = 1) -> str:
    params: dict[str, str] = {"q": q}
    if sort != "relevance":
        params["sap_xep"] = sort
    if page > 1:
        params["trang"] = str(page)
    return "/tim-kiem?" + urlencode(params)


def date_text(value: object) -> str:
    """An ISO date as Vietnamese documents write it (15/03/2023); anything else as it is."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return "" if value is None else str(value)


def _facets(ctx: Context, who: Principal, q: str, sort: str, results: SearchResults) -> list[Facet]:
    titles = {
        "loai": t("Loại văn bản", "Document type"),
        "nam": t("Năm", "Year"),
        "co_quan": t("Cơ quan ban hành", "Issuing body"),
        "ho_so": t("Hồ sơ", "Dossier"),
    }
    out = []
    for name, title in titles.items():
        choices = []
        for value, count in results.facets.get(name, ()):
            term = filter_term(name, value)
            query, chosen = toggled(q, term)
            choices.append(Choice(value, count, search_url(query, sort), chosen))
        if choices:
            out.append(Facet(name, title, tuple(choices)))
    extra = []
    # Secrecy only for readers cleared for some: a public reader's counts would all be 0 and
    # the facet itself would say what the archive holds.
    if who.user.clearance > AccessLevel.cong_khai:
        levels = [lv for lv in AccessLevel if AccessLevel.cong_khai < lv <= who.user.clearance]
        extra.append(("do_mat", t("Độ mật", "Secrecy"),
                      [(lv.label, level_label(lv)) for lv in levels]))  # fmt: skip
    signed = {
        "hop-le": t("Hợp lệ", "Valid"),
        "chua-xac-minh": t("Chưa xác minh", "Not verified"),
        "loi": t("Lỗi", "Broken"),
        "khong": t("Không có", "None"),
    }
    extra.append(("ky_so", t("Chữ ký số", "Digital signature"),
                  [(slug, signed[slug]) for slug in SIGNATURES]))  # fmt: skip
    present = _present(ctx, who)
    for name, title, values in extra:
        choices = []
        counted = 0
        for value, label in values:
            term = filter_term(name, value)
            query, chosen = toggled(q, term)
            if chosen:
                count = results.total
            elif term == "ky_so:khong":
                # Every document has one signature status: the unsigned are the rest.
                count = results.total - counted
            elif term in present:
                # One count per value, through the same access-filtered search.
                count = _count(ctx, who, f"{q} {term}")
            else:
                count = 0  # no document the reader may see has it: no search needed
            counted += count
            if count or chosen:
                choices.append(Choice(label, count, search_url(query, sort), chosen))
        if choices:
            out.append(Facet(name, title, tuple(choices)))
    return out


def _count(ctx: Context, who: Principal, q: str) -> int:
    found = search(ctx.archive, q, clearance=int(who.user.clearance), limit=1, facets=False,
                   pages_per_hit=0, backend=ctx.index)  # fmt: skip
    return found.total


PRESENT_FOR = 60.0
"""Seconds a process trusts its list of the secrecy and signature filters that match any
document at all (most archives hold few signed files): only those are counted per search.
A value that appears in between shows up at the next refresh."""

_present_cache: dict[tuple[str, int], tuple[float, frozenset[str]]] = {}


def _present(ctx: Context, who: Principal) -> frozenset[str]:
    """The do_mat and ky_so filters that match some document the reader's clearance allows."""
    key = (str(ctx.archive.root), int(who.user.clearance))
    kept = _present_cache.get(key)
    if kept and time.monotonic() - kept[0] < PRESENT_FOR:
        return kept[1]
    terms = [filter_term("ky_so", slug) for slug in SIGNATURES if slug != "khong"]
    terms += [filter_term("do_mat", lv.label) for lv in AccessLevel
              if AccessLevel.cong_khai < lv <= who.user.clearance]  # fmt: skip
    found = frozenset(term for term in terms if _count(ctx, who, term))
    _present_cache[key] = (time.monotonic(), found)
    return found


@router.get("/")
@router.get("/tim-kiem")
def search_page(
    request: Request,
    ctx: Ctx,
    who: Researcher,
    q: Annotated[str, Query(max_length=1000)] = "",
    sap_xep: Sort = "relevance",
    trang: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """Search the archive; with no query, the box and its help."""
    q = " ".join(q.split())
    if not q:
        return render(request, "search.html", q="", sort=sap_xep, problem="", results=None)
    try:
        results = search(
            ctx.archive, q, clearance=int(who.user.clearance), limit=trang * PER_PAGE,
            sort=None if sap_xep == "relevance" else sap_xep, backend=ctx.index,
        )  # fmt: skip
    except SohoaError as exc:
        if exc.exit_code != ExitCode.usage:
            raise
        note(request, ctx, who, "search", "failed", detail={"query": q, "view": "page"})
        return render(request, "search.html", 400, q=q, sort=sap_xep, problem=exc.message(),
                      results=None)  # fmt: skip
    note(request, ctx, who, "search", detail={"query": q, "total": results.total, "view": "page"})
    first = (trang - 1) * PER_PAGE
    hits = results.hits[first:]
    last_page = min(MAX_PAGE, max(1, -(-results.total // PER_PAGE)))
    return render(
        request, "search.html", q=q, sort=sap_xep, problem="", results=results, hits=hits,
        first=first + 1, last=first + len(hits), page=trang, last_page=last_page,
        facets=_facets(ctx, who, q, sap_xep, results),
        previous=search_url(q, sap_xep, min(trang - 1, last_page)) if trang > 1 else "",
        following=search_url(q, sap_xep, trang + 1) if trang < last_page else "",
        doc_href=lambda doc_id, page=0: f"/van-ban/{doc_id}?"
        + urlencode({"q": q, **({"trang": page} if page else {})}) + ("#xem" if page else ""),
        date_text=date_text,
    )  # fmt: skip
