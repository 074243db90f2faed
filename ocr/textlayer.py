"""A PDF page's own text layer: whether it can be trusted, and if so its words with boxes.

Born-digital pages (a document exported from Word, then signed) carry their exact text; reading
it costs milliseconds where OCR costs a second, and loses nothing. A text layer is trusted only
when it is real text of what the page shows:

- there is text (a scan has none, or only the few words of a stamp drawn over the image);
- its glyphs map to Unicode (no unmapped or private-use codes), after decoding the legacy
  encodings TCVN3 and VNI (ocr.legacy_encoding) where the font says or the text shows them;
- it is well-formed Vietnamese (ocr.syllable), which the garbage layer some scanners' OCR
  leaves behind is not ("CONG Hcok xA HQI CHiJ NGHiA");
- it is drawn, not hidden: invisible text over a page image is another program's OCR of the
  scan, which sohoa reads again itself so that each word has its own confidence.

Anything else is a scan and goes to OCR. pypdfium2 (PDFium, already installed with ocrmypdf)
reads the characters with their boxes, fonts and render modes at ~2,000 pages a second.
"""

from __future__ import annotations

import ctypes
import io
import time
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ocr import legacy_encoding
from ocr.loader import MIN_PDF_DPI
from ocr.syllable import well_formed_share
from ocr.types import CleanupReport, PageResult, Word

ENGINE_PREFIX = "text-layer"
"""Page.engine of a page read from its PDF text layer ("text-layer pdfium unicode"): the mark
of a born-digital page in the store, in `show` and in the review."""

MIN_TEXT_CHARS = 40
"""Letters and digits under which a page holds no real text (a page number, a stamp's date)."""

MIN_WELL_FORMED = 0.85
"""Share of well-formed syllables a trusted layer needs (as for OCR, ocr.quality): real text is
~99% well-formed, an OCR garbage layer or undecoded mojibake well under 70%."""

MAX_UNMAPPED = 0.05
"""Share of characters without a Unicode meaning (unmapped glyphs, private use, U+FFFD) above
which the text layer is not text."""

IMAGE_PAGE_SHARE = 0.5
"""An image covering this share of the page makes it a scanned page."""

STAMP_MAX_WORDS = 40
"""Over a scanned page, this few drawn words are a stamp or a signature box, not the page."""

_INVISIBLE_MODES = frozenset({3, 7})  # PDF text render modes: neither fill nor stroke (7: clip)


def is_text_layer(engine: str) -> bool:
    """True for a page read from its text layer (by the engine name stored with the page)."""
    return engine.startswith(ENGINE_PREFIX)


@dataclass(frozen=True)
class TextLayerVerdict:
    """What the text layer of one PDF page is, and why."""

    trusted: bool
    """True when the page is read from its text layer instead of OCR."""
    reason: str
    """"text_layer" (trusted), or why not: "no_text", "stamp_only", "unmapped_glyphs",
    "ill_formed" (a garbage layer, or a legacy encoding that does not decode), "hidden_ocr"
    (invisible text over a scan: another program's OCR)."""
    encoding: str = legacy_encoding.UNICODE
    """"unicode", "tcvn3" or "vni" (mixed pages: the legacy one)."""
    words: int = 0
    well_formed: float = 1.0
    image_share: float = 0.0
    """Largest share of the page one image covers."""


@dataclass(frozen=True)
class TextLayer:
    verdict: TextLayerVerdict
    result: PageResult | None
    """The page read from its text layer when trusted, else None."""


@dataclass
class _Run:
    """Consecutive characters of one text object (one font, one render mode)."""

    text: list[str]
    boxes: list[tuple[float, float, float, float]]
    font: str
    invisible: bool


def read_text_layer(path: Path, frame: int) -> TextLayer:
    """Judge page `frame` (0-based) of the PDF at `path`; read it when its text is trusted.

    Annotations are read with the page (flattened in memory, the file is not touched): signing
    systems write the number and the day issued, and the signature box, as annotations over a
    born-digital page, and a stamp box over a scan is what marks the page as a scan. Raises
    pdfium's PdfiumError or pikepdf's PdfError on a file that cannot be opened; the caller then
    treats the page as a scan, whose loader reports what is wrong with the file.
    """
    started = time.perf_counter()
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[frame]
        if pdfium_c.FPDFPage_GetAnnotCount(page.raw) > 0:
            page.close()
            pdf.close()
            pdf = pdfium.PdfDocument(_flattened_page(path, frame))
            page = pdf[0]
        try:
            return _read(page, started)
        finally:
            page.close()
    finally:
        pdf.close()


