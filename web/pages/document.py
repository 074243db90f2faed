"""A document's page: metadata, its place in the archive and a citation, page thumbnails, and
a page viewer with the searched words boxed on the image, the page's text beside it.

The document is read through the API's own check (`web.api._record`: the store's current
access level, corrections winning; hidden and absent answered alike, 404, the denial
recorded), and the view is recorded like the API's. The images, thumbnails and the PDF are
the API's routes, which check and record each request again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from archive_store import signatures as stored_signatures
from archive_store.accounts import Principal, Role
from archive_store.models import Dossier, Page
from archive_store.records import DocumentRecord
from archive_store.words import decode_words
from indexer.highlight import Highlighter
from indexer.query import Text, parse, positive_texts
from ocr.types import Word
from pipeline import signatures
from pipeline.views import document_view
from sohoa.errors import SohoaError
from sohoa.i18n import t
from web.api import DocId, _record
from web.pages.frame import Ctx, Researcher, render
from web.pages.search import date_text
from web.security import Context, note

router = APIRouter()

FIELDS = (
    ("loai", "Tên loại", "Type"),
    ("so_ky_hieu", "Số, ký hiệu", "Number and symbol"),
    ("ngay_ban_hanh", "Ngày ban hành", "Date issued"),
    ("co_quan_ban_hanh", "Cơ quan ban hành", "Issuing body"),
    ("trich_yeu", "Trích yếu", "Subject"),
    ("nguoi_ky", "Người ký", "Signed by"),
    ("quyen_han_ky", "Quyền hạn ký", "Signing authority"),
    ("chuc_vu", "Chức vụ", "Position"),
    ("do_mat", "Độ mật", "Secrecy"),
    ("do_khan", "Độ khẩn", "Urgency"),
    ("noi_nhan", "Nơi nhận", "Recipients"),
    ("ky_so_boi", "Ký số bởi", "Digitally signed by"),
    ("thoi_gian_ky", "Thời gian ký", "Signing time"),
    ("so_den", "Số đến", "Incoming number"),
    ("ngay_den", "Ngày đến", "Date received"),
)
"""The fields shown, in the order of a document's header; others follow under their names."""

REASONS = {
    "handwritten": ("viết tay, cần đọc lại trên bản quét", "handwritten: check it on the scan"),
    "from_signing_time": ("lấy theo thời gian ký số", "taken from the signing time"),
    "not_found": ("không tìm thấy", "not found"),
    "low_confidence": ("đọc chưa chắc", "read with low confidence"),
    "ill_formed": ("chữ đọc sai dạng", "ill-formed text"),
    "unknown_issuer": ("cơ quan chưa biết", "unknown issuing body"),
}


@dataclass(frozen=True)
class Field:
    label: str
    value: str
    flag: str
    """Why a person must check the value (shown to clerks only); empty when nobody must."""
    corrected: bool


@dataclass(frozen=True)
class Box:
    """A word found on the page, in the page's own pixels (those of its stored word boxes)."""

    left: int
    top: int
    width: int
    height: int
    text: str


@dataclass(frozen=True)
class Place:
    """Where the document lies in the archive, as its dossier's manifest says."""

    phong: str
    muc_luc: str
    hop: str
    ho_so: str
    ho_so_title: str
    thoi_gian: str


def leaves(q: str) -> list[Text]:
    """The query's words that a page shows (filters and negated words left out)."""
    if not q.strip():
        return []
    try:
        return positive_texts(parse(q))
    except SohoaError:
        return []


def boxes(words: tuple[Word, ...], found: list[Text]) -> list[Box]:
    """The words of the page the query matches, as the snippets mark them: the page's words
    joined in reading order, matched with the search's own highlighter, mapped back to boxes."""
    if not found or not words:
        return []
    starts, at = [], 0
    for w in words:
        starts.append(at)
        at += len(w.text) + 1
    joined = " ".join(w.text for w in words)
    spans = Highlighter(found).spans(joined)
    out, i = [], 0
    for start, end in spans:
        while i < len(words) and starts[i] + len(words[i].text) <= start:
            i += 1
        while i < len(words) and starts[i] < end:
            w = words[i]
            out.append(Box(w.left, w.top, w.width, w.height, w.text))
            i += 1
    return out


def marked_text(text: str, found: list[Text]) -> list[tuple[str, bool]]:
    """The page text in runs, each marked or not (the template escapes them)."""
    if not found:
        return [(text, False)]
    out, at = [], 0
    for start, end in Highlighter(found).spans(text):
        out.extend([(text[at:start], False), (text[start:end], True)])
        at = end
    out.append((text[at:], False))
    return [run for run in out if run[0]]


def place(ctx: Context, code: str | None) -> Place | None:
    if not code:
        return None
    with ctx.archive.reading() as s:
        row = s.execute(select(Dossier.title, Dossier.details).where(Dossier.code == code)).first()
    details = (row.details if row else None) or {}
    title = (row.title if row else None) or details.get("ho_so_title") or ""

    def get(key: str) -> str:
        value = details.get(key)
        return "" if value is None else str(value)

    return Place(get("phong"), get("muc_luc"), get("hop"), code, str(title), get("thoi_gian"))


