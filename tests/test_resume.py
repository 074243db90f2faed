"""A run killed with SIGKILL, started again, ends with every page stored exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from archive_store import store
from archive_store.db import Archive
from archive_store.models import Page
from tests.conftest import render_lines, save_scan

PAGES = 12


def test_killed_ingest_resumes_without_losing_or_duplicating_a_page(tmp_path: Path) -> None:
    batch = tmp_path / "hop"
    for i in range(PAGES):
        save_scan(
            render_lines([f"Trang số {i + 1} của hồ sơ kiểm tra đảng viên"]),
            batch / f"trang{i + 1}.png",
        )
    archive_dir = tmp_path / "kho"
    cmd = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "ingest",
        str(batch),
        "--archive",
        str(archive_dir),
        "--workers",
        "2",
        "--json",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    stored = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (archive_dir / "archive.db").exists():
            with Archive(archive_dir) as archive:
                stored = store.status(archive).pages
            if stored >= 3:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-batch
    proc.wait()
    assert 3 <= stored < PAGES

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["pages_total"] == PAGES
    assert report["pages_done"] + report["pages_skipped"] == PAGES
    assert report["pages_skipped"] >= stored
    # The folder's page images carry no first-page cues: one dossier document, every page
    # once and in the folder's order, whichever run read it.
    (doc_id,) = report["documents"]

    with Archive(archive_dir) as archive, archive.session() as s:
        rows = s.execute(select(Page.sha256, Page.source_page)).all()
        assert s.scalar(select(func.count(Page.id))) == PAGES
        pages = store.document(archive, doc_id).pages
    assert len(set(rows)) == PAGES
    assert [p.source_path for p in pages] == [f"trang{i + 1}.png" for i in range(PAGES)]
    assert all(f"Trang số {i + 1} " in p.text for i, p in enumerate(pages))