def _flattened_page(path: Path, frame: int) -> bytes:
    """The one page, its annotations' appearances drawn into its content, as a PDF in memory."""
    with pikepdf.open(path) as src:
        out = pikepdf.new()
        with warnings.catch_warnings():
            # The copy leaves the signature widgets outside any form: harmless, since they
            # are drawn into the page here and the copy is only read.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.append(src.pages[frame])
            out.flatten_annotations(mode="all")
            buf = io.BytesIO()
            out.save(buf)
        return buf.getvalue()


def _read(page: pdfium.PdfPage, started: float) -> TextLayer:
    width_pt, height_pt = page.get_size()
    image_share = _image_share(page, width_pt * height_pt)
    textpage = page.get_textpage()
    try:
        runs = _runs(textpage)
    finally:
        textpage.close()
    encoding, share = _page_encoding(runs)
    lines = _lines(runs)
    words_text = [w for line in lines for w, _ in line]
    letters = sum(ch.isalnum() for w in words_text for ch in w)
    all_chars = sum(len(r.text) for r in runs)
    unmapped = sum(_unmapped(ch) for r in runs for ch in r.text)
    visible = [r for r in runs if not r.invisible]

    def verdict(trusted: bool, reason: str) -> TextLayerVerdict:
        return TextLayerVerdict(
            trusted, reason, encoding, len(words_text), round(share, 4), round(image_share, 3)
        )

    if letters < MIN_TEXT_CHARS:
        return TextLayer(verdict(False, "no_text"), None)
    if all_chars and unmapped / all_chars > MAX_UNMAPPED:
        return TextLayer(verdict(False, "unmapped_glyphs"), None)
    if share < MIN_WELL_FORMED:
        return TextLayer(verdict(False, "ill_formed"), None)
    if image_share >= IMAGE_PAGE_SHARE:
        drawn = sum(len("".join(r.text).split()) for r in visible)
        if drawn < len(words_text) / 2:
            return TextLayer(verdict(False, "hidden_ocr"), None)
        if drawn < STAMP_MAX_WORDS:
            return TextLayer(verdict(False, "stamp_only"), None)
    scale = MIN_PDF_DPI / 72.0
    words = tuple(
        Word(
            text=text,
            left=round(box[0] * scale),
            top=round((height_pt - box[3]) * scale),
            width=max(1, round((box[2] - box[0]) * scale)),
            height=max(1, round((box[3] - box[1]) * scale)),
            conf=100.0,
            line=n,
            engine=ENGINE_PREFIX,
        )
        for n, line in enumerate(lines)
        for text, box in line
    )
    text = "\n".join(" ".join(w for w, _ in line) for line in lines)
    elapsed = round(time.perf_counter() - started, 4)
    result = PageResult(
        text=text,
        words=words,
        # Not a recognition confidence: the words are the document's own text, exactly.
        mean_confidence=100.0,
        needs_review=False,
        width=round(width_pt * scale),
        height=round(height_pt * scale),
        dpi=MIN_PDF_DPI,
        cleanup=CleanupReport(steps=("text_layer",)),
        engine=f"{ENGINE_PREFIX} pdfium {encoding}",
        ocr_seconds=0.0,
        cleanup_seconds=elapsed,
    )
    return TextLayer(verdict(True, "text_layer"), result)


def _image_share(page: pdfium.PdfPage, area: float) -> float:
    best = 0.0
    if area <= 0:
        return best
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        best = max(best, (right - left) * (top - bottom) / area)
    return min(best, 1.0)


def _fast(function: object, restype: object, *argtypes: object) -> Callable[..., Any]:
    """A PDFium function called with plain addresses: ~3x cheaper per call than pypdfium2's
    typed wrappers, which matters at ~2,000 characters a page."""
    prototype = ctypes.CFUNCTYPE(restype, *argtypes)  # type: ignore[arg-type]
    return cast(Callable[..., Any], ctypes.cast(function, prototype))  # type: ignore[arg-type]


