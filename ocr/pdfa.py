"""The archival copy: a PDF/A-2b of the scans with an invisible text layer from the stored OCR.

Each page shows the scan upright and level, the way Tesseract read it: the scan's own image
data (JPEG bytes as delivered, other pages lossless, bilevel as CCITT G4) is drawn through a
transformation that undoes the turn and skew the cleanup found, and the stored words are laid
over it in the same frame. Pixels are never resampled, the text layer lines up exactly with
what a person sees, and text extraction (pdftotext, search) gets whole lines in reading order,
which a text layer tilted with a skewed scan does not give.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path

import img2pdf
import numpy as np
import pikepdf
import pikepdf.pdfa
from ocrmypdf.font import MultiFontManager
from ocrmypdf.fpdf_renderer import Fpdf2MultiPageRenderer
from ocrmypdf.models.ocr_element import BoundingBox, OcrClass, OcrElement
from PIL import Image

from ocr.cleanup import OCR_DPI
from ocr.loader import detect_kind, load_page
from ocr.types import PageResult

FONT_DIR = Path(str(files("ocrmypdf") / "data"))
"""ocrmypdf's bundled fonts: Noto Sans covers Vietnamese. The text is invisible, but copy and
search need real glyphs for every letter."""

METADATA_KEYS = ("title", "author", "subject", "keywords", "language")


def _matrix(m: np.ndarray) -> str:
    """A 3x3 (column vectors) as the operands of the PDF `cm` operator."""
    return " ".join(f"{v:.6f}" for v in (m[0, 0], m[1, 0], m[0, 1], m[1, 1], m[0, 2], m[1, 2]))


def _read_dpi(result: PageResult) -> float:
    """Resolution of the image Tesseract read (enlarged pages were read at 300 dpi)."""
    return float(OCR_DPI if result.cleanup.upsampled_from_dpi else result.dpi)


def _read_frame(result: PageResult) -> tuple[float, float, np.ndarray]:
    """Size in points of the page as read, and the map from scan pixels to its points."""
    dpi = _read_dpi(result)
    to_scan = np.eye(3)
    if result.cleanup.to_scan:
        to_scan[:2] = np.array(result.cleanup.to_scan).reshape(2, 3)
    # Read-image pixels (y down) to PDF points (y up).
    to_points = np.array([[72 / dpi, 0, 0], [0, -72 / dpi, result.height * 72 / dpi], [0, 0, 1]])
    return (
        result.width * 72 / dpi,
        result.height * 72 / dpi,
        to_points @ np.linalg.inv(to_scan),
    )


def _image_xobject(path: Path, frame: int, dpi: int) -> tuple[pikepdf.Pdf, pikepdf.Object]:
    """The scan page as a PDF image (in a one-page PDF made by img2pdf) and that PDF.

    JPEG files go in byte for byte (no second lossy compression); other pages are decoded and
    stored losslessly, bilevel ones as CCITT G4 like the scanner wrote them.
    """
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    data: bytes | None = None
    if detect_kind(path) == "jpeg":
        with Image.open(path) as img:
            # CMYK would need a CMYK output intent; such rare files are converted below.
            if img.mode in ("L", "RGB"):
                data = img2pdf.convert(path.read_bytes(), layout_fun=layout)
    if data is None:
        image = load_page(path, frame).image
        buf = io.BytesIO()
        if image.mode == "1":
            image.save(buf, format="TIFF", compression="group4")
        else:
            if image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            image.save(buf, format="PNG", compress_level=6)
        data = img2pdf.convert(buf.getvalue(), layout_fun=layout)
    one = pikepdf.open(io.BytesIO(data))
    return one, next(iter(one.pages[0].Resources.XObject.values()))


def _shown_to_user(page: pikepdf.Page) -> np.ndarray:
    """3x3 map from a PDF page's points as shown (after /Rotate) to its user space."""
    box = [float(v) for v in page.mediabox]
    x0, y0 = min(box[0], box[2]), min(box[1], box[3])
    w, h = abs(box[2] - box[0]), abs(box[3] - box[1])
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    if rotate == 90:
        return np.array([[0, -1, w + x0], [1, 0, y0], [0, 0, 1]], dtype=float)
    if rotate == 180:
        return np.array([[-1, 0, w + x0], [0, -1, h + y0], [0, 0, 1]], dtype=float)
    if rotate == 270:
        return np.array([[0, 1, x0], [-1, 0, h + y0], [0, 0, 1]], dtype=float)
    return np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], dtype=float)


