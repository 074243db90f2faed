"""OCR of one page with real Tesseract: every input kind, one run per page, NFC, blank pages."""

from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

import img2pdf
import numpy as np
import pytest
from PIL import Image

from ocr import tesseract
from ocr.engine import available_engines, get_engine
from ocr.page import ocr_page
from ocr.tesseract import check_tesseract, run_tesseract
from sohoa.errors import InputError, MissingDependency
from tests.conftest import render_lines

LINES = [
    "ĐẢNG CỘNG SẢN VIỆT NAM",
    "Bắc Giang, ngày 28 tháng 01 năm 2022",
    "Đồng chí Bí thư chỉ đạo kiểm tra việc thực hiện",
]
TEXT = "\n".join(LINES)


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_lines(LINES)


@pytest.fixture(params=available_engines())
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each OCR test runs against every engine this installation has (the same suite)."""
    monkeypatch.setenv("SOHOA_OCR_ENGINE", request.param)
    return request.param


def _words_only(text: str) -> list[str]:
    return text.split()


def test_png_page(tmp_path: Path, page: Image.Image, engine: str):
    path = tmp_path / "a.png"
    page.save(path, dpi=(300, 300))
    result = ocr_page(path, 0)
    assert _words_only(result.text) == _words_only(TEXT)
    assert unicodedata.is_normalized("NFC", result.text)
    assert "\u00d0" not in result.text and "\u0110" in result.text  # Đ, never the eth look-alike
    assert [w.text for w in result.words] == _words_only(TEXT)
    assert [w.line for w in result.words][:5] == [0, 0, 0, 0, 0]
    assert result.words[-1].line == 2
    assert result.mean_confidence > 80
    assert not result.needs_review
    assert (result.width, result.height, result.dpi) == (*page.size, 300)
    assert result.engine.startswith("tesseract 5") and " vie" in result.engine
    assert ("tesserocr" in result.engine) == (engine == "tesserocr")
    assert result.ocr_seconds > 0 and result.cleanup_seconds > 0


def test_jpeg_colour_page(tmp_path: Path, page: Image.Image, engine: str):
    path = tmp_path / "a.jpg"
    page.convert("RGB").save(path, quality=90, dpi=(300, 300))
    result = ocr_page(path, 0)
    assert _words_only(result.text) == _words_only(TEXT)
    assert "greyscale" in result.cleanup.steps


def test_g4_tiff_frame(tmp_path: Path, page: Image.Image, engine: str):
    other = render_lines(["Số 10-ĐA/TU", "Tỉnh ủy Bắc Giang"])
    path = tmp_path / "hop.tif"
    frames = [page.convert("1"), other.convert("1")]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], compression="group4", dpi=(300, 300)
    )
    result = ocr_page(path, 1)
    assert _words_only(result.text) == ["Số", "10-ĐA/TU", "Tỉnh", "ủy", "Bắc", "Giang"]


def test_image_only_pdf(tmp_path: Path, page: Image.Image, engine: str):
    png = tmp_path / "a.png"
    page.save(png, dpi=(300, 300))
    path = tmp_path / "a.pdf"
    path.write_bytes(img2pdf.convert(str(png)))
    result = ocr_page(path, 0)
    assert _words_only(result.text) == _words_only(TEXT)
    assert result.dpi == 300


def test_blank_page_is_stored_for_review(tmp_path: Path, engine: str):
    path = tmp_path / "trang-trang.png"
    Image.new("L", (600, 800), 255).save(path, dpi=(300, 300))
    result = ocr_page(path, 0)
    assert result.text == ""
    assert result.words == ()
    assert result.needs_review
    assert result.review_reasons == ("empty_page",)
    assert result.mean_confidence == 0


def test_bad_page_raises_input_error(tmp_path: Path, engine: str):
    path = tmp_path / "hong.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(InputError) as exc:
        ocr_page(path, 0)
    assert "hong.png" in exc.value.vi


def _counting_tesseract(folder: Path) -> Path:
    """A `tesseract` on PATH: logs each call with its OMP_THREAD_LIMIT, runs the real one."""
    real = shutil.which("tesseract")
    assert real is not None
    log = folder / "calls.log"
    script = folder / "tesseract"
    script.write_text(f'#!/bin/sh\necho "$OMP_THREAD_LIMIT $*" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return log


def test_exactly_one_tesseract_run_per_page(tmp_path: Path, page: Image.Image, monkeypatch):
    path = tmp_path / "hop.tif"
    frames = [page.convert("1")] * 3
    frames[0].save(
        path, save_all=True, append_images=frames[1:], compression="group4", dpi=(300, 300)
    )
    log = _counting_tesseract(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    for frame in range(3):
        ocr_page(path, frame, engine="cli")
    calls = [c for c in log.read_text().splitlines() if "--version" not in c and "--list" not in c]
    assert len(calls) == 3  # one per page: text and word boxes come from the same run
    assert all(c.startswith("1 ") for c in calls)  # OMP_THREAD_LIMIT=1 reached Tesseract
    assert all("tessedit_do_invert=0" in c for c in calls)  # no search for inverted text


def test_in_process_tesseract_skips_the_inverted_text_search():
    if "tesserocr" not in available_engines():
        pytest.fail("tesserocr is part of the install (scripts/setup)")
    engine = get_engine("tesserocr")
    engine.load("vie")
    api = engine._api("vie")
    assert api.GetVariableAsString("tessedit_do_invert") == "0"


def test_in_process_engine_starts_no_program(tmp_path: Path, page: Image.Image, monkeypatch):
    path = tmp_path / "a.png"
    page.save(path, dpi=(300, 300))
    for name in available_engines():
        ocr_page(path, 0, engine=name)  # warm: version checks may run the program once
    log = _counting_tesseract(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    expected = {"cli": 1, "tesserocr": 0}
    for name in available_engines():
        log.write_text("")
        ocr_page(path, 0, engine=name)
        assert len(log.read_text().splitlines()) == expected[name], name


@pytest.mark.parametrize("name", available_engines())
def test_engine_gives_text_and_words_from_one_run(page: Image.Image, name: str):
    text, words = get_engine(name).recognize(np.asarray(page), lang="vie", dpi=300)
    assert _words_only(text) == [w.text for w in words] == _words_only(TEXT)
    assert all(w.width > 0 and w.height > 0 and 0 <= w.conf <= 100 for w in words)
    assert [w.line for w in words] == sorted(w.line for w in words)


def test_run_tesseract_accepts_pil_images(page: Image.Image):
    text, words = run_tesseract(page.convert("1"), lang="vie", dpi=300)
    assert _words_only(text) == [w.text for w in words]


def test_unknown_engine():
    with pytest.raises(ValueError, match="SOHOA_OCR_ENGINE"):
        get_engine("abbyy")


def test_check_tesseract_version():
    assert check_tesseract("vie").startswith("5.")


def test_missing_language_names_the_package(monkeypatch):
    monkeypatch.setattr(tesseract, "_checked", {})
    with pytest.raises(MissingDependency) as exc:
        check_tesseract("xyz")
    assert "tesseract-ocr-xyz" in exc.value.vi
    assert "apt-get install tesseract-ocr-xyz" in exc.value.en


def test_missing_tesseract_names_the_package(monkeypatch):
    monkeypatch.setattr(tesseract, "_checked", {})
    monkeypatch.setattr(
        tesseract.pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract"
    )
    with pytest.raises(MissingDependency) as exc:
        check_tesseract("vie")
    assert "tesseract-ocr" in exc.value.vi
    with pytest.raises(MissingDependency):
        run_tesseract(Image.new("L", (50, 50), 255))
