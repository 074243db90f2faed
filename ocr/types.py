"""The typed values the OCR stage hands to the rest of sohoa (frozen, picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """One word as read, in page pixel coordinates of the image Tesseract read."""

    text: str
    """The word, Unicode NFC, after look-alike normalization."""
    left: int
    top: int
    width: int
    height: int
    conf: float
    """Confidence of `text`, 0 to 100 (Tesseract's word confidence, or the second opinion's)."""
    line: int
    """Line number within the page (0-based, reading order), so text and boxes can be re-joined."""
    engine: str = "tesseract"
    """Which recognizer gave `text`: "tesseract" (the page run) or "asterocr" (the second
    opinion, see ocr/second_opinion.py)."""
    alt_text: str = ""
    """The other recognizer's reading where the two differed (empty where they agreed or the
    word was not re-read): Tesseract's when AsterOCR's was taken, else AsterOCR's."""
    alt_conf: float = 0.0
    """Confidence of `alt_text`, 0 to 100 (0 when there is none)."""

    @property
    def disputed(self) -> bool:
        """True when two recognizers read this word differently (a person may settle it)."""
        return bool(self.alt_text)


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
    second_opinion_seconds: float = 0.0
    """Wall time of the second opinion and reading order after the Tesseract run."""