def pdf_page_has_text(path: Path, frame: int) -> bool:
    """Does the PDF page carry text of its own (born digital, or OCR'd before)?

    Such a page is copied as the image poppler rendered for OCR, not as the page itself, so
    the archival copy has exactly one text layer: ours.
    """
    done = subprocess.run(
        ["pdftotext", "-f", str(frame + 1), "-l", str(frame + 1), "-q", str(path), "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    return bool(done.stdout.strip())


def _add_scan_page(out: pikepdf.Pdf, source: Path, frame: int, result: PageResult) -> None:
    """Append a page showing the scan as read: upright and level, image data untouched."""
    width, height, scan_to_page = _read_frame(result)
    page = out.add_blank_page(page_size=(width, height))
    if detect_kind(source) == "pdf" and not pdf_page_has_text(source, frame):
        with pikepdf.open(source) as src:
            src_page = src.pages[frame]
            shown_to_user = _shown_to_user(src_page)
            box = [float(v) for v in src_page.mediabox]
            sideways = int(src_page.obj.get("/Rotate", 0)) % 180 == 90
            shown_h = abs(box[2] - box[0]) if sideways else abs(box[3] - box[1])
            form = out.copy_foreign(src_page.as_form_xobject())
        # The scan pixels are poppler's rendering of the page as shown, at result.dpi.
        k = result.dpi / 72
        shown_to_px = np.array([[k, 0, 0], [0, -k, shown_h * k], [0, 0, 1]])
        place = scan_to_page @ shown_to_px @ np.linalg.inv(shown_to_user)
    else:
        one, image = _image_xobject(source, frame, result.dpi)
        with one:
            form = out.copy_foreign(image)
            w_px, h_px = int(image.Width), int(image.Height)
        # An image fills the unit square, its first row at the top.
        place = scan_to_page @ np.array([[w_px, 0, 0], [0, -h_px, h_px], [0, 0, 1]])
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="Scan")
    page.contents_add(out.make_stream(f"q {_matrix(place)} cm {name} Do Q\n".encode()))


def _ocr_tree(result: PageResult) -> OcrElement:
    """The stored words as ocrmypdf's OCR tree, in the pixels of the image Tesseract read."""
    lines: dict[int, list[OcrElement]] = {}
    for word in result.words:
        box = BoundingBox(
            left=word.left,
            top=word.top,
            right=word.left + word.width,
            bottom=word.top + word.height,
        )
        lines.setdefault(word.line, []).append(
            OcrElement(ocr_class=OcrClass.WORD, bbox=box, text=word.text, confidence=word.conf)
        )
    children = []
    for words in lines.values():
        boxes = [w.bbox for w in words if w.bbox is not None]
        box = BoundingBox(
            left=min(b.left for b in boxes),
            top=min(b.top for b in boxes),
            right=max(b.right for b in boxes),
            bottom=max(b.bottom for b in boxes),
        )
        children.append(OcrElement(ocr_class=OcrClass.LINE, bbox=box, children=words))
    return OcrElement(
        ocr_class=OcrClass.PAGE,
        bbox=BoundingBox(left=0, top=0, right=result.width, bottom=result.height),
        children=children,
        dpi=_read_dpi(result),
        language="vie",
    )


def _add_text_layer(out: pikepdf.Pdf, page: pikepdf.Page, text_page: pikepdf.Page) -> None:
    """Draw a rendered text page over `page` as a form XObject (same frame and size)."""
    form = out.make_stream(text_page.Contents.read_bytes())
    form.Type = pikepdf.Name.XObject
    form.Subtype = pikepdf.Name.Form
    form.BBox = pikepdf.Array([float(v) for v in text_page.mediabox])
    resources = pikepdf.Dictionary()
    for kind in ("/Font", "/ExtGState"):
        found = text_page.Resources.get(kind)
        if found is None:
            continue
        copied = pikepdf.Dictionary()
        for key, value in found.items():
            copied[key] = out.copy_foreign(value) if value.is_indirect else value
        resources[kind] = copied
    form.Resources = resources
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="OCR")
    page.contents_add(out.make_stream(f"q {name} Do Q\n".encode()))


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    values = dict(metadata or {})
    unknown = set(values) - set(METADATA_KEYS)
    if unknown:
        raise ValueError(f"unknown PDF/A metadata {sorted(unknown)}: use {METADATA_KEYS}")
    values.setdefault("language", "vi")
    return values


def write_pdfa(
    pages: Sequence[tuple[Path, int, PageResult]],
    out_path: Path,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write the pages as one PDF/A-2b with the stored words as invisible, selectable text.

    `pages` are (scan file, 0-based frame, the PageResult stored for it); no OCR runs here.
    `metadata` may give title, author, subject, keywords and language (default "vi"). The
    file is validated as PDF/A-2b as it is written (pikepdf) and raises
    pikepdf.pdfa.PdfaError rather than leave a file that does not pass.
    """
    info = _check_metadata(metadata)
    out = pikepdf.new()
    for source, frame, result in pages:
        _add_scan_page(out, Path(source), frame, result)
    with tempfile.TemporaryDirectory(prefix="sohoa-pdfa-") as tmp:
        text_pdf = Path(tmp) / "text.pdf"
        trees = [
            (i, _ocr_tree(result), _read_dpi(result)) for i, (_, _, result) in enumerate(pages)
        ]
        Fpdf2MultiPageRenderer(trees, MultiFontManager(FONT_DIR), invisible_text=True).render(
            text_pdf
        )
        with pikepdf.open(text_pdf) as text:
            for page, text_page in zip(out.pages, text.pages, strict=True):
                _add_text_layer(out, page, text_page)
    with out.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["xmp:CreatorTool"] = "sohoa"
        if "title" in info:
            meta["dc:title"] = info["title"]
        if "author" in info:
            meta["dc:creator"] = [info["author"]]
        if "subject" in info:
            meta["dc:description"] = info["subject"]
        if "keywords" in info:
            meta["pdf:Keywords"] = info["keywords"]
        meta["dc:language"] = [info["language"]]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    pikepdf.pdfa.save(out, out_path, "2b", output_intent="sRGB")
    return out_path
