"""The PDF/A-2b archival copy: scan images as delivered, stored words as the text layer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import img2pdf
import pikepdf
import pytest
from PIL import Image

from ocr import engine
from ocr.page import ocr_page
from ocr.pdfa import write_pdfa
from scripts.synth import cer, degrade, render_page

LINES = [
    "TỈNH ỦY BẮC GIANG                    ĐẢNG CỘNG SẢN VIỆT NAM",
    "Số 10-ĐA/TU                 Bắc Giang, ngày 28 tháng 01 năm 2022",
    "ĐỀ ÁN",
    "Về việc nâng cao chất lượng sinh hoạt chi bộ trong toàn Đảng bộ tỉnh",
    "Thực hiện Nghị quyết của Ban Chấp hành Trung ương về xây dựng Đảng,",
    "Ban Thường vụ Tỉnh ủy ban hành Đề án với những nội dung chủ yếu sau đây.",
    "Các cấp ủy, tổ chức đảng quán triệt, triển khai thực hiện nghiêm túc;",
    "định kỳ sơ kết, tổng kết, báo cáo kết quả về Ban Thường vụ Tỉnh ủy.",
    "T/M BAN THƯỜNG VỤ",
    "PHÓ BÍ THƯ",
]


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, int]]:
    """A PNG, a colour JPEG fed upside down and skewed, a G4 TIFF frame and a PDF page."""
    folder = tmp_path_factory.mktemp("scans")
    page = render_page(LINES)
    png = folder / "trang.png"
    page.save(png, dpi=(300, 300))
    jpeg = folder / "xoay.jpg"
    degrade(page, seed=1, rotate=180, skew_deg=3, red_seal=True).save(
        jpeg, quality=85, dpi=(300, 300)
    )
    tif = folder / "hop.tif"
    blank = Image.new("1", (600, 800), 1)
    blank.save(tif, save_all=True, append_images=[page.convert("1")], compression="group4",
               dpi=(300, 300))  # fmt: skip
    pdf = folder / "quet.pdf"
    pdf.write_bytes(img2pdf.convert(str(png)))
    return [(png, 0), (jpeg, 0), (tif, 1), (pdf, 0)]


@pytest.fixture(scope="module")
def stored(scans: list[tuple[Path, int]]):
    return [(path, frame, ocr_page(path, frame)) for path, frame in scans]


@pytest.fixture(scope="module")
def archival(stored, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "van-ban.pdf"
    return write_pdfa(
        stored,
        out,
        {"title": "Đề án số 10-ĐA/TU", "author": "Tỉnh ủy Bắc Giang", "keywords": "chi bộ"},
    )


def _pdftotext(path: Path, *options: str) -> list[str]:
    done = subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout.split("\f")[:-1]


def test_text_layer_gives_the_stored_text(stored, archival: Path):
    # The default mode reads the two-column rows column by column, as sohoa stores the text
    # (ocr/reading_order.py); -layout reads them straight across, so there only the words are
    # compared.
    laid_out, plain = _pdftotext(archival, "-layout"), _pdftotext(archival)
    assert len(laid_out) == len(plain) == 4
    for (_, _, result), text, words in zip(stored, plain, laid_out, strict=True):
        assert "Bắc Giang" in result.text and "ĐỀ ÁN" in result.text
        assert cer(result.text, text) == 0, text
        assert sorted(words.split()) == sorted(result.text.split())


def test_declares_pdfa_2b_with_vietnamese_metadata(archival: Path):
    with pikepdf.open(archival) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"
        assert meta["dc:title"] == "Đề án số 10-ĐA/TU"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
    info = subprocess.run(["pdfinfo", str(archival)], capture_output=True, text=True).stdout
    assert "Tỉnh ủy Bắc Giang" in info


def test_scan_images_are_kept_as_delivered(scans, archival: Path):
    with pikepdf.open(archival) as pdf:
        images = [next(iter(p.get_images().values())) for p in pdf.pages]
        jpeg_path = scans[1][0]
        # The JPEG goes in byte for byte, colour kept: no second lossy compression.
        filters = [pikepdf.Array([i.Filter]) if isinstance(i.Filter, pikepdf.Name) else i.Filter
                   for i in images]  # fmt: skip
        assert list(filters[1]) == ["/DCTDecode"]
        assert images[1].read_raw_bytes() == jpeg_path.read_bytes()
        assert images[1].ColorSpace == "/DeviceRGB"
        # The bilevel TIFF frame stays bilevel G4.
        assert list(filters[2]) == ["/CCITTFaxDecode"]
        with Image.open(scans[0][0]) as png:
            assert (int(images[2].Width), int(images[2].Height)) == png.size


def test_pages_are_shown_upright_at_scan_size(archival: Path):
    with pikepdf.open(archival) as pdf:
        sizes = [tuple(round(float(v)) for v in p.mediabox[2:]) for p in pdf.pages]
    a4 = (595, 842)
    assert sizes[0] == a4 and sizes[2] == a4 and sizes[3] == a4
    # The skewed scan is shown level, on a canvas large enough for its corners.
    assert sizes[1][0] > a4[0] and sizes[1][1] > a4[1]


def test_no_ocr_runs_when_writing(stored, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def refuse(*args, **kwargs):
        raise AssertionError("write_pdfa ran OCR")

    monkeypatch.setattr(engine.CliEngine, "recognize", refuse)
    monkeypatch.setattr(engine, "run_tesseract", refuse)
    if "tesserocr" in engine.available_engines():
        monkeypatch.setattr(engine.TesserocrEngine, "recognize", refuse)
    assert write_pdfa(stored[:1], tmp_path / "a.pdf").stat().st_size > 0


def test_unknown_metadata_is_refused(stored, tmp_path: Path):
    with pytest.raises(ValueError, match="unknown PDF/A metadata"):
        write_pdfa(stored[:1], tmp_path / "a.pdf", {"tieu_de": "x"})
