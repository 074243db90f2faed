"""The typed values the OCR stage hands to the rest of sohoa (frozen, picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """One word Tesseract recognised, in page pixel coordinates of the image it read."""

    text: str
    """The word, Unicode NFC, after look-alike normalization."""
    left: int
    top: int
    width: int
    height: int
    conf: float
    """Tesseract's word confidence, 0 to 100."""
    line: int
    """Line number within the page (0-based, reading order), so text and boxes can be re-joined."""


@dataclass(frozen=True)
class CleanupReport:
    """What the cleanup stage did to the page before OCR (the stored original never changes)."""

    rotated: int = 0
    """Clockwise rotation applied, in degrees: 0, 90, 180 or 270."""
    deskew_deg: float = 0.0
    """Skew angle corrected, in degrees."""
    steps: tuple[str, ...] = ()
    """Names of the cleanup steps applied, in order."""
    upsampled_from_dpi: int | None = None
    """The page's resolution when it was upsampled for OCR, else None."""
    to_scan: tuple[float, ...] = ()
    """Affine map (2x3, row-major) from coordinates in the image Tesseract read (word boxes)
    back to the scan as delivered; empty when they are the same. For the PDF text layer."""


@dataclass(frozen=True)
class PageResult:
    """Everything one Tesseract run on one page produced (exactly one run per page)."""

    text: str
    """The page text, Unicode NFC, lines separated by newlines."""
    words: tuple[Word, ...]
    """Words with boxes and confidences, in reading order."""
    mean_confidence: float
    """Mean word confidence 0-100 (0 for a page with no words)."""
    needs_review: bool
    """True when a person should look at this page (low confidence, no text, ...)."""
    review_reasons: tuple[str, ...] = ()
    """Why the page needs review, as short codes: "low_confidence", "empty_page", ..."""
    width: int = 0
    """Width in pixels of the image that was read."""
    height: int = 0
    dpi: int = 0
    """Resolution of the scan as delivered (0 when the file does not say)."""
    cleanup: CleanupReport = field(default_factory=CleanupReport)
    engine: str = ""
    """OCR engine and version, e.g. "tesseract 5.3.0 vie"."""
    ocr_seconds: float = 0.0
    """Wall time of the Tesseract run."""
    cleanup_seconds: float = 0.0
    """Wall time of loading and cleanup before OCR."""
