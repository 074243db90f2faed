"""Past one machine: a real Dask scheduler and worker processes read the pages of a batch."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select

from archive_store import store
from archive_store.db import Archive
from archive_store.models import Page
from tests.conftest import render_lines, save_scan

DASK = Path(sys.executable).parent / "dask"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(log: Path, text: str, count: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count(text) >= count:
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen]]:
    """A scheduler and two single-threaded worker processes on this machine."""
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    started = []
    try:
        log = logs / "scheduler.log"
        with log.open("w") as out:
            scheduler = subprocess.Popen(
                [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(scheduler)
        wait_for(log, "Scheduler at:", 1, scheduler, "dask scheduler")
        log = logs / "workers.log"
        with log.open("w") as out:
            workers = subprocess.Popen(
                [DASK, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(workers)
        wait_for(log, "Registered to:", 2, workers, "dask worker")
        yield address, workers
    finally:
        for proc in reversed(started):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def make_batch(folder: Path, pages: int) -> Path:
    for i in range(pages):
        save_scan(render_lines([f"Trang số {i + 1} của hồ sơ Mặt trận"]), folder / f"t{i + 1}.png")
    return folder


def ingest(batch: Path, archive: Path, address: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pipeline.cli", "ingest", str(batch), "--archive", str(archive)]
    return subprocess.Popen(
        [*cmd, "--scheduler", address, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_batch_is_read_on_the_cluster(cluster: tuple[str, subprocess.Popen], tmp_path: Path):
    address, _ = cluster
    batch = make_batch(tmp_path / "hop", 6)
    out, err = ingest(batch, tmp_path / "kho", address).communicate(timeout=300)
    report = json.loads(out)
    assert report["pages_done"] == 6 and report["failures"] == [], err
    with Archive(tmp_path / "kho") as archive:
        (doc,) = [store.document(archive, d) for d in report["documents"]]
        assert [p.source_path for p in doc.pages] == [f"t{i + 1}.png" for i in range(6)]
        assert all(f"Trang số {i + 1} " in p.text for i, p in enumerate(doc.pages))


def test_a_killed_cluster_worker_loses_no_page(
    cluster: tuple[str, subprocess.Popen], tmp_path: Path
) -> None:
    address, workers = cluster
    pages = 24  # enough that the batch is still running when a worker is killed
    batch = make_batch(tmp_path / "hop", pages)
    archive_dir = tmp_path / "kho"
    run = ingest(batch, archive_dir, address)
    stored = 0
    deadline = time.monotonic() + 120
    while stored < 2 and time.monotonic() < deadline and run.poll() is None:
        if (archive_dir / "archive.db").exists():
            with Archive(archive_dir) as archive:
                stored = store.status(archive).pages
        time.sleep(0.05)
    assert run.poll() is None, "the batch finished before a worker could be killed"
    # The worker processes are the children of `dask worker` (their nannies live in it).
    victims = [
        p
        for p in psutil.Process(workers.pid).children()
        if "resource_tracker" not in " ".join(p.cmdline())
    ]
    assert len(victims) == 2
    os.kill(victims[0].pid, signal.SIGKILL)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    report = json.loads(out)
    assert report["pages_done"] + report["pages_skipped"] == pages
    assert report["failures"] == []
    with Archive(archive_dir) as archive, archive.session() as s:
        assert s.scalar(select(func.count(Page.id))) == pages
        rows = s.execute(select(Page.sha256, Page.source_page)).all()
    assert len(set(rows)) == pages


def test_a_worker_that_does_not_see_the_blob_folder_says_so(tmp_path: Path) -> None:
    from archive_store.blobs import BlobStore
    from pipeline.discover import PageTask
    from pipeline.reading import read_page_task
    from pipeline.run import _explain
    from sohoa.errors import InputError

    blob = BlobStore(tmp_path / "blobs").path_for("ab" * 32)  # not there
    task = PageTask(blob, "hs/trang-3.png", "ab" * 32, 1)
    with pytest.raises(InputError) as caught:
        read_page_task(task, lang="vie", max_pixels=10**8)
    vi, _ = _explain(caught.value, task)
    assert vi.startswith("hs/trang-3.png, trang 1:") and "gắn cùng đường dẫn" in vi
    assert str(tmp_path / "blobs") in vi


def test_a_scheduler_that_does_not_answer_stops_the_run_before_any_work(tmp_path: Path) -> None:
    batch = make_batch(tmp_path / "hop", 1)
    run = ingest(batch, tmp_path / "kho", f"tcp://127.0.0.1:{free_port()}")
    _, err = run.communicate(timeout=120)
    assert run.returncode == 5 and "Không kết nối được bộ lập lịch Dask" in err
    with Archive(tmp_path / "kho") as archive:
        assert store.status(archive).files == 0
