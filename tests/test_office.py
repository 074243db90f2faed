"""Office documents in a batch: converted by real LibreOffice, originals kept as delivered."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

from click.testing import CliRunner

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from ocr.office import office_kind, soffice
from pipeline.cli import main
from pipeline.signatures import page_sources
from scripts import born_digital as bd
from scripts.synth import cer


def test_docx_and_odt_are_read_from_their_pdf_and_kept_as_delivered(tmp_path: Path) -> None:
    batch = tmp_path / "lo"
    batch.mkdir()
    texts = bd.page_texts(1, seed=3)[0].split("\n")
    odt = bd.odt_file(batch / "to-trinh.odt", texts)
    # A real .docx, as Word would deliver it: LibreOffice's own conversion of the same text.
    work = tmp_path / "lo-docx"
    subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "docx", "--outdir", str(work), str(odt)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    docx = batch / "bao-cao.docx"
    shutil.move(work / "to-trinh.docx", docx)
    broken = batch / "hong.docx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "not xml")
        z.writestr("word/document.xml", "\x00\x01 not a document")
    assert office_kind(docx) == "docx" and office_kind(odt) == "odt"

    kho = tmp_path / "kho"
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(batch), "--archive", str(kho), "--json"])
    report = json.loads(result.output)
    assert [f["file"] for f in report["failures"]] == ["hong.docx"], report
    assert "hong.docx" in report["failures"][0]["reason"]
    with Archive(kho) as archive:
        records = [store.document(archive, d) for d in report["documents"]]
        by_file = {r.source_path: r for r in records}
        assert set(by_file) == {"bao-cao.docx.pdf", "to-trinh.odt.pdf"}
        for record in records:
            assert set(page_sources(archive, record.id)) == {"text_layer"}
            text = "\n".join(p.text for p in record.pages)
            assert cer("\n".join(texts), text) < 0.02
        known = store.known_files(archive, report["batch_id"])
        for original in (odt, docx):
            kept = known[original.name]
            assert kept.sha256 == sha256_file(original) and kept.pages == 0
            assert archive.blobs.path_for(kept.sha256).read_bytes() == original.read_bytes()
    # Fixity covers the originals; a re-cut from the store alone works with them.
    assert runner.invoke(main, ["fixity", "--archive", str(kho)]).exit_code == 0
    again = runner.invoke(main, ["reextract", "--archive", str(kho), "--json"])
    assert again.exit_code == 0, again.output
