"""OCR of one scanned page: load, clean up, one Tesseract run, normalize, judge quality."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ocr.cleanup import OCR_DPI, CleanupOptions, effective_dpi, is_blank, prepare
from ocr.engine import get_engine
from ocr.loader import DEFAULT_MAX_PIXELS, detect_kind, load_page
from ocr.quality import assess
from ocr.reading_order import by_columns
from ocr.recognizers import get_recognizer
from ocr.second_opinion import enabled as second_opinion_enabled
from ocr.second_opinion import retext, second_opinion
from ocr.tesseract import TesseractFailed
from ocr.textlayer import UNUSABLE, born_digital_page, is_unusable
from ocr.textnorm import normalize_text
from ocr.types import PageResult
from sohoa.errors import InputError


def warm_up(lang: str = "vie", engine: str | None = None) -> None:
    """Load now what reading a page keeps loaded (Tesseract's model; with the second opinion on,
    AsterOCR and Tesseract's line mode), so the first page does not pay for it.

    Raises MissingDependency as reading a page would.
    """
    get_engine(engine).load(lang)
    if second_opinion_enabled():
        get_recognizer("asterocr")
        get_recognizer("tesseract-line")


def ocr_page(
    path: Path,
    frame: int,
    *,
    lang: str = "vie",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    cleanup: CleanupOptions | None = None,
    engine: str | None = None,
) -> PageResult:
    """Read page `frame` (0-based) of the scan at `path`.

    Raises InputError for a page that cannot be read (naming the file and page) and
    MissingDependency when Tesseract or the language model is not installed. A blank page is
    not an error: it comes back empty with needs_review. `engine` names the OCR engine
    ("cli" or "tesserocr"; by default SOHOA_OCR_ENGINE, else tesserocr when installed).
    """
    result, _ = read_page(
        path, frame, lang=lang, max_pixels=max_pixels, cleanup=cleanup, engine=engine
    )
    return result


def read_page(
    path: Path,
    frame: int,
    *,
    lang: str = "vie",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    cleanup: CleanupOptions | None = None,
    engine: str | None = None,
) -> tuple[PageResult, np.ndarray | None]:
    """`ocr_page`, with the cleaned page image OCR read (the word boxes' frame), so that the
    caller can read more from it without loading and cleaning the page again; None for a page
    read from its text layer."""
    path = Path(path)
    verdict = None
    if detect_kind(path) == "pdf":
        # A born-digital page is read from its own text layer (ocr/textlayer.py), not OCRed.
        born_digital, verdict = born_digital_page(path, frame)
        if born_digital is not None:
            return born_digital, None
    ocr = get_engine(engine)
    version = ocr.version(lang)
    started = time.perf_counter()
    loaded = load_page(path, frame, max_pixels=max_pixels)
    width, height = loaded.image.size
    dpi = effective_dpi(width, height, loaded.dpi)
    image, report = prepare(loaded.image, dpi, cleanup)
    del loaded  # the original may be large; keep only the image Tesseract reads
    cleaned = time.perf_counter()
    ocr_dpi = OCR_DPI if report.upsampled_from_dpi else dpi
    try:
        # A blank page (the back of a duplex sheet) is stored empty without a Tesseract run.
        blank = is_blank(image, ocr_dpi)
        raw_text, raw_words = ("", []) if blank else ocr.recognize(image, lang=lang, dpi=ocr_dpi)
    except TesseractFailed as exc:
        raise InputError(
            f"{path.name}, trang {frame + 1}: Tesseract không đọc được trang này ({exc});"
            " hãy kiểm tra ảnh quét.",
            f"{path.name}, page {frame + 1}: Tesseract could not read this page ({exc});"
            " check the scan.",
        ) from exc
    done = time.perf_counter()
    words = tuple(replace(w, text=normalize_text(w.text)) for w in raw_words)
    text = normalize_text(raw_text)
    if words and second_opinion_enabled():
        outcome = second_opinion(image, words)
        text, words = retext(text, words, outcome.words), outcome.words
        if outcome.recognizer:
            version = f"{version} + {outcome.recognizer}"
    text, words = by_columns(text, words)
    reread = time.perf_counter()
    quality = assess(words)
    result = PageResult(
        text=text,
        words=words,
        mean_confidence=quality.mean_confidence,
        needs_review=quality.needs_review or is_unusable(verdict),
        review_reasons=quality.reasons + ((UNUSABLE,) if is_unusable(verdict) else ()),
        width=int(image.shape[1]),
        height=int(image.shape[0]),
        dpi=dpi,
        cleanup=report,
        engine=version,
        ocr_seconds=round(done - cleaned, 4),
        cleanup_seconds=round(cleaned - started, 4),
        second_opinion_seconds=round(reread - done, 4),
    )
    return result, image
