"""Cleanup on synthetic scans: orientation, deskew, borders, holes, speckle, seals, upsampling."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr import artifacts, geometry
from ocr.cleanup import CleanupOptions, prepare
from ocr.page import ocr_page
from ocr.quality import assess
from ocr.tesseract import parse_tsv, run_tesseract
from scripts.synth import cer, degrade, page_text, party_document, render_page
from tests.conftest import render_lines

DIACRITICS = [
    "Nghiên cứu, kiểm tra việc thực hiện nhiệm vụ ở cơ sở",
    "Trường Sư phạm, lực lượng ự ệ ở",
]


@pytest.fixture(scope="module")
def document():
    return party_document(11)


@pytest.fixture(scope="module")
def page(document) -> Image.Image:
    return render_page(document.pages[0])


def _measure(grey: np.ndarray) -> geometry.Geometry:
    scale = geometry.ANALYSIS_DPI / 300
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, binary = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    _, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    found = geometry.measure(
        geometry.components(stats, centroids, scale), binary.shape[1], binary.shape[0]
    )
    assert found is not None
    return found


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_turned_page_is_set_upright(page: Image.Image, turned: int):
    grey, report = prepare(degrade(page, seed=1, rotate=turned), 300)
    assert report.rotated == (360 - turned) % 360
    assert "orientation" in report.steps
    assert grey.shape == (page.height, page.width)
    # Upright again: the same pixels as the page before it was turned.
    assert np.mean(np.abs(grey.astype(int) - np.asarray(page, dtype=int))) < 1


@pytest.mark.parametrize("skew", [-10, -5, -2, 2, 5, 10])
def test_skew_is_corrected_to_under_a_fifth_of_a_degree(page: Image.Image, skew: float):
    grey, report = prepare(degrade(page, seed=2, skew_deg=skew), 300)
    assert report.rotated == 0
    assert abs(report.deskew_deg - skew) < 0.2
    assert abs(_measure(grey).skew_deg) < 0.2  # the residual, measured on the result


@pytest.mark.parametrize("turned", [0, 90, 180])
def test_page_of_figures_is_turned_by_tesseract_osd(turned: int):
    # No diacritics to tell up from down: Tesseract's orientation detection decides.
    figures = render_page(["  ".join(str(1000 + 37 * i + j) for j in range(8)) for i in range(25)])
    _, report = prepare(degrade(figures, seed=9, rotate=turned), 300)
    assert "osd" in report.steps
    assert report.rotated == (360 - turned) % 360


def test_upright_page_is_left_alone(page: Image.Image):
    grey, report = prepare(page, 300)
    assert report.steps == ()
    assert report.to_scan == ()
    assert np.array_equal(grey, np.asarray(page))


def test_turned_and_skewed_page_reads_like_the_upright_one(tmp_path, document, page):
    path = tmp_path / "xoay.png"
    degrade(page, seed=3, rotate=180, skew_deg=4).save(path, dpi=(300, 300))
    result = ocr_page(path, 0)
    truth = page_text(document.pages[0])
    assert result.cleanup.rotated == 180
    assert abs(result.cleanup.deskew_deg - 4) < 0.2
    assert cer(truth, result.text) < 0.01
    assert not result.needs_review


def test_upside_down_ocr_is_flagged_ill_formed(page: Image.Image):
    # Without cleanup an upside-down page reads as garbage; quality must notice without truth.
    _, words = run_tesseract(np.asarray(page.rotate(180)), dpi=300)
    quality = assess(words)
    assert "ill_formed_syllables" in quality.reasons
    assert quality.well_formed < 0.5


def test_word_boxes_map_back_to_the_scan(page: Image.Image):
    marked = page.copy()
    ImageDraw.Draw(marked).rectangle([300, 3000, 360, 3060], fill=0)  # a 60 px square mark
    scan = degrade(marked, seed=4, rotate=90, skew_deg=3)
    grey, report = prepare(scan, 300)

    def square_centre(img: np.ndarray) -> np.ndarray:
        _, binary = cv2.threshold(img, 128, 255, cv2.THRESH_BINARY_INV)
        _, _, stats, centroids = cv2.connectedComponentsWithStats(binary)
        solid = (stats[1:, 4] > 2500) & (stats[1:, 4] / (stats[1:, 2] * stats[1:, 3]) > 0.6)
        assert solid.sum() == 1
        return centroids[1:][solid][0]

    x, y = square_centre(grey)
    matrix = np.array(report.to_scan).reshape(2, 3)
    back = matrix @ np.array([x, y, 1.0])
    assert np.allclose(back, square_centre(np.asarray(scan)), atol=2)


def test_dark_border_and_punch_holes_are_whitened(page: Image.Image):
    scan = degrade(page, seed=5, dark_border=True)
    draw = ImageDraw.Draw(scan)
    r = 35  # a 6 mm hole at 300 dpi
    holes = [(140, 1200), (140, 2200)]
    for cx, cy in holes:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=20)
    grey, report = prepare(scan, 300)
    assert "borders" in report.steps
    for band in (grey[:15], grey[-15:], grey[:, :15], grey[:, -15:]):
        assert band.min() > 200
    for cx, cy in holes:
        assert grey[cy - r : cy + r, cx - r : cx + r].min() > 200
    # The text is untouched.
    inner = (slice(400, 3100), slice(400, 2100))
    assert np.array_equal(grey[inner], np.asarray(scan)[inner])


@pytest.mark.parametrize(("dpi", "size_pt"), [(300, 9), (300, 13), (200, 9), (150, 9)])
def test_despeckle_never_touches_clean_print(dpi: int, size_pt: float):
    img = np.asarray(render_lines(DIACRITICS * 3, dpi=dpi, size_pt=size_pt))
    _, binary = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    out, removed = artifacts.despeckle(img, binary, dpi)
    assert removed == 0
    assert np.array_equal(out, img)


def test_speckle_goes_and_diacritics_stay(tmp_path):
    clean = render_lines(DIACRITICS * 4, dpi=300, size_pt=10)
    speckled = degrade(clean, seed=6, speckle=0.004)
    grey, report = prepare(speckled, 300)
    assert "despeckle" in report.steps
    _, before = cv2.threshold(np.asarray(speckled), 128, 255, cv2.THRESH_BINARY_INV)
    _, after = cv2.threshold(grey, 128, 255, cv2.THRESH_BINARY_INV)
    assert artifacts.lone_pixels(after) < artifacts.lone_pixels(before) / 20
    # Every dot and hook of the clean print (small components) is still there, whole.
    _, ink = cv2.threshold(np.asarray(clean), 128, 255, cv2.THRESH_BINARY_INV)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    marks = [i for i in range(1, count) if stats[i, 4] < 120]
    assert len(marks) > 50
    for i in marks:
        assert np.all(after[labels == i] > 0), f"diacritic {i} was eaten"
    path = tmp_path / "bui.png"
    speckled.save(path, dpi=(300, 300))
    text = ocr_page(path, 0).text
    for word in ("ự", "ệ", "ở", "Nghiên", "nhiệm"):
        assert word in text


def test_red_seal_fades_and_black_text_under_it_stays(page: Image.Image):
    scan = degrade(page, seed=7, red_seal=True)
    rgb = np.asarray(scan)
    red = (rgb[..., 0].astype(int) - rgb[..., 1:].max(axis=2)) > 100
    assert red.sum() > 5000
    grey, report = prepare(scan, 300)
    assert "red_seal" in report.steps
    assert np.median(grey[red]) > 180  # seal ink is now light
    black = rgb.max(axis=2) < 60
    assert np.median(grey[black]) < 60  # print (also under the seal) stays black


def test_small_red_stamp_is_kept():
    # A red "MẬT" stamp is text the metadata needs: only seal-sized round marks fade.
    arr = np.asarray(render_lines(["MẬT", "Tỉnh ủy Bắc Giang"]).convert("RGB")).copy()
    stamp = arr[..., 0] < 128
    stamp[arr.shape[0] // 2 :] = False  # the first line only
    arr[stamp] = (200, 30, 40)
    grey, report = prepare(Image.fromarray(arr), 300)
    assert "red_seal" not in report.steps
    assert grey[stamp].max() < 128


def test_small_type_at_low_resolution_is_upsampled():
    lines = ["Đồng chí Bí thư chỉ đạo kiểm tra việc thực hiện Nghị quyết"] * 12
    small, report = prepare(render_lines(lines, dpi=150, size_pt=9), 150)
    assert small.shape[1] == 2 * render_lines(lines, dpi=150, size_pt=9).width
    assert report.upsampled_from_dpi == 150
    assert "upsample" in report.steps
    large = render_lines(lines, dpi=150, size_pt=13)
    grey, report = prepare(large, 150)
    assert report.upsampled_from_dpi is None
    assert grey.shape == (large.height, large.width)


def test_options():
    assert CleanupOptions().without("deskew").deskew is False
    assert repr(CleanupOptions.none()) == "CleanupOptions(none)"
    with pytest.raises(ValueError, match="unknown cleanup steps"):
        CleanupOptions().without("sharpen")


def test_no_cleanup_changes_nothing(page: Image.Image):
    scan = degrade(page, seed=8, rotate=90, dark_border=True, speckle=0.002)
    grey, report = prepare(scan, 300, CleanupOptions.none())
    assert report.steps == ()
    assert np.array_equal(grey, np.asarray(scan))


def test_tsv_parsing_keeps_quote_words():
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        '5\t1\t1\t1\t1\t1\t10\t20\t30\t40\t91.5\t"Mật"\n'
        "5\t1\t1\t1\t2\t1\t10\t70\t30\t40\t-1\t \n"
    )
    words = parse_tsv(tsv)
    assert [(w.text, w.line, w.conf) for w in words] == [('"Mật"', 0, 91.5)]
