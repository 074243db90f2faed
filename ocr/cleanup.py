"""Preparing a page image for OCR (the stored original is never changed)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from ocr.types import CleanupReport


def to_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """The page as a uint8 array: 2-D greyscale or 3-D RGB, whatever mode it came in."""
    if isinstance(image, np.ndarray):
        if image.dtype == np.uint8:
            return image
        if image.dtype == bool:
            return np.where(image, 255, 0).astype(np.uint8)
        top = float(image.max()) or 1.0
        return (image.astype(np.float64) * (255.0 / top)).astype(np.uint8)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return to_array(np.asarray(image))
    if image.mode in ("1", "LA", "L"):
        image = image.convert("L")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def greyscale(page: np.ndarray) -> np.ndarray:
    """One channel: Tesseract binarizes greyscale itself; colour only costs time."""
    if page.ndim == 2:
        return page
    return cv2.cvtColor(np.ascontiguousarray(page[..., :3]), cv2.COLOR_RGB2GRAY)


A4_LONG_SIDE_IN = 11.69
LARGEST_PAGE_IN = 23.4
"""A2's long side: archive pages are at most this large, so a declared dpi implying a bigger
page (a scanner writing the 72-dpi screen default) is not believed."""


def effective_dpi(width: int, height: int, declared: int) -> int:
    """The page's resolution: as declared when plausible, else estimated as an A4 page."""
    if declared and max(width, height) / declared <= LARGEST_PAGE_IN:
        return declared
    return max(1, round(max(width, height) / A4_LONG_SIDE_IN))


def prepare(image: Image.Image | np.ndarray, dpi: int) -> tuple[np.ndarray, CleanupReport]:
    """The image Tesseract should read, and what was done to get it."""
    page = to_array(image)
    steps = []
    if page.ndim == 3:
        page = greyscale(page)
        steps.append("greyscale")
    return page, CleanupReport(steps=tuple(steps))
