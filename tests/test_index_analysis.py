"""Vietnamese analysis and snippets: the two forms of a word, tone placement, highlighting."""

from __future__ import annotations

import unicodedata

import pytest

from indexer.analysis import fold, forms, is_marked, keyword, place_tone, symbol_terms, tokens
from indexer.highlight import snippet, within_one_edit
from indexer.query import parse, positive_texts
from indexer.tantivy_backend import lanes


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hoà", "hòa"),
        ("uỷ", "ủy"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("hòan", "hoàn"),  # a closed syllable carries the tone on its last vowel
        ("tóan", "toán"),
    ],
)
def test_tone_placement_variants_are_one_exact_form(old: str, new: str) -> None:
    assert place_tone(old) == place_tone(new) == new


@pytest.mark.parametrize(
    "word",
    ["người", "quý", "quả", "giữ", "già", "gìn", "ngoài", "khuỷu", "thuyết", "đảng", "mật"],
)
def test_well_placed_tones_stay(word: str) -> None:
    assert place_tone(word) == word


def test_words_that_are_not_one_syllable_stay() -> None:
    assert place_tone("càphê") == "càphê"  # two vowel groups
    assert place_tone("ãá") == "ãá"  # two tone marks: OCR noise


def test_forms_exact_and_folded() -> None:
    assert forms("mật") == ("mật", "mat")
    assert forms("đảng") == ("đảng", "dang")
    assert forms("ðảng") == ("đảng", "dang")  # OCR's eth is Đ
    assert forms("2022") == ("2022", "2022")
    assert fold("ĐẢNG CỘNG SẢN") == "dang cong san"
    assert is_marked("Mật") and not is_marked("MAT")


def test_tokens_carry_offsets_into_the_original_text() -> None:
    text = "Số 10-ĐA/TU\nTỉnh uỷ"
    toks = tokens(text)
    assert [text[t.start : t.end] for t in toks] == ["Số", "10", "ĐA", "TU", "Tỉnh", "uỷ"]
    assert [t.exact for t in toks] == ["số", "10", "đa", "tu", "tỉnh", "ủy"]
    assert [t.folded for t in toks] == ["so", "10", "da", "tu", "tinh", "uy"]


def test_decomposed_input_is_normalized() -> None:
    decomposed = unicodedata.normalize("NFD", "Tỉnh uỷ")
    assert [t.exact for t in tokens(unicodedata.normalize("NFC", decomposed))] == ["tỉnh", "ủy"]
    assert lanes(decomposed) == lanes("Tỉnh uỷ") == "tỉnh tinh ủy uy"


def test_lanes_interleave_exact_and_folded() -> None:
    assert lanes("Tài liệu MAT 2022") == "tài tai liệu lieu · mat · 2022"


def test_symbols_and_keywords() -> None:
    assert symbol_terms("Số 05-ĐA/TU") == ["so", "5", "da", "tu"]
    assert symbol_terms("15/QĐ-BNV") == ["15", "qd", "bnv"]
    assert keyword(" Tối  mật ") == ("tối mật", "toi mat")


def test_edit_distance_one() -> None:
    assert within_one_edit("nghiep", "ngiep")
    assert within_one_edit("mat", "mot")
    assert within_one_edit("mat", "mats")
    assert not within_one_edit("mat", "tam")
    assert not within_one_edit("nghiep", "ngiap")


def _snippet(text: str, query: str, width: int = 240) -> str:
    return snippet(text, positive_texts(parse(query)), width)


def test_snippet_keeps_original_spelling_and_joins_lines() -> None:
    text = "Về việc quản lý tài liệu\nMẬT của Tỉnh uỷ"
    assert _snippet(text, '"tai lieu mật"') == "Về việc quản lý [[tài liệu MẬT]] của Tỉnh uỷ"
    assert _snippet(text, "tỉnh ủy") == "Về việc quản lý tài liệu MẬT của [[Tỉnh uỷ]]"
    assert _snippet(text, "~lieo") == "Về việc quản lý tài [[liệu]] MẬT của Tỉnh uỷ"


def test_snippet_shows_the_densest_window_cut_at_words() -> None:
    filler = "chữ đệm " * 60
    text = f"{filler}mật một lần {filler}mật hai lần mật ba lần {filler}"
    out = _snippet(text, "mật", width=80)
    assert out.startswith("…") and out.endswith("…")
    assert out.count("[[mật]]") == 2  # the two close together, not the lone first one
    assert "hai lần" in out
    assert len(out) < 110
    assert "chữ đệm" in out and " đ…" not in out and "…ệm" not in out


def test_snippet_of_a_page_without_match_is_its_start() -> None:
    assert _snippet("Một hai ba bốn năm", "mười", width=10) == "Một hai ba…"
