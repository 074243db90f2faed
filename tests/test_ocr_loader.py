"""Loading scans page by page: kinds by magic bytes, TIFF frames, PDF pages, every bad input."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import img2pdf
import pikepdf
import pytest
from PIL import Image

from ocr.loader import inspect_scan, load_page
from sohoa.errors import InputError
from tests.conftest import render_lines

LINES = ["Đảng bộ tỉnh Bắc Giang", "Số 10-ĐA/TU"]


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_lines(LINES, size_pt=10)


def _g4_tiff(path: Path, frames: list[Image.Image]) -> Path:
    bilevel = [f.convert("1") for f in frames]
    bilevel[0].save(
        path, save_all=True, append_images=bilevel[1:], compression="group4", dpi=(300, 300)
    )
    return path


def _image_pdf(path: Path, img: Image.Image, dpi: int) -> Path:
    png = path.with_suffix(".png")
    img.save(png, dpi=(dpi, dpi))
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    path.write_bytes(img2pdf.convert(str(png), layout_fun=layout))
    png.unlink()
    return path


def _message(exc: pytest.ExceptionInfo[InputError]) -> str:
    return exc.value.vi + " | " + exc.value.en


# ---- kinds and pages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "kind"),
    [("a.png", "PNG", "png"), ("a.jpg", "JPEG", "jpeg"), ("a.tif", "TIFF", "tiff")],
)
def test_single_image_kinds(tmp_path: Path, page: Image.Image, name: str, fmt: str, kind: str):
    path = tmp_path / name
    page.save(path, format=fmt, dpi=(300, 300))
    assert inspect_scan(path).kind == kind
    assert inspect_scan(path).pages == 1
    loaded = load_page(path, 0)
    assert loaded.image.size == page.size
    assert loaded.dpi == 300


def test_kind_comes_from_content_not_name(tmp_path: Path, page: Image.Image):
    path = tmp_path / "scan.tif"  # a PNG with the wrong suffix is still a PNG
    page.save(path, format="PNG")
    assert inspect_scan(path).kind == "png"


def test_multiframe_g4_tiff_loads_one_frame(tmp_path: Path, page: Image.Image):
    small = page.crop((0, 0, page.width // 2, page.height))
    path = _g4_tiff(tmp_path / "hop.tif", [page, small, page.rotate(180)])
    assert inspect_scan(path) == inspect_scan(path)  # cheap and repeatable
    assert inspect_scan(path).pages == 3
    second = load_page(path, 1)
    assert second.image.mode == "1"
    assert second.image.size == small.size
    assert second.dpi == 300


def test_pdf_page_at_native_resolution(tmp_path: Path, page: Image.Image):
    path = _image_pdf(tmp_path / "a.pdf", page, 400)
    assert inspect_scan(path).kind == "pdf"
    loaded = load_page(path, 0)
    assert loaded.dpi == 400
    assert abs(loaded.image.width - page.width) <= 1


def test_pdf_page_never_under_300_dpi(tmp_path: Path, page: Image.Image):
    low = page.resize((page.width // 2, page.height // 2))
    loaded = load_page(_image_pdf(tmp_path / "a.pdf", low, 150), 0)
    assert loaded.dpi == 300
    assert abs(loaded.image.width - low.width * 2) <= 1


def test_multipage_pdf_second_page(tmp_path: Path, page: Image.Image):
    first, second = page, page.crop((0, 0, page.width // 2, page.height))
    pngs = []
    for i, img in enumerate((first, second)):
        pngs.append(str(tmp_path / f"p{i}.png"))
        img.save(pngs[-1], dpi=(300, 300))
    path = tmp_path / "two.pdf"
    path.write_bytes(img2pdf.convert(pngs))
    assert inspect_scan(path).pages == 2
    assert abs(load_page(path, 1).image.width - second.width) <= 1


# ---- bad input -------------------------------------------------------------------------------


def test_zero_byte_file(tmp_path: Path):
    path = tmp_path / "trong.tif"
    path.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        inspect_scan(path)
    assert "trong.tif" in exc.value.vi
    assert "tệp rỗng" in exc.value.vi
    assert "empty" in exc.value.en


def test_text_file_named_tif(tmp_path: Path):
    path = tmp_path / "ghi-chu.tif"
    path.write_text("Đây là ghi chú, không phải ảnh.\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_page(path, 0)
    assert "ghi-chu.tif" in exc.value.vi
    assert "không phải ảnh TIFF" in exc.value.vi
    assert "not a TIFF" in exc.value.en


def test_unsupported_type(tmp_path: Path, page: Image.Image):
    path = tmp_path / "scan.bmp"
    page.save(path, format="BMP")
    with pytest.raises(InputError) as exc:
        inspect_scan(path)
    assert "không phải loại tệp được hỗ trợ" in exc.value.vi
    assert "scan.bmp" in exc.value.en


@pytest.mark.parametrize(("name", "fmt"), [("a.png", "PNG"), ("a.jpg", "JPEG"), ("a.tif", "TIFF")])
def test_truncated_image(tmp_path: Path, page: Image.Image, name: str, fmt: str):
    path = tmp_path / name
    page.save(path, format=fmt, dpi=(300, 300))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as exc:
        inspect_scan(path)
        load_page(path, 0)
    assert name in exc.value.vi
    assert "không đầy đủ" in exc.value.vi


def test_truncated_multipage_tiff_keeps_good_frames(tmp_path: Path, page: Image.Image):
    path = tmp_path / "hop.tif"
    frames = [page, page.rotate(180), page]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(300, 300))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])  # cut inside the last frame's pixels
    pages = inspect_scan(path).pages
    assert load_page(path, 0).image.size == page.size
    with pytest.raises(InputError) as exc:
        for frame in range(pages):
            load_page(path, frame)
    assert "hop.tif, trang" in exc.value.vi


def test_broken_pdf(tmp_path: Path):
    path = tmp_path / "hong.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nthis is not a pdf\n")
    with pytest.raises(InputError) as exc:
        inspect_scan(path)
    assert "hong.pdf" in exc.value.vi
    assert "PDF bị hỏng" in exc.value.vi


def test_encrypted_pdf(tmp_path: Path, page: Image.Image):
    plain = _image_pdf(tmp_path / "plain.pdf", page, 300)
    path = tmp_path / "mat.pdf"
    with pikepdf.open(plain) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="bimat", owner="bimat"))
    for call in (lambda: inspect_scan(path), lambda: load_page(path, 0)):
        with pytest.raises(InputError) as exc:
            call()
        assert "mat.pdf" in exc.value.vi
        assert "PDF được mã hoá: hãy gỡ mật khẩu" in exc.value.vi
        assert "rồi chạy lại" in exc.value.vi
        assert "encrypted" in exc.value.en


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that declares a huge size but holds almost no data: decoding it would need
    width*height bytes, so the loader must refuse it from the header alone."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def test_image_decompression_bomb(tmp_path: Path):
    path = _png_header_only(tmp_path / "bom.png", 12_000, 12_500)
    assert inspect_scan(path).pages == 1  # the header is fine; only decoding is refused
    with pytest.raises(InputError) as exc:
        load_page(path, 0)
    assert "bom.png" in exc.value.vi
    assert "quá lớn" in exc.value.vi
    assert "150 Mpx" in exc.value.vi


def test_huge_image_bomb(tmp_path: Path):
    path = _png_header_only(tmp_path / "bom.png", 60_000, 60_000)
    with pytest.raises(InputError) as exc:
        inspect_scan(path)
        load_page(path, 0)
    assert "bom.png" in exc.value.vi
    assert "quá lớn" in exc.value.vi


def test_max_pixels_is_a_parameter(tmp_path: Path, page: Image.Image):
    path = tmp_path / "a.png"
    page.save(path)
    with pytest.raises(InputError, match="too large"):
        load_page(path, 0, max_pixels=page.width * page.height - 1)
    assert load_page(path, 0, max_pixels=page.width * page.height).image.size == page.size


def test_pdf_page_bomb_from_mediabox(tmp_path: Path):
    path = tmp_path / "khong-lo.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200 * 72, 200 * 72))  # 200 x 200 inches
    pdf.save(path)
    with pytest.raises(InputError) as exc:
        load_page(path, 0)
    assert "khong-lo.pdf, trang 1" in exc.value.vi
    assert "quá lớn" in exc.value.vi


def test_page_out_of_range(tmp_path: Path, page: Image.Image):
    path = _g4_tiff(tmp_path / "a.tif", [page, page])
    with pytest.raises(InputError) as exc:
        load_page(path, 5)
    assert "a.tif, trang 6" in exc.value.vi
    assert "2 trang" in exc.value.vi
