"""Page thumbnails for the document page: a small JPEG made once from the page's use copy and
cached beside it, so a document of fifty pages does not send fifty reading-size images."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from PIL import Image

from archive_store.blobs import storage_error
from web import images
from web.api import DocId, PageNo, WholeFile, _page, _record
from web.pages.frame import Ctx, Researcher
from web.security import note

router = APIRouter()

EDGE = 240
"""Long edge of a thumbnail in pixels: twice what the page shows, for sharp high-DPI screens."""


def thumbnail(use_copy: Path) -> Path:
    """The thumbnail beside the use copy (`....trang-<n>.jpg` → `....trang-<n>.nho.jpg`)."""
    target = use_copy.with_name(use_copy.stem + ".nho.jpg")
    if target.is_file():
        return target
    with Image.open(use_copy) as image:
        image.draft("L" if image.mode == "L" else "RGB", (EDGE, EDGE))  # JPEG: decode scaled
        small = image.copy()
    small.thumbnail((EDGE, EDGE), Image.Resampling.LANCZOS)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".nho-", suffix=".jpg")
        try:
            with os.fdopen(fd, "wb") as out:
                small.save(out, format="JPEG", quality=80, optimize=True)
            os.replace(tmp, target)  # two makers at once: the same bytes, either wins
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise storage_error(exc, target) from exc
    return target


@router.get("/van-ban/{doc_id}/trang/{page}/anh-nho")
def page_thumbnail(
    request: Request, ctx: Ctx, who: Researcher, doc_id: DocId, page: PageNo
) -> FileResponse:
    """A page's thumbnail, checked and recorded like the page image itself."""
    record = _record(request, ctx, who, doc_id, "page_image", with_pages=False)
    p = _page(ctx, record, page)
    path = images.use_copy(ctx.archive, p.sha256, p.source_page, ctx.settings.reading_edge)
    small = thumbnail(path)
    note(request, ctx, who, "page_image", document_id=doc_id,
         detail={"page": page, "size": "thumbnail"})  # fmt: skip
    return WholeFile(small, media_type="image/jpeg")
