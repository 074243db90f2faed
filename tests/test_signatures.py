"""Digital signatures: PDFs signed in the test by a throw-away CA with pyHanko, checked, stored,
shown; and the real signed files of ../shared/real read without error."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive_store import signatures as stored
from archive_store import store
from archive_store.db import Archive
from pipeline.cli import main
from pipeline.signatures import page_sources
from scripts import born_digital as bd
from signing.trust import load_trust_roots, trust_dir
from signing.verify import BROKEN, NONE, UNVERIFIED, VALID, check_pdf_signatures

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One unsigned born-digital PDF and its signed variants, with the CA roots to trust."""
    d = tmp_path_factory.mktemp("signed")
    now = dt.datetime.now(dt.UTC)
    ca = bd.make_ca(d / "ca")
    old = bd.make_ca(
        d / "old", not_before=now - dt.timedelta(days=800), not_after=now - dt.timedelta(days=400)
    )
    stranger = bd.make_ca(d / "other", root_cn="a root nobody installed")
    src = bd.vietnamese_pdf(d / "src.pdf", bd.page_texts(2, seed=7))
    ok = bd.sign_pdf(src, d / "ok.pdf", ca)
    data = ok.read_bytes()
    (d / "truncated.pdf").write_bytes(data[: len(data) * 2 // 3])
    return {
        "src": src,
        "ok": ok,
        "twice": bd.sign_pdf(ok, d / "twice.pdf", ca, field="Signature2"),
        "tampered": bd.tamper_one_byte(ok, d / "tampered.pdf"),
        "appended": bd.append_page_text(ok, d / "appended.pdf"),
        "expired": bd.sign_pdf(src, d / "expired.pdf", old),
        "unknown": bd.sign_pdf(src, d / "unknown.pdf", stranger),
        "truncated": d / "truncated.pdf",
        "root": ca.root_pem,
        "old_root": old.root_pem,
    }


def _roots(signed: dict[str, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "trust"
    folder.mkdir()
    shutil.copy(signed["root"], folder / "root.pem")
    shutil.copy(signed["old_root"], folder / "old.pem")
    return folder


@pytest.mark.parametrize(
    ("name", "status", "problem"),
    [
        ("src", NONE, None),
        ("ok", VALID, None),
        ("twice", VALID, None),
        ("tampered", BROKEN, "not_intact"),
        ("appended", BROKEN, "changed_after_signing"),
        ("expired", BROKEN, "cert_not_valid_at_signing"),
        ("unknown", UNVERIFIED, "untrusted"),
    ],
)
def test_each_signature_outcome(
    signed: dict[str, Path], tmp_path: Path, name: str, status: str, problem: str | None
) -> None:
    found = check_pdf_signatures(signed[name], load_trust_roots(_roots(signed, tmp_path)))
    assert found.status == status, found
    assert not found.error
    if problem:
        assert any(problem in c.problems for c in found.signatures)
    for c in found.signatures:
        assert c.signer_cn == "Sở Nội vụ tỉnh Quảng Ngãi" and c.signer_org == c.signer_cn
        assert c.digest_algorithm == "sha256" and c.signing_time
        assert c.subfilter == "/ETSI.CAdES.detached"
    if status == VALID:
        assert all(
            len(c.chain) == 2 and "sohoa test root CA" in c.chain[-1] for c in found.signatures
        )
    if name == "twice":
        first, second = found.signatures
        assert first.modified_after and first.modification_level == "form_filling"
        assert not second.modified_after


def test_without_trust_roots_a_good_signature_is_unverified(signed: dict[str, Path]) -> None:
    found = check_pdf_signatures(signed["ok"])
    assert found.status == UNVERIFIED and found.trust_roots == 0
    (c,) = found.signatures
    assert c.intact and c.valid and "untrusted" in c.problems


def test_a_truncated_signed_pdf_is_an_error_naming_why(signed: dict[str, Path]) -> None:
    found = check_pdf_signatures(signed["truncated"])
    assert found.status == BROKEN and "cut short" in found.error


def test_ingest_stores_shows_and_rechecks_signatures(
    signed: dict[str, Path], tmp_path: Path
) -> None:
    batch = tmp_path / "lo"
    batch.mkdir()
    for name in ("ok", "tampered", "unknown", "src", "truncated"):
        shutil.copy(signed[name], batch / f"{name}.pdf")
    kho = tmp_path / "kho"
    with Archive(kho) as archive:
        shutil.copytree(_roots(signed, tmp_path), trust_dir(archive.root))
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(batch), "--archive", str(kho), "--json"])
    report = json.loads(result.output)
    # The truncated file is named; the rest of the batch is stored.
    assert any(f["file"] == "truncated.pdf" for f in report["failures"]), report
    with Archive(kho) as archive:
        by_file = {}
        for doc_id in report["documents"]:
            record = store.document(archive, doc_id)
            by_file[record.source_path] = doc_id
            # Born-digital pages: no OCR ran.
            if record.source_path != "truncated.pdf":
                assert set(page_sources(archive, doc_id)) == {"text_layer"}
        statuses = stored.documents_status(archive, list(by_file.values()))
        assert statuses[by_file["ok.pdf"]] == VALID
        assert statuses[by_file["tampered.pdf"]] == BROKEN
        assert statuses[by_file["unknown.pdf"]] == UNVERIFIED
        assert statuses[by_file["src.pdf"]] == NONE
    shown = runner.invoke(main, ["show", str(by_file["ok.pdf"]), "--archive", str(kho), "--json"])
    view = json.loads(shown.output)
    sig = view["signatures"]
    assert sig["status"] == VALID and sig["trust_roots"] == 2
    (one,) = sig["files"][0]["signatures"]
    assert one["signer_cn"] == "Sở Nội vụ tỉnh Quảng Ngãi" and one["intact"]
    assert view["pages"][0]["text_source"] == "text_layer"
    assert view["pages"][0]["mean_confidence"] is None

    def hits(query: str) -> set[str]:
        out = runner.invoke(main, ["search", query, "--archive", str(kho), "--json"])
        assert out.exit_code == 0, out.output
        ids = {h["doc_id"] for h in json.loads(out.output)["hits"]}
        return {path for path, doc_id in by_file.items() if doc_id in ids}

    assert hits("ky_so:hop-le") == {"ok.pdf"}
    assert hits("ky_so:loi") >= {"tampered.pdf"}
    assert hits("ky_so:chua-xac-minh") == {"unknown.pdf"}
    assert hits('ky_so:"không"') == {"src.pdf"}
    # The export: the PDF/A rendition, and beside it the signed original byte for byte.
    out = tmp_path / "ra"
    exported = runner.invoke(
        main, ["export", str(by_file["ok.pdf"]), "--to", str(out), "--archive", str(kho)]
    )
    assert exported.exit_code == 0, exported.output
    doc_id = by_file["ok.pdf"]
    assert (out / f"van-ban-{doc_id}.ban-goc-ky-so-1.pdf").read_bytes() == signed["ok"].read_bytes()
    (row,) = json.loads((out / f"van-ban-{doc_id}.json").read_text(encoding="utf-8"))
    assert row["DigitalSignature"] == VALID and row["SignedBy"] == "Sở Nội vụ tỉnh Quảng Ngãi"
    assert row["SigningTime"]
    # The trust root removed: fixity's re-check says unverified now.
    shutil.rmtree(kho / "trust")
    fixity = runner.invoke(main, ["fixity", "--signatures", "--archive", str(kho), "--json"])
    checked = json.loads(fixity.output)["signatures"]
    assert checked["ok.pdf"] == UNVERIFIED and checked["tampered.pdf"] == BROKEN
    assert hits("ky_so:hop-le") == set()
    assert hits("ky_so:chua-xac-minh") == {"ok.pdf", "unknown.pdf"}


def test_real_signed_files_are_read() -> None:
    files = sorted((REAL / "pdfs").glob("*.pdf")) + sorted((REAL / "scans").glob("qngai_0*.pdf"))
    assert files
    for path in files:
        found = check_pdf_signatures(path)
        assert found.signatures and not found.error, path
        for c in found.signatures:
            assert c.intact and c.valid and c.signer_cn and c.signing_time, (path, c)
            assert c.status == UNVERIFIED  # no trust roots ship
    # Rewritten after signing: the byte ranges no longer point at the signature.
    rewritten = check_pdf_signatures(REAL / "scans" / "danang_vietadmin_data_3.pdf")
    assert rewritten.status == BROKEN and "rewritten after signing" in rewritten.error


def test_the_store_keeps_signatures_on_sqlite_and_postgresql(
    archive: Archive, signed: dict[str, Path]
) -> None:
    found = check_pdf_signatures(signed["twice"])
    stored.save_signatures(archive, "a" * 64, found)
    stored.save_signatures(archive, "b" * 64, check_pdf_signatures(signed["truncated"]))
    again = stored.file_signatures(archive, "a" * 64)
    assert [c.as_json() for c in again.signatures] == [c.as_json() for c in found.signatures]
    assert again.status == UNVERIFIED
    broken = stored.file_signatures(archive, "b" * 64)
    assert broken.status == BROKEN and "cut short" in broken.error
    assert stored.checked_files(archive, ["a" * 64, "c" * 64]) == {"a" * 64}
    # Checked again: replaced, not added to.
    stored.save_signatures(archive, "a" * 64, found)
    assert len(stored.file_signatures(archive, "a" * 64).signatures) == 2
