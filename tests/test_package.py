"""Transfer packages: a dossier exported as a package and imported into another archive, compared
field by field (real scans, real Tesseract, real `sohoa` processes)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.models import Batch, Correction, Document, Page, SourceFile
from pipeline.cli import main
from scripts.synth import party_document, render_page, state_document
from tests.conftest import render_lines, save_scan

CODE = "HS-2024-07"
METS = "{http://www.loc.gov/METS/}"
PREMIS = "{http://www.loc.gov/premis/v3}"
XLINK = "{http://www.w3.org/1999/xlink}"
SECRET_LINE = "Phụ lục mật số bảy"


def sohoa(*args: str, code: int | None = 0, db_url: str | None = None) -> dict:
    """A real `sohoa` process; its JSON output (exit code checked unless `code` is None)."""
    env = {**os.environ, "SOHOA_LANG": "en"}
    if db_url:
        env["SOHOA_DB_URL"] = db_url
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if code is not None:
        assert done.returncode == code, done.stdout + done.stderr
    return {"rc": done.returncode, "out": json.loads(done.stdout or "null"), "err": done.stderr}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive with one dossier: two page images (a Party and a state document) and a
    two-page TIFF cut into two documents, the second made Mật by a person; corrections by two
    people."""
    root = tmp_path_factory.mktemp("package")
    batch = root / "hop-7"
    docs = [
        party_document(31, kind="TB", body="UBKTTU", pages=1, province="Bắc Giang"),
        state_document(32, pages=1),
    ]
    for n, doc in enumerate(docs, 1):
        path = batch / "hoso" / f"trang-{n}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        render_page(doc.pages[0]).save(path, dpi=(300, 300))
    save_scan(
        [render_lines(["Biên bản họp chi bộ"]), render_lines([SECRET_LINE])], batch / "bb.tif"
    )
    (batch / "sohoa.toml").write_text(
        f'phong = "TU-BG"\nho_so_code = "{CODE}"\nho_so_title = "Hồ sơ kiểm tra năm 2024"\n'
        'thoi_han_bao_quan = "Vĩnh viễn"\n\n[page_ranges]\n"bb.tif" = [[1, 1], [2, 2]]\n',
        encoding="utf-8",
    )
    kho = root / "kho"
    report = sohoa("ingest", str(batch), "--archive", str(kho), "--workers", "2")["out"]
    assert report["failures"] == [] and len(report["documents"]) == 4, report
    ids = by_file(kho)
    sohoa(
        "edit",
        str(ids["hoso/trang-1.png", 1]),
        "--set",
        "so_ky_hieu=31-TB/UBKTTU",
        "--who",
        "thu.le",
        "--archive",
        str(kho),
    )
    sohoa(
        "edit",
        str(ids["hoso/trang-1.png", 1]),
        "--set",
        "nguoi_ky=Nguyễn Văn An",
        "--who",
        "lan",
        "--archive",
        str(kho),
    )
    sohoa(
        "edit", str(ids["bb.tif", 2]), "--set", "do_mat=Mật", "--who", "lan", "--archive", str(kho)
    )
    return root


def by_file(kho: Path) -> dict[tuple[str, int], int]:
    """Documents by where they start: (file, page)."""
    with Archive(kho) as archive:
        return {(r.source_path, r.first_page): r.id for r in store.iter_documents(archive)}


@pytest.fixture(scope="module")
def exported(work: Path) -> dict:
    return sohoa(
        "export",
        "--package",
        "--dossier",
        CODE,
        "--clearance",
        "mat",
        "--to",
        str(work / "ra"),
        "--archive",
        str(work / "kho"),
    )["out"]


@pytest.fixture(scope="module")
def imported(work: Path, exported: dict) -> dict:
    return sohoa("import", exported["path"], "--archive", str(work / "kho-2"))["out"]


