"""Numbers and days written by hand into a document's printed blanks, read again from the scan.

Extraction (extract/) finds the blanks from the word boxes and says where they are; this reads
each blank's crop of the page image with two recognizers other than the page's OCR run:
AsterOCR (a line recognizer trained on Vietnamese) and Tesseract restricted to digits. Two of
them reading the same digits make the value (extract.review); otherwise the best reading is
proposed and the field stays flagged. Only first pages with a handwritten blank are loaded
again, once each.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from archive_store.db import Archive
from archive_store.records import PageRef
from extract.header import Blank, BlankReading

log = logging.getLogger(__name__)


class BlankReader:
    """Reads the blanks of one stored page; the page image is loaded at the first blank."""

    def __init__(self, archive: Archive, ref: PageRef) -> None:
        self._archive, self._ref = archive, ref
        self._image: np.ndarray | None = None
        self._failed = False

    def __call__(self, blank: Blank) -> BlankReading:
        image = self._load()
        if image is None:
            return BlankReading()
        left, top, right, bottom = blank.box
        h, w = image.shape[:2]
        crop = image[max(0, top) : min(h, bottom), max(0, left) : min(w, right)]
        if crop.size == 0:
            return BlankReading()
        # The same blank cut tighter: a reading that changes with the cut is not a reading.
        dx, dy = (right - left) // 10, (bottom - top) // 8
        tight = image[
            max(0, top + dy) : min(h, bottom - dy), max(0, left + dx) : min(w, right - dx)
        ]
        readings = []
        if _cut(crop):
            # Ink at the crop's side: the blank's box may have cut a digit off, and every
            # recognizer reading this crop would agree on what is left ("5" for "15").
            readings.append(("cut", "", 0.0))
        for engine, read, image_ in (
            ("asterocr", _aster, crop), ("asterocr-tight", _aster, tight),
            ("tesseract", _tesseract_digits, crop),
        ):  # fmt: skip
            try:
                readings.append((engine, *read(image_)))
            except Exception as exc:  # a recognizer missing or failing: one source fewer
                log.debug("%s could not read a blank: %s", engine, exc)
        return BlankReading(tuple(readings))

    def _load(self) -> np.ndarray | None:
        if self._image is None and not self._failed:
            try:
                self._image = page_image(self._archive, self._ref)
            except Exception as exc:  # the original unreadable now: the flag stays
                log.debug("page image of %s unavailable: %s", self._ref, exc)
                self._failed = True
        return self._image


def page_image(archive: Archive, ref: PageRef) -> np.ndarray:
    """The greyscale page as OCR read it (cleanup redone), in the word boxes' coordinates."""
    from ocr.cleanup import effective_dpi, prepare
    from ocr.loader import load_page

    loaded = load_page(archive.blobs.path_for(ref.sha256), ref.source_page - 1)
    width, height = loaded.image.size
    image, _ = prepare(loaded.image, effective_dpi(width, height, loaded.dpi))
    return image


def _cut(crop: np.ndarray) -> bool:
    """Whether writing runs over the crop's left or right side (a stroke across the edge)."""
    grey = crop if crop.ndim == 2 else crop.mean(axis=2)
    height = grey.shape[0]
    edges = (grey[:, :2], grey[:, -2:])
    return any(int((edge < 110).any(axis=1).sum()) > height // 5 for edge in edges)


def _aster(crop: np.ndarray) -> tuple[str, float]:
    from ocr.recognizers import get_recognizer

    reading = get_recognizer("asterocr").read([crop])[0]
    return reading.text, reading.conf


_digit_api: Any = None


def _tesseract_digits(crop: np.ndarray) -> tuple[str, float]:
    """Tesseract on the crop alone, binarized (Otsu), as one word of digits only."""
    global _digit_api
    if _digit_api is None:
        import tesserocr

        from ocr.tesseract import tessdata_dir

        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        api = tesserocr.PyTessBaseAPI(
            path=str(tessdata_dir()), lang="eng", psm=tesserocr.PSM.SINGLE_WORD
        )
        api.SetVariable("tessedit_char_whitelist", "0123456789")
        _digit_api = api
    import cv2

    _, grey = cv2.threshold(np.ascontiguousarray(crop), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    grey = np.ascontiguousarray(grey)
    height, width = grey.shape[:2]
    _digit_api.SetImageBytes(grey.tobytes(), width, height, 1, width)
    text = _digit_api.GetUTF8Text().strip()
    conf = float(_digit_api.MeanTextConf()) if text else 0.0
    _digit_api.Clear()
    return text, conf
