"""OCR workers forked with the code and models loaded once: the same reading, no load a page."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from ocr.page import ocr_page
from ocr.types import PageResult
from pipeline.discover import natural_key
from pipeline.executor import WORKER_PRELOAD, ProcessExecutor, fork_server_preload
from tests.conftest import render_lines, save_scan


def models_loaded(_: int) -> tuple[bool, bool]:
    """In a worker, before it reads anything: is Tesseract's model there, and AsterOCR's?"""
    from ocr import recognizers
    from ocr.engine import get_engine
    from ocr.second_opinion import enabled

    apis = get_engine()._local.__dict__.get("apis", {})
    return "vie" in apis, "asterocr" in recognizers._loaded or not enabled()


def test_fork_server_imports_what_the_main_script_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker runs the parent's main script again; what the script takes its names from is
    # imported once in the fork server instead.
    script = types.ModuleType("__main__")
    script.__dict__.update(sys=sys, natural_key=natural_key)
    monkeypatch.setitem(sys.modules, "__main__", script)
    names = fork_server_preload()
    assert names[0] == "__main__"
    assert {"sys", "pipeline.discover", *WORKER_PRELOAD} <= set(names)
    assert len(names) == len(set(names))


def test_workers_start_with_the_models_and_read_as_this_process(tmp_path: Path) -> None:
    scan = save_scan(render_lines(["Quyết định số 15 về việc bổ nhiệm cán bộ"]), tmp_path / "a.png")
    outcomes = list(ProcessExecutor(2).run(_loaded_then_read, [scan, scan]))
    here = ocr_page(scan, 0)
    for outcome in outcomes:
        assert outcome.error is None and outcome.result is not None
        loaded, page = outcome.result
        assert loaded == (True, True)
        assert page.words == here.words and page.engine == here.engine


def _loaded_then_read(path: Path) -> tuple[tuple[bool, bool], PageResult]:
    return models_loaded(0), ocr_page(path, 0)


def test_the_command_line_and_the_workers_code_load_without_the_store() -> None:
    # `sohoa ingest` starts the workers' fork server before it imports the store, the cut and
    # the index; the server imports the command line (workers run the main script again) and
    # the page task's code, neither of which needs them.
    heavy = ("sqlalchemy", "archive_store.db", "indexer.backend", "pipeline.run")
    for module in ("pipeline.cli", "pipeline.reading"):
        code = f"import sys, {module}; print([m for m in {heavy!r} if m in sys.modules])"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]", module


def test_the_ingest_parent_does_not_load_opencv() -> None:
    # The parent hands pages out and stores what comes back; OpenCV (~0.3 s to import) is the
    # workers' (ocr.preload), and the parent's imports delay the first page handed out.
    code = "import sys, pipeline.run; print('cv2' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
