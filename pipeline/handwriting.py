"""Numbers and days written by hand into a document's printed blanks, read again from the scan.

Extraction (extract/) finds the blanks from the word boxes and says where they are; this reads
each blank's crop of the page image with two recognizers other than the page's OCR run:
AsterOCR (a line recognizer trained on Vietnamese) and Tesseract restricted to digits. Two of
them reading the same digits make the value (extract.review); otherwise the best reading is
proposed and the field stays flagged. The OCR worker reads the blanks of each page it read
while the cleaned image is at hand (`page_blanks`), as if the page began a document; the cut
uses those readings, and loads a page again (once) only for blanks it has no reading of
(pages stored by an earlier run, `sohoa reextract`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from archive_store.words import decode_words, encode_words
from extract.header import Blank, BlankReading
from extract.metadata import first_page_blanks
from extract.segment import PageText

if TYPE_CHECKING:
    from archive_store.db import Archive
    from archive_store.records import PageRef
    from ocr.types import PageResult

log = logging.getLogger(__name__)

BlankReadings = tuple[tuple[Blank, BlankReading], ...]
"""What a worker read in a page's blanks: each blank with its reading."""


def page_blanks(image: np.ndarray, result: PageResult) -> BlankReadings:
    """The blanks extraction would ask to read if this page began a document, each read from
    `image` (the page as OCR read it). The blanks are found from the words as the store gives
    them back (confidences to a tenth), so that they are the ones the cut finds."""
    if not result.words:
        return ()
    page = PageText(text=result.text, words=decode_words(encode_words(result.words)))
    return tuple((blank, read_blank(image, blank)) for blank in first_page_blanks(page))


class BlankReader:
    """Reads the blanks of one stored page: from `known` (what the worker read) when it has
    the blank, else from the page image, loaded again at the first such blank."""

    def __init__(
        self, archive: Archive, ref: PageRef, known: Mapping[Blank, BlankReading] | None = None
    ) -> None:
        self._archive, self._ref = archive, ref
        self._known = known or {}
        self._image: np.ndarray | None = None
        self._failed = False

    def __call__(self, blank: Blank) -> BlankReading:
        if blank in self._known:
            return self._known[blank]
        image = self._load()
        if image is None:
            return BlankReading()
        return read_blank(image, blank)

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


def read_blank(image: np.ndarray, blank: Blank) -> BlankReading:
    """What the other recognizers read in the blank's crop of the page image."""
    left, top, right, bottom = blank.box
    h, w = image.shape[:2]
    crop = image[max(0, top) : min(h, bottom), max(0, left) : min(w, right)]
    if crop.size == 0:
        return BlankReading()
    # The same blank cut tighter: a reading that changes with the cut is not a reading.
    dx, dy = (right - left) // 10, (bottom - top) // 8
    tight = image[max(0, top + dy) : min(h, bottom - dy), max(0, left + dx) : min(w, right - dx)]
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


def _tesseract_digits(crop: np.ndarray) -> tuple[str, float]:
    from ocr.recognizers import get_recognizer

    reading = get_recognizer("tesseract-digits").read([crop])[0]
    return reading.text, reading.conf
