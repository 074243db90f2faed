"""A dossier delivered as a folder of page images becomes its documents (real scans, real OCR)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from archive_store.db import Archive
from archive_store.models import Batch, Document
from extract.conventions import fold
from pipeline.cli import main
from pipeline.reextract import reextract
from pipeline.run import Progress
from scripts.synth import SynthDocument, page_text, party_document, render_page, state_document
from tests.conftest import render_lines, save_scan

DOSSIER = "hoso-07"


def dossier() -> list[SynthDocument]:
    """Three documents, Party and state, of 2, 1 and 3 pages."""
    return [
        party_document(11, kind="TB", body="UBKTTU", pages=2, province="Bắc Giang"),
        state_document(12, pages=1),
        party_document(13, kind="BC", body="TU", pages=3, province="Bắc Giang"),
    ]


def page_files() -> list[str]:
    """The page images as the scanner named them: numbered from 8, so "trang-10" sorts after
    "trang-9" only in natural order; PNG and JPEG mixed."""
    return [f"{DOSSIER}/trang-{n}.{'jpg' if n % 2 else 'png'}" for n in range(8, 14)]


def cli(*args: str) -> tuple[int, dict | str]:
    result = CliRunner().invoke(main, list(args))
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("folder") / "hop-3"
    pages = [page for doc in dossier() for page in doc.pages]
    for name, page in zip(page_files(), pages, strict=True):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {"quality": 92} if path.suffix == ".jpg" else {}
        render_page(page).save(path, dpi=(300, 300), **extra)
    # A scanned file of several pages beside the folder stays a document of its own.
    save_scan([render_lines(["Biên bản họp chi bộ"]), render_lines(["Trang hai"])], root / "bb.tif")
    return root


@pytest.fixture(scope="module")
def ingested(batch: Path) -> tuple[Path, dict]:
    archive = batch.parent / "kho"
    code, report = cli("ingest", str(batch), "--archive", str(archive), "--json")
    assert code == 0, report
    assert isinstance(report, dict)
    return archive, report


def show(archive: Path, doc_id: int) -> dict:
    code, shown = cli("show", str(doc_id), "--archive", str(archive), "--json")
    assert code == 0 and isinstance(shown, dict), shown
    return shown


def files_of(archive: Path, doc_id: int) -> list[str]:
    return [p["source_file"] for p in show(archive, doc_id)["pages"]]


def by_first_file(archive: Path, doc_ids: list[int]) -> dict[str, int]:
    """Documents by the file their first page lies in."""
    return {files_of(archive, d)[0]: d for d in doc_ids}


def test_the_folder_is_split_into_its_documents_across_files(
    ingested: tuple[Path, dict],
) -> None:
    archive, report = ingested
    assert report["pages_done"] == 8 and report["failures"] == []
    names = page_files()
    by_first = by_first_file(archive, report["documents"])
    assert set(by_first) == {names[0], names[2], names[3], "bb.tif"}
    starts = [0, 2, 3, 6]
    for doc, (a, b) in zip(dossier(), pairwise(starts), strict=True):
        shown = show(archive, by_first[names[a]])
        assert [p["source_file"] for p in shown["pages"]] == names[a:b]
        assert [(p["page"], p["source_page"]) for p in shown["pages"]] == [
            (i, 1) for i in range(1, b - a + 1)
        ]
        assert shown["metadata"]["so_ky_hieu"]["value"] == doc.metadata["so_ky_hieu"]
        assert shown["metadata"]["ngay_ban_hanh"]["value"] == doc.metadata["ngay_ban_hanh"]
    assert files_of(archive, by_first["bb.tif"]) == ["bb.tif", "bb.tif"]


def unique_phrase(doc: int, page: int) -> str:
    """Four words printed on that page only (diacritics folded, so an OCR tone slip is fine)."""
    texts = [fold(page_text(p)) for d in dossier() for p in d.pages]
    own = fold(page_text(dossier()[doc].pages[page]))
    words = [w for w in own.split() if w.isalpha()]
    for i in range(len(words) // 3, len(words) - 4):
        phrase = " ".join(words[i : i + 4])
        if sum(phrase in t for t in texts) == 1:
            return phrase
    raise AssertionError("no phrase of its own on the page")


def test_a_hit_opens_the_page_in_its_file(ingested: tuple[Path, dict]) -> None:
    archive, _ = ingested
    phrase = unique_phrase(2, 2)  # last page of the third document
    code, found = cli("search", f'"{phrase}"', "--archive", str(archive), "--json")
    assert code == 0 and isinstance(found, dict), found
    (hit,) = found["hits"]
    (page,) = hit["pages"]
    assert (page["page"], page["source_file"], page["source_page"]) == (3, page_files()[5], 1)
    assert show(archive, hit["doc_id"])["pages"][2]["source_file"] == page_files()[5]
    result = CliRunner().invoke(main, ["search", f'"{phrase}"', "--archive", str(archive)])
    assert f"tr. 3 ({page_files()[5]}):" in result.stdout


def test_export_puts_every_page_image_of_a_document_in_its_pdfa(
    ingested: tuple[Path, dict], tmp_path: Path
) -> None:
    archive, report = ingested
    (doc_id,) = [d for d in report["documents"] if files_of(archive, d)[0] == page_files()[3]]
    code, out = cli("export", str(doc_id), "--to", str(tmp_path), "--archive", str(archive))
    assert code == 0, out
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / f"van-ban-{doc_id}.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^Pages:\s+3$", info, re.M), info
    with (tmp_path / f"van-ban-{doc_id}.csv").open(encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    assert row["SourceFile"] == "; ".join(page_files()[3:])
    assert row["PageAmount"] == "3"
    assert row["CodeNotation"] == dossier()[2].metadata["ky_hieu"]


def copy_of(ingested: tuple[Path, dict], batch: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The archive and the batch folder copied, to change them without touching the others."""
    archive, _ = ingested
    shutil.copytree(archive, tmp_path / "kho")
    shutil.copytree(batch, tmp_path / batch.name)
    return tmp_path / "kho", tmp_path / batch.name


