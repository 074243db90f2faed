"""Look-alike normalization and syllable well-formedness on Vietnamese text."""

from __future__ import annotations

import unicodedata

import pytest

from ocr.quality import assess
from ocr.syllable import is_syllable, well_formed_share
from ocr.textnorm import normalize_text
from ocr.types import Word

CORRECT = (
    "ĐẢNG CỘNG SẢN VIỆT NAM\nTỈNH ỦY BẮC GIANG\nSố 10-ĐA/TU\n"
    "Bắc Giang, ngày 28 tháng 01 năm 2022\n"
    "Ban Thường vụ Tỉnh ủy quyết định thành lập Đoàn kiểm tra; giữa những người khuya "
    "quyền gì giếng nghiêng quốc phòng thuở hoạch khuỷu ngoằn ngoèo uỷ hoà hòa ủy. "
    "T/M BAN THƯỜNG VỤ, K/T BÍ THƯ. Škoda, Müller, Øresund (tên riêng nước ngoài)."
)


def test_correct_text_is_untouched():
    assert normalize_text(CORRECT) == CORRECT


def test_output_is_nfc():
    decomposed = unicodedata.normalize("NFD", "Nghị quyết của Đảng ủy")
    assert decomposed != "Nghị quyết của Đảng ủy"
    assert normalize_text(decomposed) == "Nghị quyết của Đảng ủy"


def test_eth_becomes_d_with_stroke():
    assert normalize_text("\u00d0ẢNG ỦY \u00d0ảng \u00f0ồng chí") == "ĐẢNG ỦY Đảng đồng chí"
    assert "\u0110" in normalize_text("\u00d0")


@pytest.mark.parametrize(
    ("ocr", "fixed"),
    [
        ("Phöng lưu trữ", "Phông lưu trữ"),
        ("Bøi vì", "Bơi vì"),
        ("nhäm", "nhăm"),
        ("Mÿ Tho", "Mỹ Tho"),
        ("NGUYỄN VÄN A", "NGUYỄN VĂN A"),
    ],
)
def test_stray_letters_where_a_vietnamese_letter_fits(ocr: str, fixed: str):
    assert normalize_text(ocr) == fixed


def test_stray_letters_left_where_nothing_fits():
    # No Vietnamese letter makes these syllables: leave them for a person to see.
    assert normalize_text("Bäc") == "Bäc"
    assert normalize_text("Štrbské") == "Štrbské"


@pytest.mark.parametrize(
    "word",
    [
        "Đảng",
        "quyết",
        "nghiêng",
        "giếng",
        "gì",
        "khuya",
        "khuỷu",
        "ngoằn",
        "quỹ",
        "ĐẢNG",
        "uỷ",
        "ủy",
        "thuở",
        "yêu",
        "hoà",
        "hòa",
        "kĩ",
        "kỹ",
    ],
)
def test_well_formed_syllables(word: str):
    assert is_syllable(word)


@pytest.mark.parametrize(
    "word",
    ["nghành", "ka", "ci", "ghà", "bắcc", "bac", "thàp", "qa", "xyz", "ĐảNG", "iên", "bảcz"],
)
def test_ill_formed_syllables(word: str):
    assert not is_syllable(word)


def test_share_ignores_numbers_symbols_and_abbreviations():
    share, checked = well_formed_share(["Số", "10-ĐA/TU", "QĐ", "T/M", "2022", "(", "Đảng", "ủy."])
    assert checked == 3
    assert share == 1.0


def _words(texts: list[str], conf: float = 95.0) -> list[Word]:
    return [Word(t, i * 10, 0, 9, 9, conf, 0) for i, t in enumerate(texts)]


def test_quality_flags():
    good = assess(_words(CORRECT.split("Škoda")[0].split()))
    assert not good.needs_review and good.well_formed > 0.95
    low = assess(_words(CORRECT.split(), conf=40))
    assert low.reasons == ("low_confidence",)
    garbage = assess(_words(["ñuổ", "Jjq", "eaù", "Wvv", "oạq"] * 10))
    assert "ill_formed_syllables" in garbage.reasons
    assert assess(_words(["|", "—"])).reasons == ("empty_page",)


def test_slash_look_alikes_become_a_slash():
    # Tesseract writes U+2044 for "/" ("V⁄v nâng cao"): a phrase search for "V/v" needs "/".
    assert normalize_text("V\u2044v nâng cao chất lượng") == "V/v nâng cao chất lượng"
    assert normalize_text("Số 10-ĐA\u2215TU") == "Số 10-ĐA/TU"
