"""OCR engines behind one interface: the Tesseract program per page, or Tesseract kept loaded."""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Protocol

import numpy as np
from PIL import Image

from ocr.tesseract import (
    DEFAULT_PSM,
    SKIP_WORK,
    TESSERACT_TIMEOUT_S,
    TesseractFailed,
    check_tesseract,
    parse_tsv,
    run_tesseract,
    tessdata_dir,
)
from ocr.types import Word
from sohoa.errors import MissingDependency

ENGINE_ENV = "SOHOA_OCR_ENGINE"
"""Environment variable choosing the engine: "tesserocr", "cli" or "auto" (the default:
tesserocr when it is installed, else the tesseract program)."""


class OcrEngine(Protocol):
    """Reads one page image; exactly one recognition per call gives text and words."""

    name: str

    def version(self, lang: str) -> str:
        """Engine and version as stored with each page, e.g. "tesseract 5.3.0 vie"."""
        ...

    def recognize(self, image: np.ndarray, *, lang: str, dpi: int) -> tuple[str, list[Word]]:
        """Text and words (boxes, confidences) of a greyscale page, as the engine wrote them."""
        ...

    def load(self, lang: str) -> None:
        """Check `lang` is installed and load what this engine keeps between pages (once)."""
        ...


class CliEngine:
    """The `tesseract` program through pytesseract, one process per page."""

    name = "cli"

    def version(self, lang: str) -> str:
        return f"tesseract {check_tesseract(lang)} {lang}"

    def recognize(self, image: np.ndarray, *, lang: str, dpi: int) -> tuple[str, list[Word]]:
        return run_tesseract(image, lang=lang, dpi=dpi)

    def load(self, lang: str) -> None:
        check_tesseract(lang)  # each page starts the program, which loads the model itself


class TesserocrEngine:
    """Tesseract's library through tesserocr, the model loaded once per worker thread.

    Saves the program start and model load (~0.1 s) and the temporary image file on every
    page; the tesserocr wheel also carries a newer Tesseract (5.5) that reads pages ~30%
    faster than Debian's 5.3 on the same machine (measured, see the README).
    """

    name = "tesserocr"

    def __init__(self) -> None:
        import tesserocr  # noqa: F401  (fails early when it is not installed)

        self._local = threading.local()

    def _api(self, lang: str) -> Any:
        import tesserocr

        apis = self._local.__dict__.setdefault("apis", {})
        if lang not in apis:
            check_tesseract(lang)  # same messages as the program when a model is missing
            os.environ.setdefault("OMP_THREAD_LIMIT", "1")
            try:
                apis[lang] = tesserocr.PyTessBaseAPI(
                    path=str(tessdata_dir()), lang=lang, psm=DEFAULT_PSM, variables=SKIP_WORK
                )
            except RuntimeError as exc:
                raise MissingDependency(
                    f"Không nạp được mô hình Tesseract '{lang}' ({exc}); hãy chạy"
                    f" `sudo apt-get install tesseract-ocr-{lang}` rồi chạy lại.",
                    f"Cannot load the Tesseract '{lang}' model ({exc}); run"
                    f" `sudo apt-get install tesseract-ocr-{lang}` and run again.",
                ) from exc
        return apis[lang]

    def load(self, lang: str) -> None:
        self._api(lang)

    def version(self, lang: str) -> str:
        import tesserocr

        found = re.search(r"tesseract\s+v?([\d.]+)", tesserocr.tesseract_version())
        return f"tesseract {found.group(1) if found else '?'} {lang} (tesserocr)"

    def recognize(self, image: np.ndarray, *, lang: str, dpi: int) -> tuple[str, list[Word]]:
        api = self._api(lang)
        grey = np.ascontiguousarray(image if image.ndim == 2 else _grey(image))
        height, width = grey.shape
        # Raw pixels, no encoding; the buffer must outlive recognition (tesseract does not copy).
        data = grey.tobytes()
        api.SetImageBytes(data, width, height, 1, width)
        api.SetSourceResolution(int(dpi) or 300)
        if not api.Recognize(TESSERACT_TIMEOUT_S * 1000):
            raise TesseractFailed("recognition failed or timed out")
        text = api.GetUTF8Text()
        tsv = api.GetTSVText(0)
        api.Clear()
        # GetTSVText has no header row; parse_tsv expects Tesseract's file layout.
        return text.replace("\f", "").rstrip(), parse_tsv("header\n" + tsv)


def _grey(image: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(image).convert("L"))


_engines: dict[str, OcrEngine] = {}


def get_engine(name: str | None = None) -> OcrEngine:
    """The engine named (or by SOHOA_OCR_ENGINE), one instance per process."""
    choice = (name or os.environ.get(ENGINE_ENV) or "auto").strip().lower()
    if choice not in ("auto", "cli", "tesserocr"):
        raise ValueError(f"{ENGINE_ENV} must be auto, cli or tesserocr, not {choice!r}")
    if choice == "auto":
        choice = "tesserocr" if available_engines()[-1] == "tesserocr" else "cli"
    if choice not in _engines:
        _engines[choice] = TesserocrEngine() if choice == "tesserocr" else CliEngine()
    return _engines[choice]


def available_engines() -> tuple[str, ...]:
    """Engines this installation can run: "cli" always, "tesserocr" when it is installed."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return ("cli",)
    return ("cli", "tesserocr")
