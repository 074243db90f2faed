"""Text layers: trusted born-digital pages, legacy encodings, garbage layers, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr import legacy_encoding
from ocr.page import ocr_page
from ocr.textlayer import is_text_layer, read_text_layer
from scripts import born_digital as bd
from scripts.synth import cer

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


def test_vietnamese_text_layer_is_read_with_boxes(tmp_path: Path) -> None:
    texts = bd.page_texts(2)
    pdf = bd.vietnamese_pdf(tmp_path / "vn.pdf", texts)
    layer = read_text_layer(pdf, 0)
    assert layer.verdict.trusted and layer.verdict.reason == "text_layer"
    result = layer.result
    assert result is not None and is_text_layer(result.engine)
    assert cer(texts[0], result.text) < 0.01
    assert not result.needs_review and result.ocr_seconds == 0.0
    # A4 at 300 dpi, every word inside the page, lines in reading order.
    assert (result.width, result.height) == (2480, 3508)
    assert all(0 <= w.left < result.width and 0 <= w.top < result.height for w in result.words)
    first = result.words[0]
    assert first.text == "ỦY" and first.line == 0 and first.top < 400
    assert [w.line for w in result.words] == sorted(w.line for w in result.words)
    # ocr_page takes the same way, without Tesseract.
    page2 = ocr_page(pdf, 1)
    assert is_text_layer(page2.engine) and cer(texts[1], page2.text) < 0.01


@pytest.mark.parametrize("font", [".VnTime", "ABCDEF+.VnTimeH", None])
def test_tcvn3_text_layer_is_decoded(tmp_path: Path, font: str | None) -> None:
    pdf = bd.legacy_pdf(tmp_path / "tcvn3.pdf", bd.TCVN3_HEADER, font_name=font)
    layer = read_text_layer(pdf, 0)
    assert layer.verdict.trusted and layer.verdict.encoding == "tcvn3"
    assert layer.result is not None
    lines = layer.result.text.splitlines()
    expected = [t.upper() if font and font.endswith("H") else t for t in bd.TCVN3_DECODED]
    assert lines[: len(expected)] == expected


def test_vni_decoding() -> None:
    assert legacy_encoding.decode("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni") == (
        "Cộng hòa xã hội chủ nghĩa Việt Nam"
    )
    assert legacy_encoding.decode("Ñoäc laäp - Töï do - Haïnh phuùc", "vni") == (
        "Độc lập - Tự do - Hạnh phúc"
    )
    assert legacy_encoding.encoding_of_font("VNI-Times") == "vni"
    assert legacy_encoding.encoding_of_font("XYZABC+.VnArialH") == "tcvn3"
    assert legacy_encoding.encoding_of_font("TimesNewRomanPSMT") == "unicode"
    text = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam ñoäc laäp töï do haïnh phuùc"
    assert legacy_encoding.guess(text) == "vni"
    assert legacy_encoding.guess("Cộng hòa xã hội chủ nghĩa Việt Nam độc lập tự do") == "unicode"


@pytest.mark.parametrize("invisible", [True, False])
def test_garbage_layer_over_a_scan_is_not_trusted(tmp_path: Path, invisible: bool) -> None:
    pdf = bd.scan_with_layer(tmp_path / "garbage.pdf", bd.GARBAGE * 3, invisible=invisible)
    layer = read_text_layer(pdf, 0)
    assert not layer.verdict.trusted and layer.verdict.reason == "ill_formed"
    assert layer.result is None


def test_hidden_ocr_of_another_tool_is_read_again(tmp_path: Path) -> None:
    pdf = bd.scan_with_layer(tmp_path / "ocr.pdf", bd.page_texts(1)[0], invisible=True)
    layer = read_text_layer(pdf, 0)
    assert not layer.verdict.trusted and layer.verdict.reason == "hidden_ocr"


def test_real_files() -> None:
    born = REAL / "pdfs" / "qngai_05.signed.pdf"
    layer = read_text_layer(born, 0)
    assert layer.verdict.trusted and layer.result is not None
    # The number and the day the signing system stamped as annotations join their line.
    assert "Số: 11 /TB-UBND Quảng Ngãi, ngày 08 tháng 01 năm 2025" in layer.result.text
    garbage = read_text_layer(REAL / "scans" / "danang_vietadmin_data_1.pdf", 0)
    assert garbage.verdict.reason == "ill_formed"
    stamped = read_text_layer(REAL / "scans" / "qngai_02_04_QD_138.signed.pdf", 0)
    assert stamped.verdict.reason == "stamp_only"
    bare = read_text_layer(REAL / "scans" / "bgddt_test_1.pdf", 0)
    assert bare.verdict.reason == "no_text"


def test_a_layer_that_does_not_decode_is_ocred_and_reviewed(tmp_path: Path) -> None:
    lines = ["Xqzt wvkk prr jjq zzkw", "Bffq xxv kwq zqq vvbn tt", "Qrrs zzpt wkkv xqqb"]
    pdf = bd.legacy_pdf(tmp_path / "vntime.pdf", lines * 3, font_name=".VnTime")
    layer = read_text_layer(pdf, 0)
    assert not layer.verdict.trusted and layer.verdict.reason == "ill_formed"
    assert layer.verdict.encoding == "tcvn3"
    result = ocr_page(pdf, 0)
    assert not is_text_layer(result.engine)
    assert result.needs_review and "text_layer_unusable" in result.review_reasons


def test_a_unicode_layer_in_a_font_named_like_tcvn3_stays_unicode(tmp_path: Path) -> None:
    import pikepdf

    texts = bd.page_texts(1, seed=5)
    src = bd.vietnamese_pdf(tmp_path / "src.pdf", texts)
    renamed = tmp_path / "renamed.pdf"
    with pikepdf.open(src) as pdf:
        for font in pdf.pages[0].Resources.Font.values():
            font.BaseFont = pikepdf.Name("/.VnTime")
        pdf.save(renamed)
    layer = read_text_layer(renamed, 0)
    assert layer.verdict.trusted and layer.verdict.encoding == "unicode"
    assert layer.result is not None and cer(texts[0], layer.result.text) < 0.01


def test_a_mixed_pdf_gets_both(tmp_path: Path) -> None:
    import pikepdf

    born = bd.vietnamese_pdf(tmp_path / "born.pdf", bd.page_texts(1, seed=9))
    scan = bd.scan_with_layer(tmp_path / "scan.pdf", "", invisible=True)
    mixed = tmp_path / "mixed.pdf"
    with pikepdf.open(born) as a, pikepdf.open(scan) as b:
        a.pages.extend(b.pages)
        a.save(mixed)
    assert read_text_layer(mixed, 0).verdict.trusted
    assert read_text_layer(mixed, 1).verdict.reason == "no_text"
    assert not is_text_layer(ocr_page(mixed, 1).engine)
