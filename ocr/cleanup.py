"""Preparing a page image for OCR (the stored original is never changed)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import cv2
import numpy as np
from PIL import Image

from ocr import artifacts, geometry
from ocr.tesseract import detect_orientation
from ocr.types import CleanupReport

A4_LONG_SIDE_IN = 11.69
LARGEST_PAGE_IN = 23.4
"""A2's long side: archive pages are at most this large, so a declared dpi implying a bigger
page (a scanner writing the 72-dpi screen default) is not believed."""

UPSAMPLE_BELOW_DPI = 250
SMALL_TEXT_PX = 12
OCR_DPI = 300
"""Pages under 250 dpi whose characters are under 12 pixels high (median) are enlarged to 300
dpi. Measured (scripts/eval_ocr.py): 9 pt type at 150 dpi (9 px) reads with 3% character errors
as scanned and 1% enlarged; 13 pt type at 150-200 dpi (14-19 px) reads better as scanned, because
Tesseract rescales every text line itself and an enlarged page only adds interpolation blur."""

MIN_DESKEW_DEG = 0.1
"""Smaller skews are left alone: Tesseract reads them as well, and resampling costs sharpness."""

DESKEW_INTERPOLATION = cv2.INTER_LINEAR
"""Bilinear: on blurred, noisy scans it read as well as bicubic or better, at a third of the
cost (measured with scripts/eval_ocr.py)."""

MIN_ORIENTATION_CONFIDENCE = 0.65
"""Below this share of diacritics agreeing on up/down (or with too few of them), Tesseract's
own orientation detection decides."""

MIN_OSD_CONFIDENCE = 1.5
"""Tesseract OSD's orientation confidence under which its answer is not taken."""

SEAL_MIN_MM = 20.0
"""Round red marks at least this wide are seals (a Party committee seal is 35-40 mm); smaller
red print such as a "MẬT" stamp is text that metadata extraction needs, so it is kept."""

RED_MARGIN = 50
"""A pixel is red ink when its red channel exceeds both others by this much."""


BLANK_INK_MM2 = 2.0
"""A page with less dark ink than this in all (square millimetres) is blank and not OCRed: the
empty back of a duplex sheet. A capital letter in 13 pt is about 2.7 mm² and "MẬT" in 14 pt
bold 16 mm², so a page with only a secrecy mark is read; a page with dust on it is read too
(200 specks of 0.25 mm make 13 mm²), as before."""

INK_LEVEL = 160
"""Grey level under which a pixel counts as ink for BLANK_INK_MM2 (paper is 200-255)."""


def is_blank(grey: np.ndarray, dpi: int) -> bool:
    """Whether a cleaned page has no ink worth reading (Tesseract is not run on it)."""
    mm2_per_px = (25.4 / max(1, dpi)) ** 2
    return int(np.count_nonzero(grey < INK_LEVEL)) * mm2_per_px < BLANK_INK_MM2


@dataclass(frozen=True)
class CleanupOptions:
    """Which cleanup steps run; all by default. `without("deskew")` for evaluations."""

    red_seal: bool = True
    borders: bool = True
    despeckle: bool = True
    orientation: bool = True
    deskew: bool = True
    upsample: bool = True

    @classmethod
    def steps(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def none(cls) -> CleanupOptions:
        return cls(**dict.fromkeys(cls.steps(), False))

    def without(self, *steps: str) -> CleanupOptions:
        unknown = set(steps) - set(self.steps())
        if unknown:
            raise ValueError(f"unknown cleanup steps {sorted(unknown)}: use {self.steps()}")
        return replace(self, **dict.fromkeys(steps, False))

    def __repr__(self) -> str:
        on = [s for s in self.steps() if getattr(self, s)]
        return f"CleanupOptions({', '.join(on) or 'none'})"


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


def effective_dpi(width: int, height: int, declared: int) -> int:
    """The page's resolution: as declared when plausible, else estimated as an A4 page."""
    if declared and max(width, height) / declared <= LARGEST_PAGE_IN:
        return declared
    return max(1, round(max(width, height) / A4_LONG_SIDE_IN))


def greyscale(rgb: np.ndarray) -> np.ndarray:
    """One channel: Tesseract binarizes greyscale itself; colour only costs time."""
    return cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)


def _red_ink(rgb: np.ndarray) -> np.ndarray:
    r = rgb[..., 0].astype(np.int16)
    return (r - np.maximum(rgb[..., 1], rgb[..., 2]).astype(np.int16)) > RED_MARGIN