def test_without_clearance_a_secret_document_is_left_out_and_said(work: Path) -> None:
    out = sohoa(
        "export",
        "--package",
        "--dossier",
        CODE,
        "--to",
        str(work / "ra-cong-khai"),
        "--archive",
        str(work / "kho"),
    )["out"]
    assert out["left_out"] == 1 and len(out["documents"]) == 3
    # The TIFF holds the secret page too: its original stays behind, and is named.
    assert out["originals_left_out"] == ["bb.tif"]
    bag = Path(out["path"])
    bagit.Bag(str(bag)).validate()
    assert not list(bag.rglob("bb.tif"))
    for f in bag.rglob("*"):
        if f.is_file():  # not a byte of the secret document: text, metadata, image
            assert "Phụ lục mật".encode() not in f.read_bytes(), f
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "Sohoa-Documents-Left-Out: 1" in info
    descriptor = json.loads((bag / "data/metadata/sohoa/package.json").read_text("utf-8"))
    assert descriptor["documents_left_out"] == 1 and descriptor["clearance"] == "Công khai"
    # Imported, the public half of the TIFF has its text and metadata, not its original; the
    # import says so, and so does fixity.
    kho = work / "kho-cong-khai"
    done = sohoa("import", str(bag), "--archive", str(kho))["out"]
    assert done["originals_missing"] == ["bb.tif"] and len(done["documents"]) == 3
    fixity = sohoa("fixity", "--archive", str(kho), code=5)["out"]
    assert fixity["missing"] == ["bb.tif"]
    assert hits(kho, "Biên bản họp chi bộ") and not hits(kho, "Phụ lục")


def test_the_package_is_a_valid_bag_with_mets_and_premis(exported: dict) -> None:
    bag = Path(exported["path"])
    assert exported["left_out"] == 0 and len(exported["documents"]) == 4
    bagit.Bag(str(bag)).validate()
    manifest: dict[str, str] = {}
    for line in (bag / "manifest-sha256.txt").read_text("utf-8").splitlines():
        sha, path = line.split("  ", 1)
        manifest[path] = sha
    # METS: every payload file but METS itself in the file section or referenced as metadata,
    # each with the checksum the bag has for it (no METS schema offline: structure checked).
    mets = etree.parse(str(bag / "data/METS.xml")).getroot()
    referenced = {}
    for el in mets.iter(f"{METS}file", f"{METS}mdRef"):
        href = (el.find(f"{METS}FLocat") if el.tag == f"{METS}file" else el).get(f"{XLINK}href")
        referenced[href] = el.get("CHECKSUM")
        assert el.get("CHECKSUMTYPE") == "SHA-256"
    payload = {p.removeprefix("data/"): sha for p, sha in manifest.items()}
    assert set(referenced) == set(payload) - {"METS.xml"}
    assert all(payload[href] == sha for href, sha in referenced.items())
    originals = {
        f.get("ID"): f for f in mets.iterfind(f".//{METS}fileGrp[@USE='Originals']/{METS}file")
    }
    assert {f.get("MIMETYPE") for f in originals.values()} == {"image/png", "image/tiff"}
    # The structural map: dossier > documents > pages, each page pointing to its original.
    (dossier,) = mets.iterfind(f"{METS}structMap/{METS}div")
    assert dossier.get("TYPE") == "ho-so" and dossier.get("LABEL") == "Hồ sơ kiểm tra năm 2024"
    documents = dossier.findall(f"{METS}div")
    assert [d.get("ORDER") for d in documents] == ["1", "2", "3", "4"]
    pages = [p for d in documents for p in d.findall(f"{METS}div")]
    assert len(pages) == 4
    tiff = [p.find(f"{METS}fptr/{METS}area") for p in pages if "bb.tif" in p.get("LABEL")]
    assert [(a.get("BEGIN"), a.get("END")) for a in tiff] == [("1", "1"), ("2", "2")]
    assert all(originals[a.get("FILEID")].get("MIMETYPE") == "image/tiff" for a in tiff)
    vb = mets.find(f".//{METS}dmdSec/{METS}mdWrap/{METS}xmlData/{{urn:sohoa:tt05-2025}}VanBan")
    assert vb is not None and vb.find("{urn:sohoa:tt05-2025}FileCode").text == CODE
    # PREMIS: ingestion and fixity of each original, OCR of each page, each correction by whom.
    premis = etree.parse(str(bag / "data/metadata/preservation/PREMIS.xml")).getroot()
    events = [e.findtext(f"{PREMIS}eventType") for e in premis.iter(f"{PREMIS}event")]
    assert events.count("ingestion") == events.count("fixity check") == 3
    assert events.count("optical character recognition") == 4
    assert events.count("metadata modification") == 3
    assert events.count("information package creation") == 1
    people = {
        a.findtext(f"{PREMIS}agentName")
        for a in premis.iter(f"{PREMIS}agent")
        if a.findtext(f"{PREMIS}agentType") == "person"
    }
    assert people == {"thu.le", "lan"}
    assert any(
        n.startswith("tesseract")
        for n in (a.findtext(f"{PREMIS}agentName") for a in premis.iter(f"{PREMIS}agent"))
    )
    # The standard's names, as `sohoa export --dossier` writes them.
    desc = json.loads((bag / f"data/metadata/descriptive/ho-so-{CODE}.json").read_text("utf-8"))
    (first,) = (d for d in desc["documents"] if d["SourceFile"] == "hoso/trang-1.png")
    assert first["FileCode"] == CODE and first["SignerName"] == "Nguyễn Văn An"
    assert first["corrections"]["so_ky_hieu"] == "31-TB/UBKTTU"
    assert desc["dossiers"][0]["Maintenance"] == "Vĩnh viễn"


