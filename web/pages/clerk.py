"""The clerks' pages: batches with live progress, starting one from the scan root, the review
queue (page image and OCR text side by side, flagged regions, disputed words) and the
correction form of a document's metadata."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from archive_store import store
from archive_store.accounts import Principal, Role
from extract.review import reason_text
from pipeline import scan_root
from pipeline.corrections import FIELDS
from pipeline.review import fields_to_review, pages_to_review
from sohoa.errors import ExitCode, SohoaError
from sohoa.i18n import t
from web import api, api_manage
from web.pages.frame import Clerk, Ctx, nav_item, render
from web.security import Context, note

router = APIRouter()
nav_item(Role.clerk, "/lo-quet", "Lô quét", "Batches", order=20)
nav_item(Role.clerk, "/kiem-tra", "Cần kiểm tra", "Review", order=21)

REVIEW_ITEMS = 20
"""Items of each kind on the review page (each shows a page image)."""

LABELS: dict[str, tuple[str, str]] = {
    "loai": ("Tên loại", "Document type"),
    "so": ("Số", "Number"),
    "ky_hieu": ("Ký hiệu", "Notation"),
    "so_ky_hieu": ("Số, ký hiệu", "Number and notation"),
    "ngay_ban_hanh": ("Ngày ban hành (NĂM-THÁNG-NGÀY)", "Date issued (YYYY-MM-DD)"),
    "noi_ban_hanh": ("Nơi ban hành", "Place issued"),
    "co_quan_ban_hanh": ("Cơ quan ban hành", "Issuing body"),
    "co_quan_cap_tren": ("Cơ quan cấp trên", "Parent body"),
    "trich_yeu": ("Trích yếu", "Subject"),
    "quyen_han_ky": ("Quyền hạn ký", "Signing authority"),
    "chuc_vu": ("Chức vụ người ký", "Signer's position"),
    "nguoi_ky": ("Người ký", "Signer"),
    "noi_nhan": ("Nơi nhận", "Recipients"),
    "do_mat": ("Độ mật", "Secrecy (độ mật)"),
    "do_khan": ("Độ khẩn", "Urgency (độ khẩn)"),
    "so_trang": ("Số trang", "Pages"),
    "ky_so_boi": ("Ký số bởi", "Digitally signed by"),
    "thoi_gian_ky": ("Thời gian ký số", "Signed at"),
    "so_den": ("Số đến", "Incoming number"),
    "ngay_den": ("Ngày đến", "Date received"),
}
"""The correctable fields (pipeline.corrections.FIELDS) as the form labels them."""


def label(name: str) -> str:
    vi, en = LABELS.get(name, (name, name))
    return t(vi, en)


def reason(code: str | None) -> str:
    vi, en = reason_text(code)
    return t(vi, en)


# -- batches --------------------------------------------------------------------------------


def _batches_page(
    request: Request, ctx: Context, who: Principal, path: str = "", status: int = 200,
    problem: str = "", started: str = "",
) -> HTMLResponse:  # fmt: skip
    batches = [api_manage.batch_json(ctx, who, b)
               for b in api_manage.live_batches(request, ctx, who)]  # fmt: skip
    listing, listing_problem = None, ""
    if ctx.settings.scan_root is None:
        listing_problem = scan_root.no_scan_root().message()
    else:
        try:
            listing = api_manage.folders(request, ctx, who, path)
        except SohoaError as exc:
            listing_problem = exc.message()
    return render(
        request, "clerk_batches.html", status, batches=batches, listing=listing,
        listing_problem=listing_problem, problem=problem, started=started,
        polling=any(b["running"] for b in batches),
    )  # fmt: skip


@router.get("/lo-quet")
def batches_page(
    request: Request, ctx: Ctx, who: Clerk, thu_muc: str = "", bat_dau: str = ""
) -> HTMLResponse:
    """The batches with live progress, and the folders of the scan root to start one from."""
    return _batches_page(request, ctx, who, thu_muc[:1024], started=bat_dau[:40])


@router.post("/lo-quet")
def start_batch(
    request: Request,
    ctx: Ctx,
    who: Clerk,
    thu_muc: Annotated[str, Form(max_length=1024)] = "",
    o_trong: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Start the folder picked (answered with the page and the reason when it is refused)."""
    try:
        job = api_manage.start_batch(request, ctx, who, thu_muc)
    except SohoaError as exc:
        return _batches_page(request, ctx, who, o_trong, 400, exc.message())
    return RedirectResponse(f"/lo-quet?bat_dau={job.id}", status_code=303)


# -- the review queue -----------------------------------------------------------------------


def _sheet(ctx: Context, request: Request, who: Principal, doc_id: int, number: int) -> dict:
    """What a page figure needs: the image's URL, the OCR page size and text."""
    record = api._record(request, ctx, who, doc_id, "review", with_pages=False)
    ref = api._page(ctx, record, number)
    (read,) = store.page_results(ctx.archive, [(ref.sha256, ref.source_page)])
    return {
        "image": f"/api/v1/documents/{doc_id}/pages/{number}/image",
        "width": read.width, "height": read.height, "text": read.text,
        "source_file": ref.source_path, "source_page": ref.source_page,
    }  # fmt: skip


