"""Line recognizers that read cropped words: AsterOCR (ONNX, Vietnamese) and Tesseract.

A recognizer reads small greyscale crops (one word, cut with its line's height) and gives a
reading and a confidence for each. The page itself is read once by the page engine
(ocr/engine.py); these re-read only the words it was unsure of (ocr/second_opinion.py).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from sohoa.errors import MissingDependency

ASTER_HEIGHT = 32
"""AsterOCR's input height in pixels: every crop is scaled to it."""

ASTER_MAX_WIDTH = 1024
"""AsterOCR's attention layer fails on inputs wider than this once scaled; no word is."""

ASTER_BATCH = 16
"""At most this many crops in one call."""


@dataclass(frozen=True)
class Reading:
    """What a recognizer read in one crop."""

    text: str
    """The reading, NFC; empty when nothing was read."""
    conf: float
    """0 to 100: for AsterOCR the probability of its least sure character."""


class Recognizer(Protocol):
    """Reads word crops; one instance per process (a model loads once per worker)."""

    name: str

    def version(self) -> str:
        """Name and version as stored with each page, e.g. "asterocr 1.0.2"."""
        ...

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """One reading per greyscale uint8 crop, in order."""
        ...


def _missing_aster(exc: BaseException) -> MissingDependency:
    return MissingDependency(
        f"Chưa cài AsterOCR ({exc}): hãy chạy scripts/setup (gói PyPI asterocr và onnxruntime)"
        " hoặc đặt SOHOA_OCR_SECOND_OPINION=off.",
        f"AsterOCR is not installed ({exc}): run scripts/setup (PyPI packages asterocr and"
        " onnxruntime) or set SOHOA_OCR_SECOND_OPINION=off.",
    )