_VP, _INT, _DP = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_double)
_unicode = _fast(pdfium_c.FPDFText_GetUnicode, ctypes.c_uint, _VP, _INT)
_generated = _fast(pdfium_c.FPDFText_IsGenerated, _INT, _VP, _INT)
_map_error = _fast(pdfium_c.FPDFText_HasUnicodeMapError, _INT, _VP, _INT)
_text_object = _fast(pdfium_c.FPDFText_GetTextObject, _VP, _VP, _INT)
_char_box = _fast(pdfium_c.FPDFText_GetCharBox, _INT, _VP, _INT, _DP, _DP, _DP, _DP)
_render_mode = _fast(pdfium_c.FPDFTextObj_GetTextRenderMode, _INT, _VP)


def _runs(textpage: pdfium.PdfTextPage) -> list[_Run]:
    """The page's characters grouped by text object, with their boxes (PDF points, y up)."""
    raw = textpage.raw
    page = ctypes.cast(raw, ctypes.c_void_p).value
    count = pdfium_c.FPDFText_CountChars(raw)
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    refs = ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top)
    name = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    runs: list[_Run] = []
    current: _Run | None = None
    last_obj: int | None = None
    for i in range(count):
        code = _unicode(page, i)
        if _generated(page, i) == 1:
            # PDFium's own line breaks and spaces between text objects.
            if current is not None:
                current.text.append("\n" if code in (0x0D, 0x0A) else " ")
                current.boxes.append((0.0, 0.0, 0.0, 0.0))
            continue
        obj = _text_object(page, i)
        if current is None or obj != last_obj:
            last_obj = obj
            pdfium_c.FPDFText_GetFontInfo(raw, i, name, 256, ctypes.byref(flags))
            mode = _render_mode(obj) if obj else 0
            current = _Run([], [], name.value.decode("latin-1"), mode in _INVISIBLE_MODES)
            runs.append(current)
        if 0 < code < 0x110000 and _map_error(page, i) != 1:
            current.text.append(chr(code))
        else:
            current.text.append("\ufffd")
        _char_box(page, i, *refs)
        current.boxes.append((left.value, bottom.value, right.value, top.value))
    return runs


SAMPLE_WORDS = 200
"""Words of a page its well-formedness is judged on: enough to tell text from garbage, few
enough that judging costs a few milliseconds."""


def _page_encoding(runs: list[_Run]) -> tuple[str, float]:
    """Decode each run in its font's encoding; when no font says and the text is not
    well-formed as it is, guess from the text. Returns the encoding and the share of
    well-formed syllables of the (decoded) text."""
    found = legacy_encoding.UNICODE
    raw = [(run.text, run.boxes) for run in runs]
    for run in runs:
        encoding = legacy_encoding.encoding_of_font(run.font)
        if encoding != legacy_encoding.UNICODE:
            _decode_run(run, encoding, caps=legacy_encoding.is_caps_font(run.font))
            found = encoding
    text = "".join(ch for r in runs for ch in r.text)
    share, _ = well_formed_share(text.split()[:SAMPLE_WORDS])
    if found != legacy_encoding.UNICODE:
        # A font named like a legacy one may hold Unicode after all ("VnTimes" remade with
        # a Unicode map): keep the decoding only where it does not make the text worse.
        before = "".join(ch for chars, _ in raw for ch in chars)
        share_before, _ = well_formed_share(before.split()[:SAMPLE_WORDS])
        if share_before > share:
            for run, (chars, boxes) in zip(runs, raw, strict=True):
                run.text, run.boxes = chars, boxes
            return legacy_encoding.UNICODE, share_before
        return found, share
    if share >= MIN_WELL_FORMED:
        return found, share
    guessed = legacy_encoding.guess(text)
    if guessed == legacy_encoding.UNICODE:
        return found, share
    for run in runs:
        _decode_run(run, guessed, caps=False)
    text = "".join(ch for r in runs for ch in r.text)
    return guessed, well_formed_share(text.split()[:SAMPLE_WORDS])[0]


