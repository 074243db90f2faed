"""Benchmark: `sohoa ingest --workers N` against the raw `tesseract` CLI on the same pages.

Renders N full A4 pages of synthetic Vietnamese administrative text at 300 dpi, runs
`tesseract PAGE out -l vie` with N parallel processes (OMP_THREAD_LIMIT=1, the best a bare
Tesseract set-up does), then `sohoa ingest` on the same files into a fresh archive, and prints
pages per second for both, their ratio, and what cleanup costs as a share of OCR time.

Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive_store.db import Archive  # noqa: E402
from archive_store.models import Page  # noqa: E402
from scripts.synth import party_document, render_page  # noqa: E402


def make_pages(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        doc = party_document(1000 + i)
        path = folder / f"trang{i + 1:04d}.png"
        render_page(doc.pages[0]).save(path, dpi=(300, 300))
        paths.append(path)
    return paths


def raw_tesseract(pages: list[Path], workers: int, out: Path) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    out.mkdir(parents=True, exist_ok=True)

    def one(page: Path) -> None:
        subprocess.run(
            ["tesseract", str(page), str(out / page.stem), "-l", "vie"],
            check=True,
            capture_output=True,
            env=env,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, pages))
    return time.perf_counter() - started


def sohoa_ingest(batch: Path, archive: Path, workers: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "ingest",
            str(batch),
            "--archive",
            str(archive),
            "--workers",
            str(workers),
            "--json",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))
    try:
        pages = make_pages(tmp / "batch", args.pages)
        raw_s = raw_tesseract(pages, args.workers, tmp / "raw")
        ours_s = sohoa_ingest(tmp / "batch", tmp / "kho", args.workers)
        archive = Archive(tmp / "kho")
        with archive.session() as s:
            ocr_s = s.scalar(select(func.sum(Page.ocr_seconds))) or 0.0
            cleanup_s = s.scalar(select(func.sum(Page.cleanup_seconds))) or 0.0
        archive.close()
        result = {
            "pages": args.pages,
            "workers": args.workers,
            "raw_tesseract_pages_per_s": round(args.pages / raw_s, 3),
            "sohoa_pages_per_s": round(args.pages / ours_s, 3),
            "ratio": round(raw_s / ours_s, 3),
            "cleanup_share_of_ocr": round(cleanup_s / ocr_s, 4) if ocr_s else None,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
        return
    print(f"pages: {result['pages']}, workers: {result['workers']}")
    print(f"raw tesseract CLI : {result['raw_tesseract_pages_per_s']:.3f} pages/s")
    print(
        f"sohoa ingest      : {result['sohoa_pages_per_s']:.3f} pages/s "
        "(incl. start-up, hashing, blob copy, store, documents, index)"
    )
    print(f"ratio sohoa/raw   : {result['ratio']:.3f}  (target >= 0.9)")
    if result["cleanup_share_of_ocr"] is not None:
        print(f"cleanup / OCR time: {result['cleanup_share_of_ocr']:.1%}  (target <= 10%)")


if __name__ == "__main__":
    main()
