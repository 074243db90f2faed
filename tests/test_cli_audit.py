"""What a user reads with the local CLI goes into the audit trail, in the server's hash chain."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archive_store import audit
from archive_store.db import Archive
from pipeline.cli import main


def test_local_reads_are_recorded_and_a_read_only_store_still_reads(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()  # a born-digital page: no OCR, so the test stays quick
    pdf.add_page()
    pdf.add_font("serif", fname="/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    pdf.set_font("serif", size=16)
    pdf.cell(text="Báo cáo của Tỉnh ủy Bắc Giang về công tác kiểm tra")
    (tmp_path / "hop").mkdir()
    pdf.output(str(tmp_path / "hop" / "bao-cao.pdf"))
    kho = ["--archive", str(tmp_path / "kho")]
    run = CliRunner(env={"SOHOA_LANG": "en"}).invoke
    ingested = run(main, ["ingest", str(tmp_path / "hop"), "--workers", "1", *kho])
    assert ingested.exit_code == 0, ingested.output

    assert run(main, ["search", "kiểm tra", *kho]).exit_code == 0
    assert run(main, ["show", "1", *kho]).exit_code == 0
    assert run(main, ["edit", "1", "--set", "do_mat=Mật", *kho]).exit_code == 0
    assert run(main, ["show", "1", *kho]).exit_code == 6
    assert run(main, ["show", "9", *kho]).exit_code == 7
    to = ["--to", str(tmp_path / "ra")]
    assert run(main, ["export", "1", *to, "--clearance", "mat", *kho]).exit_code == 0
    assert run(main, ["review", "--clearance", "mat", *kho]).exit_code == 0

    archive = Archive(tmp_path / "kho", create=False)
    found = [e for e in audit.entries(archive) if e.user.startswith("local:")]
    assert [(e.action, e.outcome, e.document_id) for e in found] == [
        ("search", "ok", None),
        ("document", "ok", 1),
        ("correction", "ok", 1),
        ("document", "denied", 1),
        ("document", "missing", 9),
        ("export", "ok", 1),
        ("review", "ok", None),
    ]
    assert found[0].detail == {"query": "kiểm tra", "total": 1, "clearance": "cong-khai",
                               "via": "cli"}  # fmt: skip
    assert {e.client for e in found} == {"cli"}
    assert run(main, ["audit", "verify", *kho]).exit_code == 0

    # A store that cannot be written (here a read-only database connection): reads go on,
    # with a warning that they went unrecorded, and the chain is as it was.
    read_only = f"sqlite:///file:{tmp_path / 'kho' / 'archive.db'}?mode=ro&uri=true"
    shown = CliRunner(env={"SOHOA_LANG": "en", "SOHOA_DB_URL": read_only}).invoke(
        main, ["search", "kiểm tra", "--clearance", "mat", *kho]
    )
    assert shown.exit_code == 0 and "1 documents match" in shown.stdout
    assert shown.stderr.startswith("Warning: could not write the audit trail (attempt to write")
    assert audit.verify(archive).checked == len(list(audit.entries(archive)))
    assert len([e for e in audit.entries(archive) if e.user.startswith("local:")]) == len(found)
    archive.close()
