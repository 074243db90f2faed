"""End to end on one machine: a batch of real scans through real Tesseract into store and index."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import unicodedata
import zlib
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from pipeline.cli import main
from tests.conftest import render_lines, save_scan

GOOD = {
    "01-mat.png": [["Tài liệu mật của Tỉnh ủy Bắc Giang"]],
    "02-hai-trang.tif": [["Hồ sơ bị mất khi chuyển kho"], ["Mặt trận Tổ quốc tỉnh Bắc Giang"]],
    "03-scan.pdf": [["Một đảng viên ở chi bộ"]],
}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge image (a decompression bomb) in a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def make_batch(root: Path, *, bad: bool = False) -> Path:
    for name, pages in GOOD.items():
        save_scan([render_lines(lines) for lines in pages], root / name)
    if bad:
        (root / "bad").mkdir()
        (root / "bad/rong.tif").write_bytes(b"")
        full = (root / "01-mat.png").read_bytes()
        (root / "bad/cat-cut.png").write_bytes(full[: len(full) // 2])
        (root / "bad/ghi-chu.tif").write_text("đây là ghi chú, không phải ảnh", encoding="utf-8")
        (root / "bad/hong.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage")
        with pikepdf.open(root / "03-scan.pdf") as pdf:
            pdf.save(root / "bad/ma-hoa.pdf", encryption=pikepdf.Encryption(owner="a", user="b"))
        (root / "bad/van-ban.docx").write_bytes(b"PK\x03\x04 word document")
        (root / "bad/bom.png").write_bytes(png_header_only(60000, 60000))
    return root


def run_cli(*args: str) -> tuple[int, dict | str]:
    result = CliRunner().invoke(main, list(args))
    out = result.stdout
    try:
        return result.exit_code, json.loads(out)
    except json.JSONDecodeError:
        return result.exit_code, out + result.stderr


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("e2e")
    batch = make_batch(root / "hop-01", bad=True)
    code, report = run_cli("ingest", str(batch), "--archive", str(root / "kho"), "--json")
    assert code == 3, report  # some inputs failed: documented exit code
    assert isinstance(report, dict)
    return root / "kho", report


def test_every_good_page_is_stored_and_every_bad_file_named(ingested: tuple[Path, dict]) -> None:
    archive_dir, report = ingested
    assert report["pages_done"] == 4 and report["pages_skipped"] == 0
    assert report["pages_failed"] == 7
    assert report["pages_total"] == 11
    assert len(report["documents"]) == 3
    reasons = {f["file"]: f["reason"] for f in report["failures"]}
    assert set(reasons) == {
        "bad/rong.tif",
        "bad/cat-cut.png",
        "bad/ghi-chu.tif",
        "bad/hong.pdf",
        "bad/ma-hoa.pdf",
        "bad/van-ban.docx",
        "bad/bom.png",
    }
    assert "rỗng" in reasons["bad/rong.tif"]
    assert "không phải ảnh TIFF" in reasons["bad/ghi-chu.tif"]
    assert "mã hoá" in reasons["bad/ma-hoa.pdf"] or "mã hóa" in reasons["bad/ma-hoa.pdf"]
    assert "không phải loại tệp được hỗ trợ" in reasons["bad/van-ban.docx"]
    for file, reason in reasons.items():
        assert reason.startswith(file), reason
    with Archive(archive_dir, create=False) as archive:
        assert store.status(archive).pages == 4


def test_show_gives_pages_with_their_place_in_the_scan(ingested: tuple[Path, dict]) -> None:
    archive_dir, report = ingested
    with Archive(archive_dir, create=False) as archive:
        tif_doc = next(
            d
            for d in report["documents"]
            if store.document(archive, d).source_path.endswith(".tif")
        )
    code, shown = run_cli("show", str(tif_doc), "--archive", str(archive_dir), "--json")
    assert code == 0 and isinstance(shown, dict)
    assert set(shown) >= {"id", "title", "metadata", "access_level", "pages"}
    pages = shown["pages"]
    assert [(p["page"], p["source_page"]) for p in pages] == [(1, 1), (2, 2)]
    assert pages[0]["source_file"] == "02-hai-trang.tif"
    assert "mất" in pages[0]["text"] and "Mặt trận" in pages[1]["text"]
    assert all(p["mean_confidence"] > 50 and p["needs_review"] is False for p in pages)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mật", {"01-mat.png"}),
        ("mất", {"02-hai-trang.tif"}),
        ("mat", {"01-mat.png", "02-hai-trang.tif"}),
        ("một", {"03-scan.pdf"}),
        ('"mặt trận tổ quốc"', {"02-hai-trang.tif"}),
        ('"mat tran to quoc"', {"02-hai-trang.tif"}),
    ],
)
def test_search_follows_the_diacritics_rules(
    ingested: tuple[Path, dict], query: str, expected: set[str]
) -> None:
    archive_dir, _ = ingested
    code, found = run_cli("search", query, "--archive", str(archive_dir), "--json")
    assert code == 0 and isinstance(found, dict), found
    with Archive(archive_dir, create=False) as archive:
        files = {store.document(archive, h["doc_id"]).source_path for h in found["hits"]}
    assert files == expected
    assert found["total"] == len(expected)
    assert all(h["pages"] and "[[" in h["pages"][0]["snippet"] for h in found["hits"])


def test_a_hit_names_the_file_and_page_to_open(ingested: tuple[Path, dict]) -> None:
    archive_dir, _ = ingested
    code, found = run_cli("search", '"mặt trận"', "--archive", str(archive_dir), "--json")
    assert code == 0 and isinstance(found, dict), found
    (hit,) = found["hits"]
    (page,) = hit["pages"]
    assert (page["page"], page["source_file"], page["source_page"]) == (2, "02-hai-trang.tif", 2)
    code, listing = run_cli("search", '"mặt trận"', "--archive", str(archive_dir))
    assert "tr. 2 (02-hai-trang.tif, tr. 2):" in str(listing)


def test_a_second_run_skips_stored_pages_and_reports_duplicates(
    ingested: tuple[Path, dict], tmp_path: Path
) -> None:
    archive_dir, first = ingested
    batch = Path(archive_dir).parent / "hop-01"
    code, again = run_cli("ingest", str(batch), "--archive", str(archive_dir), "--json")
    assert code == 3 and isinstance(again, dict)
    assert again["pages_done"] == 0 and again["pages_skipped"] == 4
    assert again["batch_id"] == first["batch_id"]
    assert sorted(again["documents"]) == sorted(first["documents"])

    # The same scan delivered twice under another name is stored once.
    dup = tmp_path / "hop-02"
    dup.mkdir()
    (dup / "ban-sao.png").write_bytes((batch / "01-mat.png").read_bytes())
    code, third = run_cli("ingest", str(dup), "--archive", str(archive_dir), "--json")
    assert code == 0 and isinstance(third, dict)
    assert third["pages_done"] == 0 and third["pages_skipped"] == 1
    with Archive(archive_dir, create=False) as archive:
        assert store.status(archive).pages == 4


def test_reindex_and_status_work_without_ocr(ingested: tuple[Path, dict]) -> None:
    archive_dir, _ = ingested
    code, out = run_cli("reindex", "--archive", str(archive_dir), "--json")
    assert code == 0 and out == {"documents": 3}
    code, status = run_cli("status", "--archive", str(archive_dir), "--json")
    assert code == 0 and isinstance(status, dict)
    assert status["pages"] == 4 and status["documents"] == 3
    assert status["index"]["ok"] is True
    assert len(status["failures"]) == 7


def test_a_reader_that_goes_away_stops_a_command_quietly(ingested: tuple[Path, dict]) -> None:
    archive_dir, report = ingested
    cmd = [sys.executable, "-m", "pipeline.cli", "show", str(report["documents"][0])]
    proc = subprocess.Popen(
        [*cmd, "--archive", str(archive_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # as `| head` does, before the command has written anything
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141 and err == ""


def test_messages_are_vietnamese_by_default_and_english_on_request(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["show", "1", "--archive", str(tmp_path / "khong")])
    assert result.exit_code == 5
    assert result.stderr.startswith("Lỗi: Chưa có kho lưu trữ")
    assert "Traceback" not in result.output
    result = CliRunner(env={"SOHOA_LANG": "en"}).invoke(
        main, ["show", "1", "--archive", str(tmp_path / "khong")]
    )
    assert result.stderr.startswith("Error: No archive at")


def test_the_same_batch_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    batch = tmp_path / "hop"
    save_scan(render_lines(["Tài liệu mật của Tỉnh ủy"]), batch / "a.png")
    env = {"SOHOA_DB_URL": pg_url}
    result = CliRunner(env=env).invoke(
        main, ["ingest", str(batch), "--archive", str(tmp_path / "kho"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pages_done"] == 1
    assert not (tmp_path / "kho" / "archive.db").exists()
    with Archive(tmp_path / "kho", db_url=pg_url) as archive:
        assert store.status(archive).pages == 1
    found = CliRunner(env=env).invoke(
        main, ["search", "tai lieu", "--archive", str(tmp_path / "kho"), "--json"]
    )
    assert json.loads(found.stdout)["total"] == 1


def test_top_secret_pages_are_refused_without_approval(tmp_path: Path) -> None:
    batch = tmp_path / "hop"
    lines = ["TỈNH ỦY BẮC GIANG", "TUYỆT MẬT", "Số 5-BC/TU", "BÁO CÁO", "Về công tác bảo vệ"]
    save_scan(render_lines(lines), batch / "tm.png")
    save_scan(render_lines(["Thông báo kết quả kiểm tra"]), batch / "cong-khai.png")
    code, report = run_cli("ingest", str(batch), "--archive", str(tmp_path / "kho"), "--json")
    assert code == 3 and isinstance(report, dict)
    assert report["pages_done"] == 1 and report["pages_failed"] == 1
    assert len(report["documents"]) == 1
    (failure,) = report["failures"]
    assert failure["file"] == "tm.png" and "TUYỆT MẬT" in failure["reason"]
    with Archive(tmp_path / "kho", create=False) as archive:
        assert store.status(archive).pages == 1
        assert not archive.blobs.has(sha256_file(batch / "tm.png"))
    code, found = run_cli(
        "search",
        "bao ve",
        "--clearance",
        "tuyet-mat",
        "--archive",
        str(tmp_path / "kho"),
        "--json",
    )
    assert isinstance(found, dict) and found["total"] == 0

    (batch / "sohoa.toml").write_text(
        'tuyet_mat_approved = true\ntuyet_mat_approval = "QĐ 12-QĐ/TU ngày 01/3/2024"\n',
        encoding="utf-8",
    )
    code, report = run_cli("ingest", str(batch), "--archive", str(tmp_path / "kho"), "--json")
    assert code == 0, report
    assert isinstance(report, dict) and len(report["documents"]) == 2


def test_a_folder_named_on_a_mac_matches_the_manifest_typed_in_nfc(tmp_path: Path) -> None:
    folder = unicodedata.normalize("NFD", "hồ-sơ")  # how macOS writes the name
    batch = tmp_path / "hop"
    for name, line in (("a.png", "Thông báo kết luận"), ("b.png", "Trang hai của thông báo")):
        save_scan(render_lines([line]), batch / folder / name)
    (batch / "sohoa.toml").write_text('[page_ranges]\n"hồ-sơ" = [[1, 2]]\n', encoding="utf-8")
    code, report = run_cli("ingest", str(batch), "--archive", str(tmp_path / "kho"), "--json")
    assert code == 0 and isinstance(report, dict), report
    (doc,) = report["documents"]
    code, shown = run_cli("show", str(doc), "--archive", str(tmp_path / "kho"), "--json")
    assert isinstance(shown, dict)
    assert [p["source_file"] for p in shown["pages"]] == ["hồ-sơ/a.png", "hồ-sơ/b.png"]


STRONG_FIRST = ["TỈNH ỦY BẮC GIANG", "Số 7-KH/TU", "KẾ HOẠCH", "Về công tác kiểm tra"]
# Only a header: the first page of a document after an end, a continued page otherwise.
HEADER_ONLY = ["TỈNH ỦY BẮC GIANG     ĐẢNG CỘNG SẢN VIỆT NAM", "Danh sách đảng viên"]
TOP_SECRET_WHOLE = [
    "TỈNH ỦY BẮC GIANG", "TUYỆT MẬT", "Số 5-BC/TU", "BÁO CÁO", "Về công tác bảo vệ",
    "Nơi nhận: T/M BAN THƯỜNG VỤ", "- Như trên, PHÓ BÍ THƯ", "- Lưu VPTU.", "Lê Thị Thu Hồng",
]  # fmt: skip


def first_files(archive: str, doc_ids: list[int]) -> list[str]:
    shown = [run_cli("show", str(d), "--archive", archive, "--json")[1] for d in doc_ids]
    return sorted(s["pages"][0]["source_file"] for s in shown if isinstance(s, dict))


def test_an_unreadable_page_image_counts_as_an_end(tmp_path: Path) -> None:
    batch = tmp_path / "hop"
    save_scan(render_lines(STRONG_FIRST), batch / "1-ke-hoach.png")
    (batch / "2-hong.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    save_scan(render_lines(HEADER_ONLY), batch / "3-dau-trang.png")
    archive = str(tmp_path / "kho")
    code, report = run_cli("ingest", str(batch), "--archive", archive, "--json")
    assert code == 3 and isinstance(report, dict), report
    assert [f["file"] for f in report["failures"]] == ["2-hong.png"]
    # What the broken file held is unknown: the header-only page starts a document after it.
    assert first_files(archive, report["documents"]) == ["1-ke-hoach.png", "3-dau-trang.png"]


def test_reextract_cuts_around_a_refused_document_as_ingest_did(tmp_path: Path) -> None:
    batch = tmp_path / "hop"
    save_scan(render_lines(STRONG_FIRST), batch / "1-ke-hoach.png")
    save_scan(render_lines(TOP_SECRET_WHOLE), batch / "2-tuyet-mat.png")
    save_scan(render_lines(HEADER_ONLY), batch / "3-dau-trang.png")
    archive = str(tmp_path / "kho")
    code, report = run_cli("ingest", str(batch), "--archive", archive, "--json")
    assert code == 3 and isinstance(report, dict), report
    docs = report["documents"]
    assert first_files(archive, docs) == ["1-ke-hoach.png", "3-dau-trang.png"]
    # The refused page was deleted and its scan forgotten; cut again from the store alone, the
    # header-only page still starts its own document, as when the refused one's end was seen.
    code, again = run_cli("reextract", "--archive", archive, "--json")
    assert code == 0 and isinstance(again, dict) and again["removed"] == [], again
    assert first_files(archive, docs) == ["1-ke-hoach.png", "3-dau-trang.png"]


def test_a_missing_batch_folder_stops_before_anything_is_written(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["ingest", str(tmp_path / "khong-co"), "--archive", str(tmp_path / "kho")]
    )
    assert result.exit_code == 3
    assert "Không tìm thấy thư mục lô quét" in result.stderr
    with Archive(tmp_path / "kho", create=False) as archive:
        assert store.status(archive).batches == 0
