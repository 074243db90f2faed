"""Batch discovery order and the process executor, with real worker processes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from pipeline.discover import discover, natural_key
from pipeline.executor import ProcessExecutor, SerialExecutor
from sohoa.errors import InputError


def test_natural_order_puts_trang2_before_trang10(tmp_path: Path) -> None:
    names = ["trang10.png", "trang2.png", "Trang1.png", "hop1/trang3.png", "a/trang11.tif"]
    names += ["hop1/c.png", "hop1/b/x.png", "hop1/a.png"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    # A folder's files together (a dossier's page images stay in a row), then its subfolders.
    assert found == [
        "Trang1.png",
        "trang2.png",
        "trang10.png",
        "a/trang11.tif",
        "hop1/a.png",
        "hop1/c.png",
        "hop1/trang3.png",
        "hop1/b/x.png",
    ]
    assert natural_key("trang2") < natural_key("trang10")


def test_discover_leaves_out_hidden_files_sidecars_and_manifest(tmp_path: Path) -> None:
    for name in [".DS_Store", "Thumbs.db", "sohoa.toml", "ghi-chu.txt", ".an/x.png", "p.png"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in discover(tmp_path)] == ["p.png"]


def test_missing_batch_folder_is_a_clear_error(tmp_path: Path) -> None:
    try:
        discover(tmp_path / "khong-co")
    except InputError as exc:
        assert "khong-co" in exc.vi and "Không tìm thấy" in exc.vi
    else:
        raise AssertionError("expected InputError")


def square(n: int) -> int:
    if n == 3:
        raise ValueError("ba")
    return n * n


def die_on_seven(n: int) -> int:
    if n == 7:
        os.kill(os.getpid(), signal.SIGKILL)  # a worker killed from outside (OOM killer)
    return n + os.getpid() * 0


def omp_limit(_: int) -> str | None:
    return os.environ.get("OMP_THREAD_LIMIT")


def test_process_executor_returns_results_and_errors_per_task() -> None:
    outcomes = {o.task: o for o in ProcessExecutor(2).run(square, range(6))}
    assert {t: o.result for t, o in outcomes.items() if o.error is None} == {
        0: 0,
        1: 1,
        2: 4,
        4: 16,
        5: 25,
    }
    assert isinstance(outcomes[3].error, ValueError)


def test_killed_worker_fails_only_its_page_and_the_rest_finish() -> None:
    outcomes = {o.task: o for o in ProcessExecutor(2).run(die_on_seven, range(12))}
    assert set(outcomes) == set(range(12))
    assert isinstance(outcomes[7].error, InputError)
    assert "bị dừng đột ngột" in outcomes[7].error.vi
    assert all(outcomes[n].result == n for n in range(12) if n != 7)


def test_every_worker_runs_tesseract_single_threaded() -> None:
    assert {o.result for o in ProcessExecutor(2).run(omp_limit, range(4))} == {"1"}
    assert {o.result for o in SerialExecutor().run(omp_limit, range(2))} == {"1"}
