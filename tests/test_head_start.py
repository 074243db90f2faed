"""The batch's first pages started before the store is open: the same reading, no page twice,
nothing started for what the archive holds (real processes, real Tesseract)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive_store.db import Archive
from pipeline.executor import ProcessExecutor
from pipeline.head_start import first_pages, page_key
from pipeline.run import IngestOptions, ingest
from tests.conftest import render_lines, save_scan


def stamped(x: int) -> tuple[int, float]:
    """In a worker: the task and when it ran."""
    return x, time.time()


def other(x: int) -> tuple[int, float]:
    return x, time.time()


def test_a_run_takes_the_results_started_early_and_drops_the_rest() -> None:
    executor = ProcessExecutor(2)
    try:
        executor.head_start(stamped, [1, 2], key=lambda x: x)
        time.sleep(1.0)  # the early tasks are done by now
        begun = time.time()
        outcomes = {o.task: o.result for o in executor.run(stamped, [2, 3])}
        assert set(outcomes) == {2, 3}  # 1 is not in the plan: dropped
        assert outcomes[2] is not None and outcomes[2][1] < begun  # run before the plan came
        assert outcomes[3] is not None and outcomes[3][1] >= begun
        # Started for other work: not taken.
        executor.head_start(other, [4], key=lambda x: x)
        time.sleep(0.5)
        begun = time.time()
        (late,) = [o.result for o in executor.run(stamped, [4])]
        assert late is not None and late[1] >= begun
    finally:
        executor.close()


def _batch(folder: Path) -> Path:
    save_scan(render_lines(["QUYẾT ĐỊNH", "Về việc bổ nhiệm cán bộ"]), folder / "a.png")
    save_scan(render_lines(["THÔNG BÁO", "Kết luận của Ban Thường vụ"]), folder / "b.png")
    shutil.copy(folder / "a.png", folder / "z-lan-2.png")  # the same scan twice
    save_scan(render_lines(["Công văn", "số 12-CV/TU"]), folder / "c.pdf")
    return folder


def test_first_pages_are_new_rasters_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = _batch(tmp_path / "hop")
    kho = tmp_path / "kho"
    early = first_pages(batch, kho, 4)
    # The PDF may be signed (checked before any page is read); the copy is the same content.
    assert [t.rel_path for t in early] == ["a.png", "b.png"]
    assert all(t.source_page == 1 and t.path.parent == batch for t in early)
    report = ingest(Archive(kho), batch, IngestOptions(workers=1))
    assert report.pages_failed == 0
    assert first_pages(batch, kho, 4) == []  # run again: nothing to start
    monkeypatch.setenv("SOHOA_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    (batch / "d.png").write_bytes((batch / "b.png").read_bytes() + b"\0")
    assert first_pages(batch, tmp_path / "other", 4) == []  # cannot be asked cheaply


def test_the_command_with_a_head_start_stores_what_the_library_stores(tmp_path: Path) -> None:
    batch = _batch(tmp_path / "hop")
    cli = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "ingest", str(batch), "--archive",
         str(tmp_path / "cli"), "--workers", "2", "--json"],
        capture_output=True, text=True, env={**os.environ, "SOHOA_LANG": "en"}, timeout=300,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    ingest(Archive(tmp_path / "lib"), batch, IngestOptions(workers=1))

    def pages(kho: str) -> list[tuple]:
        with sqlite3.connect(tmp_path / kho / "archive.db") as c:
            return sorted(c.execute("SELECT sha256, source_page, text, words, engine FROM page"))

    assert len(pages("cli")) == 3 and pages("cli") == pages("lib")
    assert key_of_first(batch) in {(p[0], p[1]) for p in pages("cli")}


def key_of_first(batch: Path) -> tuple[str, int]:
    (first,) = first_pages(batch, batch.parent / "nowhere", 1)
    return page_key(first)
