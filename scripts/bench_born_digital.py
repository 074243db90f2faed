"""Benchmark: born-digital PDF pages read from their text layer against the same pages OCRed.

Writes born-digital PDFs (synthetic Vietnamese administrative prose, Liberation Serif embedded,
as Word's PDF export does), ingests them with `sohoa ingest --workers N` into a fresh archive
(the time includes start-up, hashing, the blob copy, the store, documents with metadata and
the index), then the same pages as 300-dpi scans (image-only PDFs: OCR), then a mixed batch of
both. Prints pages per second for each and the share of pages that took the text-layer way.

Example: .venv/bin/python scripts/bench_born_digital.py --pages 200 --ocr-pages 8 --workers 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive_store.db import Archive  # noqa: E402
from archive_store.models import Page  # noqa: E402
from ocr.textlayer import ENGINE_PREFIX  # noqa: E402
from scripts import born_digital as bd  # noqa: E402

PAGES_PER_FILE = 10


def born_digital_batch(folder: Path, pages: int, seed: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    texts = bd.page_texts(pages, seed=seed)
    for n in range(0, pages, PAGES_PER_FILE):
        bd.vietnamese_pdf(folder / f"van-ban-{seed}-{n:05d}.pdf", texts[n : n + PAGES_PER_FILE])


def scanned_batch(folder: Path, born: Path, pages: int) -> None:
    """The first `pages` born-digital pages as 300-dpi image-only PDFs (what a scanner gives)."""
    import img2pdf
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    done = 0
    for pdf_path in sorted(born.glob("*.pdf")):
        pdf = pdfium.PdfDocument(str(pdf_path))
        for i in range(len(pdf)):
            if done == pages:
                return
            image = pdf[i].render(scale=300 / 72, grayscale=True).to_pil()
            png = folder / f"quet-{done:04d}.png"
            image.save(png, dpi=(300, 300))
            (folder / f"quet-{done:04d}.pdf").write_bytes(img2pdf.convert(str(png)))
            png.unlink()
            done += 1


def ingest(batch: Path, archive: Path, workers: int) -> tuple[float, dict]:
    cli = [sys.executable, "-c", "from pipeline.cli import main; main()"]  # as `sohoa` runs it
    cmd = [*cli, "ingest", str(batch), "--archive", str(archive)]
    cmd += ["--workers", str(workers), "--json"]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, cwd=ROOT, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout)


def text_layer_share(archive: Path) -> tuple[int, int]:
    with Archive(archive) as arch, arch.session() as s:
        total = s.scalar(select(func.count()).select_from(Page)) or 0
        born = (
            s.scalar(
                select(func.count()).select_from(Page).where(Page.engine.startswith(ENGINE_PREFIX))
            )
            or 0
        )
    return born, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200, help="born-digital pages (default 200)")
    ap.add_argument("--ocr-pages", type=int, default=8, help="scanned pages to OCR (default 8)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="keep the batches and archives in this folder")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-bd-")) if not args.keep else args.keep
    try:
        born = work / "born"
        scans = work / "scans"
        mixed = work / "mixed"
        t = time.perf_counter()
        born_digital_batch(born, args.pages)
        scanned_batch(scans, born, args.ocr_pages)
        born_digital_batch(mixed, args.pages // 2, seed=1)
        for f in scans.glob("*.pdf"):
            shutil.copy(f, mixed / f"z-{f.name}")
        print(f"batches written in {time.perf_counter() - t:.1f} s")

        one = work / "one"
        one.mkdir()
        bd.vietnamese_pdf(one / "mot-trang.pdf", bd.page_texts(1, seed=2))
        startup, _ = ingest(one, work / "kho-one", args.workers)
        rows = []
        for name, batch in (("born-digital", born), ("scanned (OCR)", scans), ("mixed", mixed)):
            archive = work / f"kho-{batch.name}"
            elapsed, report = ingest(batch, archive, args.workers)
            born_pages, total = text_layer_share(archive)
            rows.append((name, total, born_pages, elapsed, total / elapsed))
            if report["failures"]:
                print(f"  {name}: failures {report['failures']}")
        print(
            f"\nsohoa ingest --workers {args.workers} (start-up, store, documents, index included)"
        )
        print(f"start-up and fixed costs (a batch of one born-digital page): {startup:.1f} s")
        head = f"{'batch':<16}{'pages':>7}{'text layer':>12}{'seconds':>10}{'pages/s':>10}"
        print(head + f"{'after start-up':>16}")
        for name, total, born_pages, elapsed, rate in rows:
            steady = total / max(elapsed - startup, 1e-6)
            print(
                f"{name:<16}{total:>7}{born_pages:>12}{elapsed:>10.1f}{rate:>10.2f}{steady:>16.2f}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
