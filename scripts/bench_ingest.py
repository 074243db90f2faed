"""Benchmark: `sohoa ingest --workers N` against the raw `tesseract` CLI on the same pages.

Renders N full A4 pages of synthetic Vietnamese administrative text at 300 dpi, runs
`tesseract PAGE out -l vie` with N parallel processes (OMP_THREAD_LIMIT=1, the best a bare
Tesseract set-up does: Debian's program, its default page segmentation, plain text out, the
model loaded for each page), then `sohoa ingest` on the same files into a fresh archive (the
whole command: start-up, triage, cleanup, one Tesseract run a page, the second opinion, the
store, documents, metadata and the index), and prints pages per second for both, their ratio,
and what cleanup costs as a share of OCR time.

With --rounds R each side runs R times, interleaved (raw, sohoa, sohoa, raw, ...), so that
other jobs on a shared machine weigh on both alike; each run is printed with the load average,
and the CPU seconds of all its processes (the ingest's fork server and workers included: this
process adopts them as Linux's child subreaper and waits for them): it moves with the load
too, but less than wall time, so compare runs made at the same load.

Each ingest run also prints its timeline (seconds from its start): the batch row (start-up
done), triage done (the first pages go to the workers), the first and last page stored, the
cut done, and the end; it comes from what the run left in the store, and the load moves it
less than the total.

With --dask it also starts a local Dask scheduler and N single-threaded workers (start-up not
timed: a cluster is long-lived) and times `sohoa ingest --scheduler` on the same pages, to show
what the cluster executor costs against the local process pool.

Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2
Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2 --dask
Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2 --without-second-opinion
Example: .venv/bin/python scripts/bench_ingest.py --pages 16 --workers 2 --rounds 3
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive_store.db import Archive  # noqa: E402
from archive_store.models import Batch, Page  # noqa: E402
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
    a figure that other jobs on a shared machine change less than wall time."""
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


PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Become the child subreaper: processes our children leave behind (the ingest's fork
    server, and through it its workers) are reparented to us, so their CPU can be counted."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_adopted(timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)


def measured(run: Callable[[], float]) -> dict[str, float]:
    """Wall seconds of `run`, the CPU seconds (user + system) of every process it started,
    and the one-minute load average after it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run()
    _reap_adopted()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "load": os.getloadavg()[0]}


def timeline(archive_dir: Path, started: float, wall: float) -> dict[str, float]:
    """When an ingest run reached each stage, in seconds from its start, from what it left in
    the store: the batch row (start-up done: imports, checks, the workers' fork server
    started), the last original kept (triage done: the first pages go to the workers), the
    first and the last page stored (results back), the batch finished (the cut done), and
    the command's end (the index). The load moves these less than the total."""
    archive = Archive(archive_dir, create=False)
    with archive.session() as s:
        batch = s.scalars(select(Batch)).one()
        first = s.scalar(select(func.min(Page.created_at)))
        last = s.scalar(select(func.max(Page.created_at)))
    archive.close()
    kept = max((f.stat().st_ctime for f in (archive_dir / "blobs").rglob("*") if f.is_file()),
               default=started)  # fmt: skip

    def since(when: dt.datetime | None) -> float:
        if when is None:
            return float("nan")
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return round(when.timestamp() - started, 2)

    return {
        "batch": since(batch.created_at),
        "triaged": round(kept - started, 2),
        "first_page": since(first),
        "last_page": since(last),
        "cut": since(batch.finished_at),
        "end": round(wall, 2),
    }


