"""Reading scans one page at a time: TIFF (multi-frame, G4), JPEG, PNG and PDF pages."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError
from PIL import Image

from sohoa.errors import InputError

DEFAULT_MAX_PIXELS = 100_000_000
"""Largest page we decode: A3 at 600 dpi is 70 Mpx; beyond this a page is treated as a
decompression bomb, because a worker would need gigabytes to clean and OCR it."""

MIN_PDF_DPI = 300
"""PDF pages render at their embedded image resolution, never below this."""

PDF_RENDER_TIMEOUT_S = 300
"""A poppler run that takes longer than this is stuck on a broken page."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),  # BigTIFF
    (b"MM\x00+", "tiff"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)

_KIND_BY_SUFFIX = {
    ".tif": "tiff",
    ".tiff": "tiff",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".png": "png",
    ".pdf": "pdf",
}

_KIND_NAME = {"tiff": "TIFF", "jpeg": "JPEG", "png": "PNG", "pdf": "PDF"}


@dataclass(frozen=True)
class ScanInfo:
    """What a scan file is, read from its header without decoding any page."""

    kind: str
    """"tiff", "jpeg", "png" or "pdf", from the file's magic bytes (never from its name)."""
    pages: int
    """Number of pages (TIFF frames, PDF pages; 1 for JPEG and PNG)."""


@dataclass(frozen=True)
class LoadedPage:
    """One decoded page, as delivered (no cleanup yet)."""

    image: Image.Image
    """The page image: mode "1", "L", "RGB" (or another PIL mode the file carries)."""
    dpi: int
    """Resolution the file declares (PDF: the resolution it was rendered at); 0 when unknown."""


def _bad(path: Path, vi: str, en: str, frame: int | None = None) -> InputError:
    """An InputError naming the file (and page) first, so every message reads the same way."""
    if frame is None:
        return InputError(f"{path.name}: {vi}", f"{path.name}: {en}")
    return InputError(
        f"{path.name}, trang {frame + 1}: {vi}", f"{path.name}, page {frame + 1}: {en}"
    )


def detect_kind(path: Path) -> str:
    """The scan's kind from its first bytes; raises InputError when it is not a supported scan."""
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise _bad(
            path,
            f"không đọc được tệp ({exc.strerror}); hãy kiểm tra quyền đọc và đường dẫn.",
            f"cannot read the file ({exc.strerror}); check the path and read permission.",
        ) from exc
    if not head:
        raise _bad(
            path,
            "tệp rỗng (0 byte); hãy quét hoặc sao chép lại tệp này.",
            "the file is empty (0 bytes); scan or copy it again.",
        )
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # PDF writers may put junk before the header; readers accept it within the first 1 KB.
    if b"%PDF-" in head:
        return "pdf"
    expected = _KIND_BY_SUFFIX.get(path.suffix.lower())
    if expected is not None:
        name = _KIND_NAME[expected]
        raise _bad(
            path,
            f"tệp có đuôi {path.suffix} nhưng không phải ảnh {name} (nội dung không đúng"
            " định dạng); hãy kiểm tra lại tệp hoặc quét lại.",
            f"the file is named {path.suffix} but is not a {name} file (its content does not"
            " match); check the file or scan it again.",
        )
    raise _bad(
        path,
        "không phải loại tệp được hỗ trợ; sohoa đọc ảnh quét TIFF, JPEG, PNG và PDF.",
        "unsupported file type; sohoa reads scanned TIFF, JPEG, PNG and PDF files.",
    )


def inspect_scan(path: Path) -> ScanInfo:
    """Kind and page count of a scan, from headers only (no page is decoded)."""
    path = Path(path)
    kind = detect_kind(path)
    if kind == "pdf":
        with _open_pdf(path) as pdf:
            pages = len(pdf.pages)
        if pages == 0:
            raise _bad(
                path,
                "PDF không có trang nào; hãy xuất lại tệp PDF từ máy quét.",
                "the PDF has no pages; export it from the scanner again.",
            )
        return ScanInfo(kind, pages)
    img = _open_image(path)
    with img:
        pages = _frame_count(img)[0] if kind == "tiff" else 1
    return ScanInfo(kind, pages)


