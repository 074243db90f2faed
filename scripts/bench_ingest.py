"""Benchmark: `sohoa ingest --workers N` against the raw `tesseract` CLI on the same pages.

Renders N full A4 pages of synthetic Vietnamese administrative text at 300 dpi, runs
`tesseract PAGE out -l vie` with N parallel processes (OMP_THREAD_LIMIT=1, the best a bare
Tesseract set-up does), then `sohoa ingest` on the same files into a fresh archive, and prints
pages per second for both, their ratio, and what cleanup costs as a share of OCR time.

With --dask it also starts a local Dask scheduler and N single-threaded workers (start-up not
timed: a cluster is long-lived) and times `sohoa ingest --scheduler` on the same pages, to show
what the cluster executor costs against the local process pool.

Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2
Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2 --dask
Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2 --without-second-opinion
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


def worker_cpu(pages: list[Path], second_opinion: str) -> float:
    """CPU seconds one worker spends a page (ocr_page in this process, the model loaded first):
    a figure that, unlike wall time, other jobs on a shared machine hardly change."""
    from ocr.page import ocr_page

    before = os.environ.get("SOHOA_OCR_SECOND_OPINION")
    os.environ["SOHOA_OCR_SECOND_OPINION"] = second_opinion
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        ocr_page(pages[0], 0)
        started = time.process_time()
        for page in pages:
            ocr_page(page, 0)
        return (time.process_time() - started) / len(pages)
    finally:
        if before is None:
            del os.environ["SOHOA_OCR_SECOND_OPINION"]
        else:
            os.environ["SOHOA_OCR_SECOND_OPINION"] = before


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


def sohoa_ingest(
    batch: Path,
    archive: Path,
    workers: int,
    scheduler: str | None = None,
    second_opinion: str = "on",
) -> float:
    sohoa = Path(sys.executable).parent / "sohoa"  # the installed command, as a user runs it
    cmd = [str(sohoa), "ingest", str(batch), "--archive", str(archive)]
    cmd += ["--workers", str(workers), "--json"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    env = {**os.environ, "SOHOA_OCR_SECOND_OPINION": second_opinion}
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - started


@contextmanager
def local_cluster(workers: int, logs: Path) -> Iterator[str]:
    """A Dask scheduler and `workers` single-threaded worker processes on this machine."""
    dask = Path(sys.executable).parent / "dask"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    address = f"tcp://127.0.0.1:{port}"
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    try:
        for name, cmd, ready, count in [
            ("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", port], "Scheduler at:", 1),
            ("workers", ["worker", address, "--nworkers", str(workers), "--nthreads", "1"],
             "Registered to:", workers),
        ]:  # fmt: skip
            log = logs / f"{name}.log"
            with log.open("w") as out:
                procs.append(
                    subprocess.Popen(
                        [dask, *cmd, "--no-dashboard"], stdout=out, stderr=subprocess.STDOUT
                    )
                )
            deadline = time.monotonic() + 60
            while log.read_text(errors="replace").count(ready) < count:
                if time.monotonic() > deadline or procs[-1].poll() is not None:
                    raise SystemExit(f"dask {name} did not start: see {log}")
                time.sleep(0.2)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dask", action="store_true", help="also time a local Dask cluster")
    parser.add_argument(
        "--without-second-opinion",
        action="store_true",
        help="also time sohoa ingest with SOHOA_OCR_SECOND_OPINION=off (Tesseract alone)",
    )
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
        result: dict[str, object] = {
            "pages": args.pages,
            "workers": args.workers,
            "raw_tesseract_pages_per_s": round(args.pages / raw_s, 3),
            "sohoa_pages_per_s": round(args.pages / ours_s, 3),
            "ratio": round(raw_s / ours_s, 3),
            "cleanup_share_of_ocr": round(cleanup_s / ocr_s, 4) if ocr_s else None,
        }
        if args.without_second_opinion:
            alone_s = sohoa_ingest(tmp / "batch", tmp / "kho-alone", args.workers, None, "off")
            result["sohoa_alone_pages_per_s"] = round(args.pages / alone_s, 3)
            result["ratio_alone"] = round(raw_s / alone_s, 3)
            result["worker_cpu_s_per_page"] = round(worker_cpu(pages, "on"), 3)
            result["worker_cpu_s_per_page_alone"] = round(worker_cpu(pages, "off"), 3)
            with Archive(tmp / "kho") as archive, archive.session() as s:
                engines = s.scalars(select(Page.engine)).all()
            result["pages_with_second_opinion"] = sum("asterocr" in e for e in engines)
        if args.dask:
            with local_cluster(args.workers, tmp / "dask") as address:
                dask_s = sohoa_ingest(tmp / "batch", tmp / "kho-dask", args.workers, address)
            result["sohoa_dask_pages_per_s"] = round(args.pages / dask_s, 3)
            result["ratio_dask"] = round(raw_s / dask_s, 3)
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
    print(f"ratio sohoa/raw   : {result['ratio']:.3f}  (target >= 0.95 with the second opinion)")
    if "ratio_alone" in result:
        print(
            f"sohoa ingest, second opinion off: {result['sohoa_alone_pages_per_s']:.3f} pages/s,"
            f" ratio {result['ratio_alone']:.3f}; pages re-read in part:"
            f" {result['pages_with_second_opinion']} of {args.pages}"
        )
        print(
            f"one worker's CPU a page: {result['worker_cpu_s_per_page']:.3f} s with the second"
            f" opinion, {result['worker_cpu_s_per_page_alone']:.3f} s without"
        )
    if "ratio_dask" in result:
        print(
            f"sohoa ingest --scheduler (local Dask, {args.workers} workers): "
            f"{result['sohoa_dask_pages_per_s']:.3f} pages/s, ratio {result['ratio_dask']:.3f}"
        )
    if result["cleanup_share_of_ocr"] is not None:
        print(f"cleanup / OCR time: {result['cleanup_share_of_ocr']:.1%}  (target <= 10%)")


if __name__ == "__main__":
    main()