class AsterRecognizer:
    """AsterOCR's Vietnamese line model (shipped in the asterocr wheel) on ONNX Runtime.

    The model is run directly rather than through asterocr.AsterOCR so that crops are read in
    batches and each character's probability is kept; preprocessing is the package's own
    (RGB, 32 px high, scaled to [-1, 1]). One thread per process: workers are one per core.
    """

    name = "asterocr"

    def __init__(self) -> None:
        try:
            import asterocr
            import onnxruntime as ort
        except ImportError as exc:
            raise _missing_aster(exc) from exc
        assets = Path(asterocr.__file__).parent / "assets"
        self._version = f"asterocr {asterocr.__version__}"
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(assets / "asternet.onnx"), options, providers=["CPUExecutionProvider"]
            )
            self._chars: list[str] = json.loads((assets / "vocab.json").read_text("utf-8"))["chars"]
        except (OSError, ValueError, RuntimeError) as exc:
            raise _missing_aster(exc) from exc
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()

    def version(self) -> str:
        return self._version

    @staticmethod
    def _prepare(crop: np.ndarray) -> np.ndarray:
        """The crop as the model reads it: RGB, ASTER_HEIGHT high, a multiple of 4 wide, in
        [-1, 1]."""
        height, width = crop.shape[:2]
        scaled = max(ASTER_HEIGHT, int(width * ASTER_HEIGHT / max(1, height)))
        scaled = min(ASTER_MAX_WIDTH, (scaled + 3) // 4 * 4)
        image = (
            Image.fromarray(crop)
            .convert("RGB")
            .resize((scaled, ASTER_HEIGHT), Image.Resampling.BILINEAR)
        )
        pixels = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
        return pixels.transpose(2, 0, 1)

    def _decode(self, log_probs: np.ndarray) -> Reading:
        best = log_probs.argmax(-1)
        probs = np.exp(log_probs.max(-1))
        chars: list[str] = []
        sure: list[float] = []
        previous = -1
        for index, p in zip(best.tolist(), probs.tolist(), strict=True):
            if index != previous and index != 0:  # CTC: 0 is the blank, repeats collapse
                chars.append(self._chars[index])
                sure.append(p)
            previous = index
        text = "".join(chars).strip()
        return Reading(text, round(100 * min(sure), 1) if sure and text else 0.0)

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        # Crops of the same width go through the model together: a call costs ~4 ms on its
        # own besides the pixels, and a page has 10-80 crops to read. Never padded to a common
        # width: white added to a crop changes what the bidirectional layers see (đổi, read
        # đổi,, when padded), so each crop reads exactly as it would alone (checked on the
        # real pages: same text, same confidence), ~25% less time a crop.
        prepared = [self._prepare(crop) for crop in crops]
        groups: dict[int, list[int]] = {}
        for i, pixels in enumerate(prepared):
            groups.setdefault(pixels.shape[-1], []).append(i)
        out: list[Reading | None] = [None] * len(crops)
        for members in groups.values():
            for start in range(0, len(members), ASTER_BATCH):
                chunk = members[start : start + ASTER_BATCH]
                batch = np.stack([prepared[i] for i in chunk])
                with self._lock:  # one session, possibly several threads of one worker
                    log_probs = self._session.run(None, {self._input: batch})[0]  # (T, B, C)
                for j, i in enumerate(chunk):
                    out[i] = self._decode(log_probs[:, j, :])
        return [r for r in out if r is not None]


def _tesserocr() -> Any:
    try:
        import tesserocr
    except ImportError as exc:
        raise MissingDependency(
            f"Chưa cài tesserocr ({exc}): hãy chạy scripts/setup.",
            f"tesserocr is not installed ({exc}): run scripts/setup.",
        ) from exc
    return tesserocr


class TesseractRecognizer:
    """Tesseract's own line mode on a crop (psm 7): a re-read of a word at its own scale.

    Not Tesseract reading the page twice: only the crops of unsure words, each a few dozen
    pixels. Used as a third reading where the first two disagree (scripts/eval_ocr.py).
    """

    name = "tesseract-line"

    def __init__(self, lang: str = "vie") -> None:
        tesserocr = _tesserocr()
        from ocr.tesseract import SKIP_WORK, check_tesseract, tessdata_dir

        self._version = f"tesseract {check_tesseract(lang)} {lang} psm 7"
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._api: Any = tesserocr.PyTessBaseAPI(
            path=str(tessdata_dir()), lang=lang, psm=tesserocr.PSM.SINGLE_LINE, variables=SKIP_WORK
        )

    def version(self) -> str:
        return self._version

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        out = []
        for crop in crops:
            grey = np.ascontiguousarray(crop)
            height, width = grey.shape
            self._api.SetImageBytes(grey.tobytes(), width, height, 1, width)
            text = self._api.GetUTF8Text().strip()
            conf = float(self._api.MeanTextConf()) if text else 0.0
            out.append(Reading(" ".join(text.split()), max(conf, 0.0)))
        self._api.Clear()
        return out


class DigitsRecognizer:
    """Tesseract on a crop alone, binarized (Otsu), as one word of digits only: a second
    reader of the numbers and days written by hand into a document's printed blanks
    (pipeline/handwriting.py), beside AsterOCR."""

    name = "tesseract-digits"

    def __init__(self) -> None:
        tesserocr = _tesserocr()
        from ocr.tesseract import tessdata_dir

        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self._api: Any = tesserocr.PyTessBaseAPI(
            path=str(tessdata_dir()), lang="eng", psm=tesserocr.PSM.SINGLE_WORD
        )
        self._api.SetVariable("tessedit_char_whitelist", "0123456789")
        self._version = f"tesseract {tesserocr.tesseract_version().split()[1]} eng digits"

    def version(self) -> str:
        return self._version

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        import cv2

        out = []
        for crop in crops:
            _, grey = cv2.threshold(
                np.ascontiguousarray(crop), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU
            )
            grey = np.ascontiguousarray(grey)
            height, width = grey.shape[:2]
            self._api.SetImageBytes(grey.tobytes(), width, height, 1, width)
            text = self._api.GetUTF8Text().strip()
            out.append(Reading(text, float(self._api.MeanTextConf()) if text else 0.0))
            self._api.Clear()
        return out


_loaded: dict[str, Recognizer] = {}
_load_lock = threading.Lock()


def get_recognizer(name: str = "asterocr") -> Recognizer:
    """The recognizer named, loaded once per process."""
    with _load_lock:
        if name not in _loaded:
            if name == "asterocr":
                _loaded[name] = AsterRecognizer()
            elif name == "tesseract-line":
                _loaded[name] = TesseractRecognizer()
            elif name == "tesseract-digits":
                _loaded[name] = DigitsRecognizer()
            else:
                raise ValueError(
                    f"unknown recognizer {name!r}: asterocr, tesseract-line or tesseract-digits"
                )
        return _loaded[name]
