"""Marks of the scanning, not of the document: dark borders, punch holes and speckle."""

from __future__ import annotations

import cv2
import numpy as np

BORDER_SPAN = 0.15
"""A dark component touching the image edge and longer than this share of the side is the
scanner lid or the bed beyond the paper, never print."""

HOLE_DIAMETER_MM = (4.0, 9.0)
"""Binder punch holes are 5-8 mm across."""

HOLE_EDGE_MM = 30.0
"""...and sit within this distance of a page edge."""

SPECK_MAX_PIXELS = 4
"""Largest dust blob removed (2x2 pixels), at 200 dpi and more. The smallest diacritic (the dot
of "ệ" at 9 pt) is 12 pixels at 300 dpi and 6 at 200 dpi, so it always stays; under 200 dpi a
diacritic can be 2 pixels and only lone pixels are removed."""

MIN_SPECKS = 200
"""Lone dark pixels per A4 page below which the page is not speckled (clean pages have 0)."""


def frame_components(stats: np.ndarray, shape: tuple[int, ...], dpi: float) -> np.ndarray:
    """Which components (rows of cv2.connectedComponentsWithStats) are dark borders or punch
    holes, on a binarized page of `shape` at `dpi`; row 0 (the paper) is never chosen."""
    height, width = shape[:2]
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    touches = (x == 0) | (y == 0) | (x + w == width) | (y + h == height)
    border = touches & ((w > BORDER_SPAN * width) | (h > BORDER_SPAN * height))
    px_per_mm = dpi / 25.4
    lo, hi = (d * px_per_mm for d in HOLE_DIAMETER_MM)
    edge = HOLE_EDGE_MM * px_per_mm
    size = np.maximum(w, h)
    fill = area / np.maximum(w * h, 1)
    cx, cy = x + w / 2, y + h / 2
    near_edge = (cx < edge) | (cy < edge) | (width - cx < edge) | (height - cy < edge)
    # A solid disc fills pi/4 of its box; print of that size is never a solid round blot.
    hole = (
        (size >= lo)
        & (size <= hi)
        & (np.abs(w - h) <= 0.2 * size)
        & (fill > 0.65)
        & (fill < 0.9)
        & near_edge
    )
    chosen = np.zeros(len(stats), dtype=bool)
    chosen[1:] = border | hole
    return chosen


def remove_frame(grey: np.ndarray, mask_small: np.ndarray) -> np.ndarray:
    """Whiten the border and hole pixels found at analysis resolution on the full page."""
    height, width = grey.shape
    mask = cv2.resize(mask_small.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    # Grow by ~1 mm: the grey fringe of a dark border would otherwise stay as a thin line.
    grow = max(3, round(width / 210) | 1)
    mask = cv2.dilate(mask, np.ones((grow, grow), np.uint8))
    out = grey.copy()
    out[mask.astype(bool)] = 255
    return out


def lone_pixels(binary: np.ndarray) -> int:
    """Ink pixels with no ink neighbour: dust. Print never has them at 150 dpi or more (even the
    dot of "ệ" at 9 pt is 2x2 pixels at 150 dpi), so a clean page counts 0."""
    ink = (binary > 0).astype(np.uint8)
    neighbours = cv2.boxFilter(ink, cv2.CV_16U, (3, 3), normalize=False)
    return int(np.count_nonzero((neighbours == 1) & (ink > 0)))


def despeckle(grey: np.ndarray, binary: np.ndarray, dpi: float) -> tuple[np.ndarray, int]:
    """Whiten dust: lone ink pixels, and at 200 dpi and more blobs of up to 4 pixels with no
    other ink within 4 pixels. Returns the cleaned page and how many pixels were whitened.

    Neighbourhood counts (two box filters) rather than component labelling: the same result on
    dust, at a quarter of the cost on a full page.
    """
    ink = (binary > 0).astype(np.uint8)
    near = cv2.boxFilter(ink, cv2.CV_16U, (3, 3), normalize=False)
    dust = (ink > 0) & (near == 1)
    if dpi >= 200:
        around = cv2.boxFilter(ink, cv2.CV_16U, (5, 5), normalize=False)
        wider = cv2.boxFilter(ink, cv2.CV_16U, (9, 9), normalize=False)
        # All of the blob within 2 pixels and nothing more within 4: the tip of a hairline
        # serif also has few neighbours close by, but the rest of its letter just beyond.
        dust |= (ink > 0) & (around <= SPECK_MAX_PIXELS) & (wider == around)
    removed = int(np.count_nonzero(dust))
    if not removed:
        return grey, 0
    out = grey.copy()
    out[dust] = 255
    return out, removed