def _decode_run(run: _Run, encoding: str, *, caps: bool) -> None:
    """Decode a run in place, word by word, so each word keeps the union of its glyphs' boxes
    (VNI writes one letter as two glyphs)."""
    text: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    word: list[str] = []
    word_boxes: list[tuple[float, float, float, float]] = []

    def flush() -> None:
        if word:
            decoded = legacy_encoding.decode("".join(word), encoding, caps=caps)
            box = _union(word_boxes)
            text.extend(decoded)
            boxes.extend([box] * len(decoded))
            word.clear()
            word_boxes.clear()

    for ch, box in zip(run.text, run.boxes, strict=True):
        if ch.isspace():
            flush()
            text.append(ch)
            boxes.append(box)
        else:
            word.append(ch)
            word_boxes.append(box)
    flush()
    run.text, run.boxes = text, boxes


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """The smallest box around the glyphs' boxes (empty ones, of generated spaces, left out)."""
    x0 = y0 = float("inf")
    x1 = y1 = float("-inf")
    for b in boxes:
        if b[2] > b[0] or b[3] > b[1]:
            x0, y0, x1, y1 = min(x0, b[0]), min(y0, b[1]), max(x1, b[2]), max(y1, b[3])
    if x0 == float("inf"):
        return boxes[0]
    return (x0, y0, x1, y1)


Box = tuple[float, float, float, float]
"""left, bottom, right, top in PDF points (y up)."""


def _lines(runs: list[_Run]) -> list[list[tuple[str, Box]]]:
    """Words (NFC) with their boxes, in lines as a reader sees them: words side by side on the
    page are one line, left to right, whatever order the file draws them in (a number the
    signing system stamped after "Số:" joins its line), lines from the top down. Tesseract
    reads a page the same way, so what reads OCR text reads this too."""
    words: list[tuple[str, Box]] = []
    word: list[str] = []
    word_boxes: list[Box] = []

    def flush() -> None:
        if word:
            text = unicodedata.normalize("NFC", "".join(word))
            if text.strip():
                words.append((text, _union(word_boxes)))
            word.clear()
            word_boxes.clear()

    for run in runs:
        for ch, box in zip(run.text, run.boxes, strict=True):
            if ch.isspace() or ch in "\x00\ufffe":
                flush()
            else:
                word.append(ch)
                word_boxes.append(box)
    flush()
    # Highest first; a word joins the line whose band its vertical middle falls in.
    bands: list[tuple[float, float, list[tuple[str, Box]]]] = []
    for text, box in sorted(words, key=lambda w: -w[1][3]):
        middle = (box[1] + box[3]) / 2
        for bottom, top, members in reversed(bands[-8:]):
            if bottom <= middle <= top:
                members.append((text, box))
                break
        else:
            bands.append((box[1], box[3], [(text, box)]))
    bands.sort(key=lambda b: -b[1])
    return [sorted(members, key=lambda w: w[1][0]) for _, _, members in bands]


def _unmapped(ch: str) -> bool:
    if ch.isspace():
        return False
    cat = unicodedata.category(ch)
    return ch == "\ufffd" or cat in ("Co", "Cn", "Cc", "Cs")


UNUSABLE = "text_layer_unusable"
"""Review reason of an OCRed page whose PDF carried a text layer that does not decode (unmapped
glyphs, a legacy font the tables do not fit): a person may want to compare."""


def born_digital_page(path: Path, frame: int) -> tuple[PageResult | None, TextLayerVerdict | None]:
    """The page read from its text layer when that can be trusted, else (None, why not).

    A file PDFium or pikepdf cannot open gives (None, None): the page then goes the scan way,
    whose loader names the file and what is wrong with it.
    """
    try:
        layer = read_text_layer(path, frame)
    except (pdfium.PdfiumError, pikepdf.PdfError, OSError, ValueError, IndexError):
        return None, None
    return layer.result, layer.verdict


def is_unusable(verdict: TextLayerVerdict | None) -> bool:
    """A text layer that is there but does not decode to text (not a scanner's garbage OCR)."""
    if verdict is None:
        return False
    return verdict.reason == "unmapped_glyphs" or (
        verdict.reason == "ill_formed" and verdict.encoding != legacy_encoding.UNICODE
    )