def test_the_round_trip_loses_nothing(work: Path, exported: dict, imported: dict) -> None:
    mapping = {d["source_id"]: d["id"] for d in imported["documents"]}
    assert sorted(mapping) == sorted(exported["documents"])
    assert imported["fixity_ok"] and imported["documents_added"] == 4
    assert imported["corrections_added"] == 3 and imported["pages_added"] == 4
    with Archive(work / "kho") as a, Archive(work / "kho-2") as b:
        for old_id, new_id in mapping.items():
            old, new = store.document(a, old_id), store.document(b, new_id)
            for name in (
                "title",
                "source_path",
                "sha256",
                "first_page",
                "last_page",
                "access_level",
                "extracted",
                "corrections",
                "dossier_code",
                "pages",
            ):
                assert getattr(new, name) == getattr(old, name), name
            assert corrections(b, new_id) == corrections(a, old_id)
            keys = [(p.sha256, p.source_page) for p in old.pages]
            # Text, words with boxes and confidences, quality, cleanup, engine: all of it.
            assert store.page_results(b, keys) == store.page_results(a, keys)
            assert ocr_dates(b, keys) == ocr_dates(a, keys)
            assert updated_at(b, new_id) == updated_at(a, old_id)
            assert show(b.root, new_id) == {**show(a.root, old_id), "id": new_id}
        assert store.dossiers(b) == store.dossiers(a)
        assert batches(b) == batches(a)
        assert files(b) == files(a)
        for _, sha, _, _, _ in files(b):
            assert sha256_file(b.blobs.path_for(sha)) == sha
        assert store.status(b) == store.status(a)
    assert sohoa("fixity", "--archive", str(work / "kho-2"))["out"]["ok"] is True
    for query in (
        "so:31-TB/UBKTTU",
        "kiểm tra",
        "kiem tra",
        "Phụ lục mật",
        "Biên bản họp chi bộ",
        'nguoi_ky:"Nguyễn Văn An"',
        "do_mat:mat",
    ):
        found = hits(work / "kho", query)
        assert hits(work / "kho-2", query) == {mapping[d] for d in found}, query
        assert found or query in ("kiểm tra", "kiem tra"), query


def test_importing_again_stores_nothing_twice(work: Path, exported: dict, imported: dict) -> None:
    again = sohoa("import", exported["path"], "--archive", str(work / "kho-2"))["out"]
    assert again["documents"] == imported["documents"]
    assert (
        again["files_added"],
        again["pages_added"],
        again["documents_added"],
        again["corrections_added"],
    ) == (0, 0, 0, 0)
    with Archive(work / "kho") as a, Archive(work / "kho-2") as b:
        assert store.status(b) == store.status(a)
        for d in imported["documents"]:
            assert len(corrections(b, d["id"])) == len(corrections(a, d["source_id"]))
        assert not store.pending_jobs(b)