def rounds(pages: list[Path], tmp: Path, args: argparse.Namespace) -> dict[str, list[dict]]:
    """Each side `args.rounds` times, in an order reversed every other round; each ingest run
    with its timeline."""
    times: list[dict[str, float]] = []

    def ingest(archive: Path, second_opinion: str = "on") -> float:
        started = time.time()
        wall = sohoa_ingest(tmp / "batch", _fresh(archive), args.workers, None, second_opinion)
        times.append(timeline(archive, started, wall))
        return wall

    sides: dict[str, Callable[[], float]] = {
        "raw": lambda: raw_tesseract(pages, args.workers, tmp / "raw"),
        "on": lambda: ingest(tmp / "kho"),
    }
    if args.without_second_opinion:
        sides["off"] = lambda: ingest(tmp / "kho-alone", "off")
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    for i in range(args.rounds):
        for name in list(sides) if i % 2 == 0 else reversed(sides):
            times.clear()
            runs[name].append(measured(sides[name]))
            if times:
                runs[name][-1]["timeline_s"] = times[0]
            if not args.json:
                r = runs[name][-1]
                print(f"round {i + 1} {name:3s}: {r['wall_s']:6.2f} s, CPU {r['cpu_s']:6.2f} s,"
                      f" load {r['load']:.2f}", flush=True)  # fmt: skip
                if times:
                    print("    " + ", ".join(f"{k} {v:.2f}" for k, v in times[0].items()))
    return runs


def _fresh(archive: Path) -> Path:
    shutil.rmtree(archive, ignore_errors=True)
    return archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of each side, interleaved (default 1)"
    )
    parser.add_argument("--dask", action="store_true", help="also time a local Dask cluster")
    parser.add_argument(
        "--without-second-opinion",
        action="store_true",
        help="also time sohoa ingest with SOHOA_OCR_SECOND_OPINION=off (Tesseract alone)",
    )
    args = parser.parse_args()

    adopted = adopt_orphans()
    tmp = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))
    try:
        pages = make_pages(tmp / "batch", args.pages)
        runs = rounds(pages, tmp, args)
        archive = Archive(tmp / "kho")
        with archive.session() as s:
            ocr_s = s.scalar(select(func.sum(Page.ocr_seconds))) or 0.0
            cleanup_s = s.scalar(select(func.sum(Page.cleanup_seconds))) or 0.0
            engines = s.scalars(select(Page.engine)).all()
        archive.close()
        raw_s = sum(r["wall_s"] for r in runs["raw"])
        ours_s = sum(r["wall_s"] for r in runs["on"])
        n = args.pages * args.rounds
        result: dict[str, object] = {
            "pages": args.pages,
            "workers": args.workers,
            "rounds": args.rounds,
            "raw_tesseract_pages_per_s": round(n / raw_s, 3),
            "sohoa_pages_per_s": round(n / ours_s, 3),
            "ratio": round(raw_s / ours_s, 3),
            "cpu_ratio": _cpu_ratio(runs, "on") if adopted else None,
            "cleanup_share_of_ocr": round(cleanup_s / ocr_s, 4) if ocr_s else None,
            "pages_with_second_opinion": sum("asterocr" in e for e in engines),
            "runs": runs,
        }
        if args.without_second_opinion:
            alone_s = sum(r["wall_s"] for r in runs["off"])
            result["sohoa_alone_pages_per_s"] = round(n / alone_s, 3)
            result["ratio_alone"] = round(raw_s / alone_s, 3)
            result["cpu_ratio_alone"] = _cpu_ratio(runs, "off") if adopted else None
            result["worker_cpu_s_per_page"] = round(worker_cpu(pages, "on"), 3)
            result["worker_cpu_s_per_page_alone"] = round(worker_cpu(pages, "off"), 3)
        if args.dask:
            with local_cluster(args.workers, tmp / "dask") as address:
                dask_s = sohoa_ingest(tmp / "batch", tmp / "kho-dask", args.workers, address)
            result["sohoa_dask_pages_per_s"] = round(args.pages / dask_s, 3)
            result["ratio_dask"] = round(raw_s / args.rounds / dask_s, 3)
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
    if result["cpu_ratio"] is not None:
        print(f"CPU ratio raw/sohoa: {result['cpu_ratio']:.3f}  (all processes of each run)")
    print(f"pages re-read in part: {result['pages_with_second_opinion']} of {args.pages}")
    if "ratio_alone" in result:
        print(
            f"sohoa ingest, second opinion off: {result['sohoa_alone_pages_per_s']:.3f} pages/s,"
            f" ratio {result['ratio_alone']:.3f}, CPU ratio {result['cpu_ratio_alone']}"
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


def _cpu_ratio(runs: dict[str, list[dict]], side: str) -> float:
    return round(sum(r["cpu_s"] for r in runs["raw"]) / sum(r["cpu_s"] for r in runs[side]), 3)


if __name__ == "__main__":
    main()