def load_page(path: Path, frame: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedPage:
    """Decode one page (0-based `frame`) of a scan, refusing pages larger than `max_pixels`."""
    path = Path(path)
    kind = detect_kind(path)
    if kind == "pdf":
        return _load_pdf_page(path, frame, max_pixels)
    return _load_image_frame(path, kind, frame, max_pixels)


def _truncated(path: Path, frame: int | None, exc: BaseException) -> InputError:
    return _bad(
        path,
        f"ảnh bị hỏng hoặc không đầy đủ ({exc}); hãy quét hoặc sao chép lại tệp này.",
        f"the image is damaged or truncated ({exc}); scan or copy the file again.",
        frame,
    )


def _bomb(path: Path, frame: int | None, width: int, height: int, max_pixels: int) -> InputError:
    mpx, limit = width * height / 1e6, max_pixels / 1e6
    return _bad(
        path,
        f"trang quá lớn ({width}×{height} điểm ảnh = {mpx:.0f} Mpx, giới hạn {limit:.0f} Mpx),"
        " đọc vào sẽ làm cạn bộ nhớ; hãy quét lại ở độ phân giải 300-600 dpi.",
        f"the page is too large ({width}x{height} pixels = {mpx:.0f} Mpx, limit {limit:.0f} Mpx)"
        " and would exhaust memory; scan it again at 300-600 dpi.",
        frame,
    )


@contextmanager
def _decoding(path: Path, frame: int | None) -> Iterator[None]:
    """Turn whatever Pillow raises on a damaged file into an InputError naming the file.

    Pillow's decoders raise many exception types on corrupt data (OSError, SyntaxError,
    KeyError, TypeError, struct.error, ...), and its warnings about damaged metadata are
    noise once the page decodes; the size check (ours) has already run.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        raise _bad(
            path,
            "ảnh quá lớn, đọc vào sẽ làm cạn bộ nhớ; hãy quét lại ở độ phân giải 300-600 dpi.",
            "the image is too large and would exhaust memory; scan it again at 300-600 dpi.",
            frame,
        ) from exc
    except MemoryError as exc:
        raise _bad(
            path,
            "không đủ bộ nhớ để đọc trang này; hãy quét lại ở độ phân giải 300-600 dpi.",
            "not enough memory to read this page; scan it again at 300-600 dpi.",
            frame,
        ) from exc
    except Exception as exc:
        raise _truncated(path, frame, exc) from exc


def _open_image(path: Path) -> Image.Image:
    """Open lazily: Pillow reads the header, not the pixels."""
    with _decoding(path, None):
        return Image.open(path)


def _frame_count(img: Image.Image) -> tuple[int, bool]:
    """Frames of a TIFF, walking the IFD chain only (pixel data stays on disk), and whether the
    chain is broken.

    When the chain breaks at frame k, the file counts k + 1 pages: the frames before still
    load and frame k fails on its own with a message, so a truncated file is never silently
    short.
    """
    count = 1
    while True:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                img.seek(count)
        except EOFError:
            return count, False
        except Exception:
            return count + 1, True
        count += 1


def _declared_dpi(img: Image.Image) -> int:
    dpi = img.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        return 0
    # 0 or 1 dpi are placeholders some scanners write; the cleanup stage decides whether a
    # plausible-looking value (72 dpi screen default) fits the page's pixel size.
    return value if 30 <= value <= 4800 else 0


def _load_image_frame(path: Path, kind: str, frame: int, max_pixels: int) -> LoadedPage:
    img = _open_image(path)
    with img:
        frames, broken = _frame_count(img) if kind == "tiff" else (1, False)
        if not 0 <= frame < frames:
            raise _bad(
                path,
                f"không có trang này (tệp có {frames} trang).",
                f"no such page (the file has {frames}).",
                frame,
            )
        if broken and frame == frames - 1:
            # Pillow keeps the half-read directory and would decode stale data from it.
            raise _truncated(path, frame, EOFError("TIFF directory cut short"))
        with _decoding(path, frame):
            img.seek(frame)
            width, height = img.size
            # The size comes from the header: refuse before a single pixel is decoded.
            if width * height > max_pixels:
                raise _bomb(path, frame, width, height, max_pixels)
            img.load()
            image = img.copy()  # detached from the file, which closes here
        return LoadedPage(image=image, dpi=_declared_dpi(img))


def _open_pdf(path: Path) -> pikepdf.Pdf:
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise _bad(
            path,
            "PDF được mã hoá: hãy gỡ mật khẩu (ví dụ: qpdf --decrypt --password=MẬT_KHẨU vào.pdf"
            " ra.pdf) rồi chạy lại.",
            "the PDF is encrypted: remove the password (e.g. qpdf --decrypt --password=PASSWORD"
            " in.pdf out.pdf) and run again.",
        ) from exc
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise _bad(
            path,
            f"PDF bị hỏng, không mở được ({exc}); hãy xuất lại tệp PDF từ máy quét.",
            f"the PDF is broken and cannot be opened ({exc}); export it from the scanner again.",
        ) from exc


def _pdf_page_geometry(page: pikepdf.Page) -> tuple[float, float, int, bool]:
    """Page width and height in inches (as displayed), native image dpi (0 if none), greyscale."""
    box = [float(v) for v in page.mediabox]
    width_in, height_in = abs(box[2] - box[0]) / 72.0, abs(box[3] - box[1]) / 72.0
    if int(page.obj.get("/Rotate", 0)) % 180:
        width_in, height_in = height_in, width_in
    native, grey, seen = 0.0, True, False
    try:
        # get_images() (pikepdf 10.9+) also finds images wrapped in form XObjects.
        getter = getattr(page, "get_images", None)
        images = list((getter() if getter else page.images).values())
    except (pikepdf.PdfError, KeyError, TypeError, ValueError):
        images = []
    for raw in images:
        try:
            img = pikepdf.PdfImage(raw)
            px_w, px_h = img.width, img.height
            colorspace = str(img.colorspace or "")
            bits = img.bits_per_component
        except (pikepdf.PdfError, NotImplementedError, KeyError, TypeError, ValueError):
            continue
        seen = True
        if colorspace not in ("/DeviceGray", "/CalGray") and bits != 1:
            grey = False
        if width_in <= 0 or height_in <= 0:
            continue
        # Scanned pages place one image over the whole page; a sideways image still covers it.
        if (px_w > px_h) != (width_in > height_in):
            px_w, px_h = px_h, px_w
        native = max(native, px_w / width_in, px_h / height_in)
    return width_in, height_in, round(native), grey and seen


def _load_pdf_page(path: Path, frame: int, max_pixels: int) -> LoadedPage:
    with _open_pdf(path) as pdf:
        count = len(pdf.pages)
        if not 0 <= frame < count:
            raise _bad(
                path,
                f"không có trang này (tệp có {count} trang).",
                f"no such page (the file has {count}).",
                frame,
            )
        try:
            width_in, height_in, native, grey = _pdf_page_geometry(pdf.pages[frame])
        except (pikepdf.PdfError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise _bad(
                path,
                f"trang PDF bị hỏng ({exc}); hãy xuất lại tệp PDF từ máy quét.",
                f"the PDF page is broken ({exc}); export it from the scanner again.",
                frame,
            ) from exc
    dpi = max(MIN_PDF_DPI, native)
    width, height = round(width_in * dpi), round(height_in * dpi)
    if width * height > max_pixels:
        raise _bomb(path, frame, width, height, max_pixels)
    if width == 0 or height == 0:
        raise _bad(
            path,
            "trang PDF có kích thước bằng 0; hãy xuất lại tệp PDF từ máy quét.",
            "the PDF page has zero size; export it from the scanner again.",
            frame,
        )
    try:
        images = convert_from_path(
            path,
            dpi=dpi,
            first_page=frame + 1,
            last_page=frame + 1,
            grayscale=grey,
            timeout=PDF_RENDER_TIMEOUT_S,
        )
    except (PDFPageCountError, PDFSyntaxError, PDFPopplerTimeoutError, OSError, ValueError) as exc:
        raise _bad(
            path,
            f"không dựng được trang PDF thành ảnh ({exc}); hãy xuất lại tệp PDF từ máy quét.",
            f"the PDF page cannot be rendered ({exc}); export it from the scanner again.",
            frame,
        ) from exc
    if not images:
        raise _bad(
            path,
            "không dựng được trang PDF thành ảnh; hãy xuất lại tệp PDF từ máy quét.",
            "the PDF page cannot be rendered; export it from the scanner again.",
            frame,
        )
    return LoadedPage(image=images[0], dpi=dpi)