def test_manifest_ranges_for_the_folder_cut_it_again_without_ocr(
    ingested: tuple[Path, dict], batch: Path, tmp_path: Path
) -> None:
    archive, new_batch = copy_of(ingested, batch, tmp_path)
    names = page_files()
    first = by_first_file(archive, ingested[1]["documents"])
    manifest = new_batch / "sohoa.toml"
    manifest.write_text(f'[page_ranges]\n"{DOSSIER}/" = [[1, 3], [4, 6]]\n', encoding="utf-8")
    code, report = cli("ingest", str(new_batch), "--archive", str(archive), "--json")
    assert code == 0 and isinstance(report, dict), report
    assert report["pages_done"] == 0 and report["pages_skipped"] == 8
    # The documents that still start on the same page keep their ids (and corrections).
    assert sorted(report["documents"]) == sorted(
        [first[names[0]], first[names[3]], first["bb.tif"]]
    )
    assert files_of(archive, first[names[0]]) == names[:3]
    code, _ = cli("show", str(first[names[2]]), "--archive", str(archive))
    assert code == 7
    # The index follows: the page of the document that is gone is found in the one holding it.
    phrase = unique_phrase(1, 0)
    code, found = cli("search", f'"{phrase}"', "--archive", str(archive), "--json")
    assert isinstance(found, dict) and [h["doc_id"] for h in found["hits"]] == [first[names[0]]]
    assert [p["page"] for p in found["hits"][0]["pages"]] == [3]
    code, _ = cli("reindex", "--verify", "--archive", str(archive))
    assert code == 0

    manifest.write_text("moi_tep_mot_van_ban = true\n", encoding="utf-8")
    code, report = cli("ingest", str(new_batch), "--archive", str(archive), "--json")
    assert code == 0 and isinstance(report, dict), report
    assert len(report["documents"]) == 7
    assert files_of(archive, first[names[0]]) == names[:1]