def test_a_damaged_or_incomplete_package_is_refused_naming_the_file(
    work: Path, exported: dict, tmp_path: Path
) -> None:
    bag = tmp_path / "goi"
    shutil.copytree(exported["path"], bag)
    original = next((bag / "data/representations/originals/data").rglob("trang-1.png"))
    raw = bytearray(original.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    original.write_bytes(bytes(raw))
    out = sohoa("import", str(bag), "--archive", str(tmp_path / "kho-3"), code=5)
    assert "representations/originals/data/lo-1/hoso/trang-1.png" in out["err"]
    assert not (tmp_path / "kho-3").exists()  # refused before anything was written
    shutil.copyfile(next(Path(exported["path"]).rglob("trang-1.png")), original)
    gone = next((bag / "data/metadata/sohoa/pages").glob("*.json"))
    gone.unlink()
    out = sohoa("import", str(bag), "--archive", str(tmp_path / "kho-3"), code=5)
    assert f"data/metadata/sohoa/pages/{gone.name}: thiếu / missing" in out["err"]
    assert not (tmp_path / "kho-3").exists()


def test_a_fonds_package_holds_each_of_its_dossiers(work: Path, exported: dict) -> None:
    out = sohoa(
        "export",
        "--package",
        "--phong",
        "TU-BG",
        "--clearance",
        "mat",
        "--to",
        str(work / "ra-phong"),
        "--archive",
        str(work / "kho"),
    )["out"]
    assert Path(out["path"]).name == "phong-TU-BG"
    assert out["documents"] == exported["documents"]
    bagit.Bag(out["path"]).validate()
    missing = sohoa(
        "export",
        "--package",
        "--phong",
        "KHONG-CO",
        "--to",
        str(work / "ra-x"),
        "--archive",
        str(work / "kho"),
        code=7,
    )
    assert "KHONG-CO" in missing["err"]


def corrections(archive: Archive, doc_id: int) -> list[tuple]:
    with archive.reading() as s:
        rows = s.scalars(
            select(Correction).where(Correction.document_id == doc_id).order_by(Correction.id)
        )
        return [(c.field, c.value, c.who, utc(c.at)) for c in rows]


def utc(when: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive (written in UTC), PostgreSQL with their zone."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def ocr_dates(archive: Archive, keys: list[tuple[str, int]]) -> list:
    with archive.reading() as s:
        dates = {(p.sha256, p.source_page): p.created_at for p in s.scalars(select(Page))}
    return [dates[k] for k in keys]


def updated_at(archive: Archive, doc_id: int) -> object:
    with archive.reading() as s:
        return s.scalar(select(Document.updated_at).where(Document.id == doc_id))


def batches(archive: Archive) -> list[tuple]:
    with archive.reading() as s:
        return [
            (b.path, b.name, b.manifest, b.created_at, b.finished_at)
            for b in s.scalars(select(Batch).order_by(Batch.id))
        ]


def files(archive: Archive) -> list[tuple]:
    with archive.reading() as s:
        return sorted(
            (f.rel_path, f.sha256, f.size, f.kind, f.pages) for f in s.scalars(select(SourceFile))
        )


def cli(*args: str) -> dict:
    """The same command in this process (for the many reads that compare the two archives)."""
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict = json.loads(result.stdout)
    return out


def show(kho: Path, doc_id: int) -> dict:
    """`sohoa show --json`, the signatures' notes aside (they name the archive's folder)."""
    shown = cli("show", str(doc_id), "--clearance", "mat", "--archive", str(kho))
    shown["signatures"].pop("notes")
    return shown


def hits(kho: Path, query: str) -> set[int]:
    found = cli("search", query, "--clearance", "mat", "--archive", str(kho))
    return {h["doc_id"] for h in found["hits"]}


def test_a_package_imports_alike_into_postgresql(
    work: Path, exported: dict, pg_url: str, tmp_path: Path
) -> None:
    kho = tmp_path / "kho-pg"
    first = sohoa("import", exported["path"], "--archive", str(kho), db_url=pg_url)["out"]
    again = sohoa("import", exported["path"], "--archive", str(kho), db_url=pg_url)["out"]
    assert again["documents"] == first["documents"] and again["corrections_added"] == 0
    with Archive(work / "kho") as a, Archive(kho, db_url=pg_url) as b:
        for d in first["documents"]:
            old, new = store.document(a, d["source_id"]), store.document(b, d["id"])
            assert (new.extracted, new.corrections, new.pages) == (
                old.extracted,
                old.corrections,
                old.pages,
            )
            assert corrections(b, d["id"]) == corrections(a, d["source_id"])
        assert store.status(b) == store.status(a)
