"""Tests of the synthetic scan generator and of the committed demo batch it made."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pypdfium2
import pytesseract
import pytest
from PIL import Image

from ocr.reading_order import by_columns
from ocr.tesseract import run_tesseract
from scripts.make_samples import SAMPLES
from scripts.synth import (
    cer,
    corpus_page_text,
    degrade,
    page_text,
    party_document,
    render_page,
    state_document,
    wer,
)

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
TRUTH = sorted((SAMPLES_DIR / "truth").glob("*.json"))


def _truth(name: str) -> dict:
    return json.loads((SAMPLES_DIR / "truth" / f"{name}.json").read_text("utf-8"))


def test_documents_are_deterministic_in_the_seed() -> None:
    a = party_document(7, pages=2)
    b = party_document(7, pages=2)
    assert a == b
    assert [page_text(p) for p in a.pages] == [page_text(p) for p in b.pages]
    assert party_document(8, pages=2) != a
    assert state_document(3) == state_document(3)


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_documents_have_exactly_the_pages_asked_for(pages: int) -> None:
    for seed in range(4):
        assert len(party_document(seed, pages=pages).pages) == pages
        assert len(state_document(seed, pages=pages).pages) == pages
        assert party_document(seed, pages=pages).metadata["so_trang"] == pages


def test_party_metadata_is_what_the_page_prints() -> None:
    doc = party_document(
        1, kind="ĐA", body="UBKTTU", number=10, province="Bắc Giang", do_mat="mật", do_khan="Khẩn"
    )
    meta = doc.metadata
    first, last = page_text(doc.pages[0]), page_text(doc.pages[-1])
    assert meta["so_ky_hieu"] == "10-ĐA/UBKTTU" and meta["so"] == 10
    assert meta["ky_hieu"] == "ĐA/UBKTTU" and meta["loai"] == "Đề án"
    assert meta["co_quan_ban_hanh"] == "Ủy ban Kiểm tra Tỉnh ủy Bắc Giang"
    assert meta["co_quan_cap_tren"] == "Tỉnh ủy Bắc Giang"
    assert (meta["do_mat"], meta["do_khan"]) == ("Mật", "Khẩn")
    # Read column by column (ocr/reading_order.py): the left header column, then the right.
    assert first.startswith(
        "TỈNH ỦY BẮC GIANG\nỦY BAN KIỂM TRA\n*\nSố 10-ĐA/UBKTTU\nĐẢNG CỘNG SẢN VIỆT NAM\n"
    )
    year, month, day = (int(x) for x in meta["ngay_ban_hanh"].split("-"))
    printed_month = f"{month:02d}" if month < 3 else str(month)  # "tháng 01", "tháng 7"
    assert f"\nBắc Giang, ngày {day:02d} tháng {printed_month} năm {year}\n" in first
    assert "\nMẬT\nKHẨN\n" in first and "\nĐỀ ÁN\n" in first
    assert " ".join(meta["trich_yeu"].split()) in " ".join(first.split())
    assert meta["nguoi_ky"] in last and meta["chuc_vu"].upper() in last
    assert all(item in last for item in meta["noi_nhan"])
    assert "./." in last


def test_state_metadata_is_what_the_page_prints() -> None:
    doc = state_document(5, kind="QĐ", body="UBND", number=15, province="Bắc Giang")
    text = page_text(doc.pages[0])
    assert doc.metadata["so_ky_hieu"] == "15/QĐ-UBND"
    assert doc.metadata["co_quan_ban_hanh"] == "Ủy ban nhân dân tỉnh Bắc Giang"
    assert text.startswith("ỦY BAN NHÂN DÂN\nTỈNH BẮC GIANG\nSố: 15/QĐ-UBND\nCỘNG HÒA XÃ HỘI")
    assert "\nBắc Giang, ngày " in text
    assert doc.metadata["quyen_han_ky"] in ("TM.", "KT.")


def test_bad_arguments_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="do_mat must be one of Mật, Tối mật"):
        party_document(1, do_mat="Tuyệt đối")
    with pytest.raises(ValueError, match="unknown Party type 'XX'"):
        party_document(1, kind="XX")
    with pytest.raises(ValueError, match="pages must be at least 1"):
        state_document(1, pages=0)


def test_text_is_nfc_vietnamese_with_tone_marks() -> None:
    text = "\n".join(page_text(p) for p in party_document(3, pages=2).pages)
    assert unicodedata.normalize("NFC", text) == text
    assert all(letter in text for letter in "Đđệởựầ")


def test_render_page_is_a4_greyscale_with_ink() -> None:
    page = party_document(2).pages[0]
    img = render_page(page)
    assert (img.mode, img.size, img.info["dpi"]) == ("L", (2480, 3508), (300, 300))
    ink = np.asarray(img) < 128
    assert 0.01 < ink.mean() < 0.2  # text, not an empty or black page
    assert ink[: 300 * 20 // 25].sum() == 0  # the 20 mm top margin stays blank
    small = render_page(page, dpi=150)
    assert small.size == (1240, 1754) and small.info["dpi"] == (150, 150)
    assert np.asarray(render_page(["Nơi nhận:", "- Lưu VT."])).min() == 0


def test_degrade_is_deterministic_and_does_what_it_says() -> None:
    img = render_page(party_document(2).pages[0], dpi=100)
    a = degrade(img, seed=4, skew_deg=1, blur=0.6, noise=5, jpeg_quality=60, speckle=0.001)
    b = degrade(img, seed=4, skew_deg=1, blur=0.6, noise=5, jpeg_quality=60, speckle=0.001)
    assert a.tobytes() == b.tobytes() and a.mode == "L" and a.size == img.size
    assert a.tobytes() != img.tobytes()
    turned = degrade(img, seed=1, rotate=90)
    assert turned.size == (img.height, img.width)
    assert degrade(img, seed=1, red_seal=True).mode == "RGB"
    resampled = degrade(img, seed=1, dpi=50)
    assert resampled.size == (round(img.width / 2), round(img.height / 2))
    assert resampled.info["dpi"] == (50, 50)
    with pytest.raises(ValueError, match="multiple of 90"):
        degrade(img, seed=1, rotate=45)


def test_cer_and_wer() -> None:
    assert cer("abc", "abd") == pytest.approx(1 / 3)
    assert cer("Tỉnh  ủy\nBắc Giang", "Tỉnh ủy Bắc Giang") == 0.0
    decomposed = unicodedata.normalize("NFD", "Đảng ủy")
    assert cer("Đảng ủy", decomposed) == 0.0
    assert cer("Đảng", "Dảng") == pytest.approx(1 / 4)
    assert wer("một hai ba", "một hai bốn") == pytest.approx(1 / 3)
    assert wer("một hai ba", "một ba") == pytest.approx(1 / 3)
    assert (cer("", ""), cer("", "x"), wer("", "")) == (0.0, 1.0, 0.0)


def test_corpus_page_text() -> None:
    text = corpus_page_text(9, 300)
    assert len(text.split()) == 300
    assert text == corpus_page_text(9, 300) != corpus_page_text(10, 300)
    assert "đảng" in text.lower() or "ủy ban" in text.lower()


def _page_count(path: Path) -> int:
    if path.suffix == ".pdf":
        pdf = pypdfium2.PdfDocument(path)
        try:
            return len(pdf)
        finally:
            pdf.close()
    with Image.open(path) as img:
        return getattr(img, "n_frames", 1)


def test_every_batch_file_has_truth_with_its_page_count() -> None:
    batch = sorted(p.name for p in (SAMPLES_DIR / "batch").iterdir())
    assert batch == sorted(p.name.removesuffix(".json") for p in TRUTH)
    assert batch == sorted(s.file for s in SAMPLES)
    total = 0
    for name in batch:
        path = SAMPLES_DIR / "batch" / name
        truth = _truth(name)
        assert truth["file"] == name
        assert [p["source_page"] for p in truth["pages"]] == list(range(1, _page_count(path) + 1))
        assert truth["metadata"]["so_trang"] == len(truth["pages"])
        total += path.stat().st_size
    assert total < 3_000_000


def test_batch_files_are_what_the_readme_promises() -> None:
    with Image.open(SAMPLES_DIR / "batch" / "01-de-an-10-DA-TU.tif") as tif:
        assert (tif.mode, tif.info["compression"], getattr(tif, "n_frames", 1)) == (
            "1",
            "group4",
            2,
        )
        assert tif.info["dpi"] == (300, 300)
    pdf = pypdfium2.PdfDocument(SAMPLES_DIR / "batch" / "04-bao-cao-mat.pdf")
    try:
        assert all(page.get_textpage().get_text_range() == "" for page in pdf)  # image only
        assert pdf[0].get_size()[0] == pytest.approx(2480 * 72 / 300, abs=1)  # 300 dpi
    finally:
        pdf.close()
    assert _truth("04-bao-cao-mat.pdf")["metadata"]["do_mat"] == "Mật"


def test_committed_truth_is_what_the_generator_makes_now() -> None:
    # A change to synth.py that changes the samples must regenerate them (make_samples.py).
    for sample in SAMPLES:
        doc = sample.document()
        truth = _truth(sample.file)
        assert truth["metadata"] == json.loads(json.dumps(doc.metadata, ensure_ascii=False))
        assert [p["text"] for p in truth["pages"]] == [page_text(p) for p in doc.pages]


def test_tesseract_reads_the_sample_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("tesseract") is None or "vie" not in pytesseract.get_languages():
        pytest.fail("Tesseract with Vietnamese is needed: apt-get install tesseract-ocr-vie")
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    for name, limit in (
        ("03-ke-hoach-45-KH-HU.png", 0.01),
        ("02-thong-bao-24-TB-UBKTTU.jpg", 0.02),
    ):
        truth = _truth(name)["pages"][0]
        assert truth["degraded"] == (limit > 0.01)
        with Image.open(SAMPLES_DIR / "batch" / name) as img:
            text, words = run_tesseract(np.asarray(img.convert("L")), dpi=300, psm=3)
        text = by_columns(text, words)[0]  # the truth is in column reading order
        assert cer(truth["text"], text) <= limit, (name, cer(truth["text"], text))
