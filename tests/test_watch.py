"""A scanner station's folder watched: a batch is ingested once complete, once, across restarts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from archive_store import store
from archive_store.db import Archive
from tests.conftest import render_lines, save_scan

SOHOA = (sys.executable, "-m", "pipeline.cli")
ENV = {**os.environ, "SOHOA_LANG": "en", "OMP_THREAD_LIMIT": "1"}


def stored_pages(archive: Path) -> int:
    if not (archive / "archive.db").exists():
        return 0
    with Archive(archive) as a:
        return store.status(a).pages


def one_pass(root: Path, where: tuple[str, ...]) -> int:
    """A watcher started again, for one pass over the scan root."""
    cmd = [*SOHOA, "watch", str(root), "--settle", "0", "--once", *where]
    return subprocess.run(cmd, env=ENV, capture_output=True, timeout=120).returncode


def test_a_folder_still_being_written_is_ingested_only_once_complete(tmp_path: Path) -> None:
    root, archive = tmp_path / "may-quet", tmp_path / "kho"
    root.mkdir()
    pages = tmp_path / "ra"
    save_scan(render_lines(["Biên bản họp chi bộ thôn Đông"]), pages / "1.png")
    save_scan(render_lines(["Nghị quyết của chi bộ thôn Đông"]), pages / "2.png")
    log = tmp_path / "watch.log"
    where = ("--workers", "1", "--archive", str(archive), "--log", str(log))
    watcher = subprocess.Popen(
        [*SOHOA, "watch", str(root), "--settle", "3", "--interval", "0.5", *where],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # The scanner writes the batch page by page, the second page slowly.
        batch = root / "hop-1"
        batch.mkdir()
        (batch / "1.png").write_bytes((pages / "1.png").read_bytes())
        half = (pages / "2.png").read_bytes()
        with (batch / "2.png").open("wb") as out:
            for i in range(0, len(half), len(half) // 4 + 1):
                out.write(half[i : i + len(half) // 4 + 1])
                out.flush()
                time.sleep(1.0)
                assert stored_pages(archive) == 0, "ingested while still being written"
        deadline = time.monotonic() + 120
        while stored_pages(archive) < 2:
            assert watcher.poll() is None, watcher.stderr.read() if watcher.stderr else ""
            assert time.monotonic() < deadline, log.read_text() if log.exists() else "no log"
            time.sleep(0.5)
        time.sleep(5)  # more passes: nothing ingested again
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
        if watcher.stderr:
            watcher.stderr.close()
    text = log.read_text()
    assert text.count("ingesting") == 1, text
    assert "2 pages stored" in text
    # A restarted watcher ingests nothing twice; a page added later is taken in.
    assert one_pass(root, where) == 0 and log.read_text().count("ingesting") == 1
    save_scan(render_lines(["Danh sách đảng viên chi bộ"]), batch / "3.png")
    os.utime(batch / "3.png", (time.time() - 10, time.time() - 10))
    os.utime(batch, (time.time() - 10, time.time() - 10))
    assert one_pass(root, where) == 0 and log.read_text().count("ingesting") == 2
    assert stored_pages(archive) == 3