def test_reextract_works_from_the_store_alone_and_keeps_corrections(
    ingested: tuple[Path, dict], batch: Path, tmp_path: Path
) -> None:
    archive, _ = copy_of(ingested, batch, tmp_path)
    names = page_files()
    first = by_first_file(archive, ingested[1]["documents"])
    doc = first[names[3]]
    code, _ = cli("edit", str(doc), "--set", "nguoi_ky=Nguyễn Văn Sửa", "--archive", str(archive))
    assert code == 0
    # What an older, worse extraction left, in a store whose scan folder has gone.
    with Archive(archive) as store_, store_.session() as s:
        s.execute(update(Document).values(extracted={}, title="?"))
        s.execute(update(Batch).values(path=str(tmp_path / "da-chuyen-di")))
    code, report = cli("reextract", "--archive", str(archive), "--json")
    assert code == 0 and report == {
        "batches": 1,
        "documents": 4,
        "removed": [],
        "refused_pages": 0,
        "index_note": None,
    }
    shown = show(archive, doc)
    truth = dossier()[2].metadata
    assert shown["metadata"]["so_ky_hieu"]["value"] == truth["so_ky_hieu"]
    assert shown["title"].startswith(f"{truth['loai']} {truth['so_ky_hieu']}")
    assert shown["metadata"]["nguoi_ky"] == {
        "value": "Nguyễn Văn Sửa",
        "confidence": 1.0,
        "corrected": True,
        "needs_review": False,
        "review_reason": None,
    }
    code, found = cli("search", f"so:{truth['so_ky_hieu']}", "--archive", str(archive), "--json")
    assert isinstance(found, dict) and [h["doc_id"] for h in found["hits"]] == [doc]
    code, out = cli("reextract", "--batch", "9", "--archive", str(archive))
    assert code == 7 and "Không có lô số 9" in str(out)
    seen: list[Progress] = []
    with Archive(archive) as again:
        reextract(again, on_progress=seen.append)
    assert (seen[-1].done, seen[-1].total) == (8, 8)  # six page images, a two-page TIFF


def test_a_manifest_naming_no_file_or_folder_of_the_batch_is_refused(
    ingested: tuple[Path, dict], batch: Path, tmp_path: Path
) -> None:
    archive, new_batch = copy_of(ingested, batch, tmp_path)
    (new_batch / "sohoa.toml").write_text('[page_ranges]\n"hoso-7" = [[1, 3]]\n', encoding="utf-8")
    code, out = cli("ingest", str(new_batch), "--archive", str(archive))
    assert code == 8
    assert "'hoso-7'" in str(out) and "'hoso-07'" in str(out)


def test_a_broken_page_image_is_named_and_slots_in_when_replaced(
    batch: Path, tmp_path: Path
) -> None:
    new_batch = tmp_path / "hop"
    shutil.copytree(batch, new_batch)
    broken = new_batch / page_files()[1]
    good = broken.read_bytes()
    broken.write_bytes(good[: len(good) // 3])
    archive = str(tmp_path / "kho")
    code, report = cli("ingest", str(new_batch), "--archive", archive, "--json")
    assert code == 3 and isinstance(report, dict)
    (failure,) = report["failures"]
    assert failure["file"] == page_files()[1] and failure["reason"].startswith(page_files()[1])
    first = next(d for d in report["documents"] if files_of(Path(archive), d)[0] == page_files()[0])
    assert files_of(Path(archive), first) == page_files()[:1]

    broken.write_bytes(good)  # the clerk scans the page again
    code, report = cli("ingest", str(new_batch), "--archive", archive, "--json")
    assert code == 0 and isinstance(report, dict), report
    assert report["pages_done"] == 1 and report["failures"] == []
    assert files_of(Path(archive), first) == page_files()[:2]
