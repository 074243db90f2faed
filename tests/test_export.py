"""Corrections, review and export (PDF/A with a text layer, standard metadata) end to end."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from tests.conftest import render_lines, save_scan

LINES = [
    "TỈNH ỦY BẮC GIANG",
    "Số 24-TB/TU",
    "THÔNG BÁO",
    "Kết luận của Ban Thường vụ về công tác kiểm tra",
]


def cli(*args: str) -> tuple[int, object]:
    result = CliRunner().invoke(main, list(args))
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.output


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    save_scan(render_lines(LINES), root / "hop" / "tb.png")
    (root / "hop" / "sohoa.toml").write_text(
        'ho_so_code = "HS-2023-01"\nho_so_title = "Hồ sơ kiểm tra năm 2023"\n',
        encoding="utf-8",
    )
    code, out = cli("ingest", str(root / "hop"), "--archive", str(root / "kho"), "--json")
    assert code == 0, out
    return root / "kho"


def test_a_correction_wins_everywhere_and_is_logged(archive_dir: Path) -> None:
    code, shown = cli(
        "edit",
        "1",
        "--set",
        "so_ky_hieu=25-TB/TU",
        "--who",
        "thu.le",
        "--archive",
        str(archive_dir),
        "--json",
    )
    assert code == 0, shown
    assert isinstance(shown, dict)
    assert shown["metadata"]["so_ky_hieu"] == {
        "value": "25-TB/TU",
        "confidence": 1.0,
        "corrected": True,
        "needs_review": False,  # a person's value is verified: the flag is cleared
        "review_reason": None,
    }
    code, found = cli("search", "so:25-TB/TU", "--archive", str(archive_dir), "--json")
    assert code == 0 and isinstance(found, dict) and found["total"] == 1
    code, _ = cli("reindex", "--archive", str(archive_dir))
    code, found = cli("search", "so:25-TB/TU", "--archive", str(archive_dir), "--json")
    assert isinstance(found, dict) and found["total"] == 1


def test_a_bad_correction_names_the_field(archive_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["edit", "1", "--set", "khong_co=1", "--archive", str(archive_dir)]
    )
    assert result.exit_code == 2
    assert "--set 'khong_co=1'" in result.stderr


def test_marking_a_document_secret_hides_it_and_export_refuses(
    archive_dir: Path, tmp_path: Path
) -> None:
    code, _ = cli("edit", "1", "--set", "do_mat=toi-mat", "--archive", str(archive_dir))
    assert code == 0
    code, found = cli("search", "kiểm tra", "--archive", str(archive_dir), "--json")
    assert isinstance(found, dict) and found["total"] == 0 and found["hits"] == []
    code, out = cli("export", "1", "--to", str(tmp_path / "ra"), "--archive", str(archive_dir))
    assert code == 6
    assert not (tmp_path / "ra").exists()
    code, out = cli(
        "export",
        "--dossier",
        "HS-2023-01",
        "--to",
        str(tmp_path / "ra2"),
        "--archive",
        str(archive_dir),
        "--json",
    )
    assert code == 0 and isinstance(out, dict) and out["documents"] == []
    cli("edit", "1", "--set", "do_mat=", "--archive", str(archive_dir))


def test_export_writes_pdfa_with_text_and_standard_metadata(
    archive_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ra"
    code, result = cli(
        "export",
        "--dossier",
        "HS-2023-01",
        "--to",
        str(out),
        "--archive",
        str(archive_dir),
        "--json",
    )
    assert code == 0, result
    assert isinstance(result, dict) and result["documents"] == [1]
    pdf = out / "HS-2023-01.001.pdf"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Ban Thường vụ" in text and "công tác kiểm tra" in text
    with pikepdf.open(pdf) as doc, doc.open_metadata() as meta:
        assert meta.pdfa_status == "2B"
    with (out / "ho-so-HS-2023-01.csv").open(encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    assert row["FileCode"] == "HS-2023-01" and row["DocCode"] == "HS-2023-01.001"
    assert row["CodeNotation"] and row["Language"] == "Tiếng Việt"
    payload = json.loads((out / "ho-so-HS-2023-01.json").read_text(encoding="utf-8"))
    assert payload[0]["corrections"] == {"so_ky_hieu": "25-TB/TU", "do_mat": None}


def test_search_sorts_by_date_and_facets_come_with_json(archive_dir: Path) -> None:
    for order in ("relevance", "ngay", "-ngay"):
        code, found = cli(
            "search", "kiểm tra", "--sort", order, "--archive", str(archive_dir), "--json"
        )
        assert code == 0 and isinstance(found, dict) and found["total"] == 1
        assert "loai" in found["facets"]
    result = CliRunner().invoke(main, ["search", "(kiểm", "--archive", str(archive_dir)])
    assert result.exit_code == 2 and "Lỗi:" in result.stderr


def test_a_pdf_with_its_own_text_gets_exactly_one_text_layer(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("serif", fname="/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    pdf.set_font("serif", size=16)
    pdf.cell(text="Báo cáo của Tỉnh ủy Bắc Giang")
    (tmp_path / "hop").mkdir()
    pdf.output(str(tmp_path / "hop" / "co-chu.pdf"))
    code, _ = cli("ingest", str(tmp_path / "hop"), "--archive", str(tmp_path / "kho"))
    assert code == 0
    code, _ = cli("export", "1", "--to", str(tmp_path / "ra"), "--archive", str(tmp_path / "kho"))
    assert code == 0
    out = tmp_path / "ra" / "van-ban-1.pdf"
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Bắc Giang" in text
    with pikepdf.open(out) as doc:
        fonts = {
            str(o.get("/BaseFont"))
            for o in doc.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"
        }
    # Only our invisible OCR layer's fonts: the source's own text (DejaVu) is not copied along.
    assert fonts and not any("DejaVu" in f for f in fonts), fonts