def drop_seals(rgb: np.ndarray, grey: np.ndarray, dpi: float) -> tuple[np.ndarray, int]:
    """Fade red seals to paper in the greyscale page, keeping the black text printed under them.

    Inside a seal, a red pixel takes its red-channel value (red ink is bright there, black
    print stays black). Returns the page and how many seals were faded.
    """
    scale = min(1.0, geometry.ANALYSIS_DPI / dpi)
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    red = _red_ink(small).astype(np.uint8)
    if not red.any():
        return grey, 0
    # Seal rings, star and lettering are separate strokes: close the gaps to get one blob.
    px_per_mm = dpi * scale / 25.4
    k = max(3, round(2 * px_per_mm) | 1)
    blobs = cv2.morphologyEx(red, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    out = grey
    seals = 0
    for x, y, w, h, _area in stats[1:]:
        size = max(w, h)
        if size < SEAL_MIN_MM * px_per_mm or abs(int(w) - int(h)) > 0.25 * size:
            continue
        x0, y0 = int(x / scale), int(y / scale)
        x1, y1 = int((x + w) / scale) + 1, int((y + h) / scale) + 1
        box = rgb[y0:y1, x0:x1]
        inked = _red_ink(box)
        if seals == 0:
            out = grey.copy()
        region = out[y0:y1, x0:x1]
        region[inked] = box[..., 0][inked]
        seals += 1
    return out, seals


def turn_matrix(rotate: int, width: int, height: int) -> np.ndarray:
    """3x3 map of scan coordinates to those after a clockwise quarter turn."""
    if rotate == 90:
        return np.array([[0, -1, height], [1, 0, 0], [0, 0, 1]], dtype=np.float64)
    if rotate == 180:
        return np.array([[-1, 0, width], [0, -1, height], [0, 0, 1]], dtype=np.float64)
    if rotate == 270:
        return np.array([[0, 1, 0], [-1, 0, width], [0, 0, 1]], dtype=np.float64)
    return np.eye(3)


def level(grey: np.ndarray, skew_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate the page `skew_deg` clockwise onto a canvas large enough to keep every corner.

    Returns the image and the 3x3 map from old to new coordinates.
    """
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -skew_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w = int(np.ceil(height * sin + width * cos))
    new_h = int(np.ceil(height * cos + width * sin))
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    out = cv2.warpAffine(
        grey, matrix, (new_w, new_h), flags=DESKEW_INTERPOLATION, borderValue=(255,)
    )
    return out, np.vstack([matrix, [0, 0, 1]])


def _ask_osd(small: np.ndarray, dpi: float, axis_guess: int) -> int:
    """Tesseract's orientation when it is sure; else the guess if it turns a sideways page
    (lines must run across to be read at all), else leave the page as it is."""
    osd = detect_orientation(small, round(dpi))
    if osd is not None and osd[1] >= MIN_OSD_CONFIDENCE:
        return osd[0]
    return axis_guess if axis_guess in (90, 270) else 0


def _speckled(grey: np.ndarray, dpi: float) -> bool:
    """Dust on the page, judged from its middle quarter (dust falls everywhere alike)."""
    height = grey.shape[0]
    band = grey[height * 3 // 8 : height * 5 // 8]
    a4_share = band.size / (8.27 * 11.69 * dpi * dpi)
    return artifacts.lone_pixels(_binarize(band)) > artifacts.MIN_SPECKS * a4_share


def _binarize(grey: np.ndarray) -> np.ndarray:
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return binary


def prepare(
    image: Image.Image | np.ndarray, dpi: int, options: CleanupOptions | None = None
) -> tuple[np.ndarray, CleanupReport]:
    """The greyscale image Tesseract should read, and what was done to get it.

    Steps, each switchable for evaluation: fade red seals (colour scans), whiten dark borders
    and punch holes, remove dust specks, turn the page upright, level its lines, enlarge small
    type on pages under 250 dpi. Measuring happens at 150 dpi on a binarized copy; only the
    steps that apply touch the full page. The report's to_scan maps the result's pixels back
    to the scan's.
    """
    options = options or CleanupOptions()
    page = to_array(image)
    dpi = dpi or effective_dpi(page.shape[1], page.shape[0], 0)
    steps: list[str] = []
    if page.ndim == 3:
        grey = greyscale(page)
        steps.append("greyscale")
        if options.red_seal:
            grey, seals = drop_seals(page, grey, dpi)
            if seals:
                steps.append("red_seal")
    else:
        grey = page
    del page
    height, width = grey.shape
    scale = min(1.0, geometry.ANALYSIS_DPI / dpi)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    binary = _binarize(small)
    # One labelling serves every measurement: borders, holes, orientation and skew.
    _, labels, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    frame = np.zeros(len(stats), dtype=bool)
    if options.borders:
        frame = artifacts.frame_components(stats, binary.shape, dpi * scale)
        if frame.any():
            grey = artifacts.remove_frame(grey, frame[labels])
            steps.append("borders")
    del labels
    if options.despeckle and _speckled(grey, dpi):
        grey, removed = artifacts.despeckle(grey, _binarize(grey), dpi)
        if removed:
            steps.append("despeckle")
    to_read = np.eye(3)
    rotate, skew, text_px = 0, 0.0, 0.0
    if options.orientation or options.deskew or options.upsample:
        comps = geometry.components(stats, centroids, scale).subset(~frame[1:])
        found = geometry.measure(comps, binary.shape[1], binary.shape[0])
        if found is not None:
            text_px = found.text_height / scale
            if options.orientation:
                rotate = found.rotate
                if (
                    found.marks < geometry.MIN_MARKS
                    or found.confidence < MIN_ORIENTATION_CONFIDENCE
                ):
                    rotate = _ask_osd(small, dpi * scale, found.rotate)
                    steps.append("osd")
            if options.deskew and abs(found.skew_deg) >= MIN_DESKEW_DEG:
                skew = found.skew_deg
    if rotate:
        to_read = turn_matrix(rotate, width, height) @ to_read
        grey = np.ascontiguousarray(np.rot90(grey, k=-(rotate // 90)))
        steps.append("orientation")
    if skew:
        grey, leveled = level(grey, skew)
        to_read = leveled @ to_read
        steps.append("deskew")
    upsampled_from = None
    if options.upsample and dpi < UPSAMPLE_BELOW_DPI and 0 < text_px < SMALL_TEXT_PX:
        factor = OCR_DPI / dpi
        grey = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        to_read = np.diag([factor, factor, 1.0]) @ to_read
        upsampled_from = dpi
        steps.append("upsample")
    to_scan = np.linalg.inv(to_read)[:2].round(6)
    report = CleanupReport(
        rotated=rotate,
        deskew_deg=round(skew, 3),
        steps=tuple(steps),
        upsampled_from_dpi=upsampled_from,
        to_scan=() if np.allclose(to_read, np.eye(3)) else tuple(float(v) for v in to_scan.ravel()),
    )
    return grey, report
