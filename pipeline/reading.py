"""What an OCR worker does with one page: read it, and its handwritten blanks while it can."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ocr.types import PageResult
from pipeline.discover import PageTask
from sohoa.errors import InputError

if TYPE_CHECKING:
    from pipeline.handwriting import BlankReadings


@dataclass(frozen=True)
class PageRead:
    """One page's result as a worker hands it back to the parent."""

    result: PageResult
    """What OCR (or the text layer) read: what the store keeps."""
    blanks: BlankReadings = ()
    """The page's blanks written by hand with what the other recognizers read there, read
    from the cleaned image as if the page began a document (pipeline/handwriting.py): the
    cut takes them instead of loading the page again. Empty for a page read from its text
    layer, or with no such blank."""


def read_page_task(task: PageTask, *, lang: str, max_pixels: int) -> PageRead:
    """Runs in a worker process (here, or on a cluster machine): OCR one page of the stored
    original, then read its blanks."""
    if not task.path.is_file():
        # On a cluster: the worker's machine does not see the archive's blob folder.
        host, blobs = socket.gethostname(), task.path.parents[2]  # blobs/ab/cd/<sha>
        raise InputError(
            vi=f"{task.rel_path}, trang {task.source_page}: máy OCR {host} không thấy bản gốc đã "
            f"lưu trong {blobs}. Thư mục blobs của kho phải được gắn cùng đường dẫn trên mọi máy "
            "chạy `dask worker`; sửa rồi chạy lại lệnh.",
            en=f"{task.rel_path}, page {task.source_page}: the OCR machine {host} does not see the "
            f"stored original in {blobs}. The archive's blobs folder must be mounted at the same "
            "path on every machine running `dask worker`; fix that and run again.",
        )
    # Imported here: the workers have them loaded (pipeline.executor.WORKER_PRELOAD), and the
    # parent, which only names this function to hand tasks out, is spared their imports
    # (OpenCV, the extraction: ~0.5 s) before its first task.
    from ocr.page import read_page
    from pipeline.handwriting import page_blanks

    result, image = read_page(task.path, task.source_page - 1, lang=lang, max_pixels=max_pixels)
    try:
        blanks = page_blanks(image, result) if image is not None else ()
    except Exception:
        blanks = ()
    return PageRead(result, blanks)