@router.get("/kiem-tra")
def review_page(request: Request, ctx: Ctx, who: Clerk) -> HTMLResponse:
    """Flagged fields with their region on the page, then pages with their OCR text and the
    words the engines disagreed on; only documents the clerk's clearance allows."""
    clearance = who.user.clearance
    fields = []
    for f in fields_to_review(ctx.archive, REVIEW_ITEMS, clearance):
        sheet = _sheet(ctx, request, who, f.doc_id, f.page) if f.page else None
        fields.append({"item": f, "label": label(f.field), "reason": reason(f.reason),
                       "sheet": sheet})  # fmt: skip
    pages: list[dict[str, object]] = []
    for p in pages_to_review(ctx.archive, REVIEW_ITEMS, clearance):
        if p.doc_id is None:
            pages.append({"item": p, "sheet": None, "number": None})
            continue
        places = store.page_places(ctx.archive, [p.doc_id]).get(p.doc_id, [])
        number = next((n for n, place in enumerate(places, 1)
                       if place == (p.source_file, p.source_page)), None)  # fmt: skip
        sheet = _sheet(ctx, request, who, p.doc_id, number) if number else None
        pages.append({"item": p, "sheet": sheet, "number": number})
    note(request, ctx, who, "review")
    return render(request, "clerk_review.html", fields=fields, pages=pages, reason=reason)


# -- correcting a document -------------------------------------------------------------------

DocId = Annotated[int, PathParam(ge=1, le=api.MAX_ID)]


def _form_page(
    request: Request, ctx: Context, who: Principal, doc_id: int, status: int = 200,
    problem: str = "", saved: str = "", index_note: str | None = None,
) -> HTMLResponse:  # fmt: skip
    record = api._record(request, ctx, who, doc_id, "correction_form", with_pages=False)
    values = record.metadata()
    rows = []
    for name in FIELDS:
        item = record.extracted.get(name)
        item = item if isinstance(item, dict) else {}
        flagged = bool(item.get("needs_review")) and name not in record.corrections
        value = values.get(name)
        rows.append({
            "name": name, "label": label(name), "value": "" if value is None else str(value),
            "flagged": flagged, "reason": reason(item.get("review_reason")) if flagged else "",
            "corrected": name in record.corrections,
        })  # fmt: skip
    note(request, ctx, who, "correction_form", document_id=doc_id)
    return render(
        request, "clerk_correct.html", status, record=record, rows=rows, problem=problem,
        saved=saved, index_note=index_note,
    )  # fmt: skip


@router.get("/van-ban/{doc_id}/sua")
def correction_form(
    request: Request, ctx: Ctx, who: Clerk, doc_id: DocId, da_luu: str = "", chi_muc: str = ""
) -> HTMLResponse:
    """The document's metadata as a form, flagged fields marked (404 if hidden or absent)."""
    note_text = None
    if da_luu and chi_muc == "cho":
        note_text = t(
            "Kho đã lưu; chỉ mục tìm kiếm sẽ cập nhật ngay khi rảnh.",
            "Saved; the search index follows as soon as it is free.",
        )
    return _form_page(request, ctx, who, doc_id, saved=da_luu[:1], index_note=note_text)


@router.post("/van-ban/{doc_id}/sua")
async def correct(request: Request, ctx: Ctx, who: Clerk, doc_id: DocId) -> Response:
    """Save the fields that changed (as `sohoa edit` and the API: stored apart, indexed now)."""
    form = await request.form()
    sent = {name: str(form.get(name, ""))[:4000] for name in FIELDS if name in form}
    return await run_in_threadpool(_correct, request, ctx, who, doc_id, sent)


def _correct(
    request: Request, ctx: Context, who: Principal, doc_id: int, sent: dict[str, str]
) -> Response:
    record = api._record(request, ctx, who, doc_id, "correction", with_pages=False)
    values = record.metadata()
    changed = {
        name: value.strip()
        for name, value in sent.items()
        if value.strip() != ("" if values.get(name) is None else str(values.get(name)))
    }
    if not changed:
        return _form_page(request, ctx, who, doc_id, 200,
                          t("Không có trường nào thay đổi.", "No field was changed."))  # fmt: skip
    try:
        synced = api_manage.correct_document(request, ctx, who, doc_id, changed)
    except SohoaError as exc:
        if exc.exit_code != ExitCode.usage:  # a bad value or a refusal: said on the form
            raise
        return _form_page(request, ctx, who, doc_id, 400, exc.message())
    where = "ngay" if synced.in_step else "cho"
    return RedirectResponse(f"/van-ban/{doc_id}/sua?da_luu=1&chi_muc={where}", status_code=303)