def citation(where: Place | None, md: dict, pages: int) -> str:
    """The document cited as Vietnamese archives cite: the fonds, catalogue and dossier, then
    the document's number and symbol, date and subject; only what the store holds.

    ("Phông TU-BG, Mục lục số 01, Hồ sơ số TU-BG.01.12.05; Thông báo số 15-TB/TU ngày
    15/03/2023 của Tỉnh ủy Bắc Giang về công tác bảo vệ bí mật nhà nước, 2 trang.")
    """
    parts = []
    if where:
        parts += [f"Phông {where.phong}" if where.phong else "",
                  f"Mục lục số {where.muc_luc}" if where.muc_luc else "",
                  f"Hồ sơ số {where.ho_so}"]  # fmt: skip
    located = ", ".join(p for p in parts if p)
    doc = str(md.get("loai") or "Văn bản")
    if md.get("so_ky_hieu"):
        doc += f" số {md['so_ky_hieu']}"
    if md.get("ngay_ban_hanh"):
        doc += f" ngày {date_text(md['ngay_ban_hanh'])}"
    if md.get("co_quan_ban_hanh"):
        doc += f" của {md['co_quan_ban_hanh']}"
    subject = str(md.get("trich_yeu") or "").strip()
    if subject:
        # "Về việc ..." reads "về việc ..." inside the sentence
        doc += " " + (subject[0].lower() + subject[1:] if subject[:2] == "Về" else subject)
    doc += f", {pages} tr."
    return f"{located}; {doc}" if located else doc


def fields(record: DocumentRecord, who: Principal) -> list[Field]:
    view = document_view(record)["metadata"]
    clerk = who.user.role >= Role.clerk
    names = [name for name, _, _ in FIELDS] + sorted(set(view) - {n for n, _, _ in FIELDS})
    labels = {name: t(vi, en) for name, vi, en in FIELDS}
    out = []
    for name in names:
        item = view.get(name)
        if not item or item.get("value") in (None, "", [], {}):
            continue
        value = item["value"]
        text = date_text(value) if name in ("ngay_ban_hanh", "ngay_den") else value
        if isinstance(text, list | tuple):
            text = "; ".join(str(v) for v in text)
        flag = ""
        if clerk and item.get("needs_review"):
            reason = item.get("review_reason") or ""
            vi, en = REASONS.get(reason, (reason or "cần kiểm tra", reason or "to check"))
            flag = t(f"cần kiểm tra: {vi}", f"to check: {en}")
        label = labels.get(name) or str(name)
        out.append(Field(label, str(text), flag, bool(item.get("corrected"))))
    return out


def _page_words(ctx: Context, record: DocumentRecord, number: int) -> tuple[int, int, tuple]:
    p = record.pages[number - 1]
    with ctx.archive.reading() as s:
        row = s.execute(
            select(Page.width, Page.height, Page.words).where(
                Page.sha256 == p.sha256, Page.source_page == p.source_page
            )
        ).first()
    if row is None:
        return 1, 1, ()
    return max(1, row.width), max(1, row.height), decode_words(row.words)


@router.get("/van-ban/{doc_id}")
def document_page(
    request: Request,
    ctx: Ctx,
    who: Researcher,
    doc_id: DocId,
    q: Annotated[str, Query(max_length=1000)] = "",
    trang: Annotated[int, Query(ge=1, le=100_000)] = 1,
    cho: Annotated[int, Query(ge=-1, le=100_000)] = 1,
) -> HTMLResponse:
    """The document, its page `trang` in the viewer with hit `cho` of the page current
    (-1: the page's last, where "previous hit" comes from the next page)."""
    record = _record(request, ctx, who, doc_id, "document")
    count = len(record.pages)
    number = min(trang, max(count, 1))
    found = leaves(q)
    counter = Highlighter(found)
    per_page = [counter.count(p.text) if found else 0 for p in record.pages]
    width, height, page_words = _page_words(ctx, record, number) if count else (1, 1, ())
    hits = boxes(page_words, found)
    current = (len(hits) if cho == -1 else min(cho, len(hits))) if hits else 0
    note(request, ctx, who, "document", document_id=doc_id,
         detail={"view": "page", "page": number, "query": q} if q else
         {"view": "page", "page": number})  # fmt: skip

    def href(page: int, hit: int = 1) -> str:
        params: dict[str, object] = {"trang": page}
        if q:
            params["q"] = q
        if hit != 1:
            params["cho"] = hit
        return f"/van-ban/{doc_id}?{urlencode(params)}#xem"  # the viewer, not the page's top

    with_hits = [n for n, c in enumerate(per_page, 1) if c]
    before = [n for n in with_hits if n < number]
    after = [n for n in with_hits if n > number]
    md = record.metadata()
    where = place(ctx, record.dossier_code)
    # Most documents are scans with no signature: the full check view (trust roots read from
    # disk) only for those that have one.
    signed = {"status": "khong", "files": []}
    if stored_signatures.document_status(ctx.archive, doc_id) != "khong":
        signed = signatures.signature_view(ctx.archive, doc_id)
    return render(
        request, "document.html", doc=record, doc_id=doc_id, q=q, fields=fields(record, who),
        where=where, cite=citation(where, md, count), count=count, number=number,
        width=width, height=height, hits=hits, current=current, per_page=per_page,
        previous_page_hit=href(before[-1], -1) if before else "",
        next_page_hit=href(after[0]) if after else "",
        total_hits=sum(per_page), href=href, signed=signed,
        text=marked_text(record.pages[number - 1].text, found) if count else [],
        title=str(md.get("trich_yeu") or record.title),
        back="/tim-kiem?" + urlencode({"q": q}) if q else "/",
        image=f"/api/v1/documents/{doc_id}/pages/{number}/image",
        pdf=f"/api/v1/documents/{doc_id}/pdf",
    )  # fmt: skip
