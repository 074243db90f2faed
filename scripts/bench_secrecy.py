"""Benchmark of what keeping the index honest costs: the store re-check per search, and a re-run
of a batch with nothing new."""

# .venv/bin/python scripts/bench_secrecy.py --pages 200000 --batch-pages 1000
#
# 1. Search: an archive whose store holds the documents of N synthetic pages (the search
#    benchmark's corpus, bench_search.Corpus) and whose index holds them too. The same query
#    mix runs side by side through the bare index and through pipeline.searching.search (the
#    outbox check, the exclusion of what the store hides, the re-check of every hit), with no
#    job pending and then with 100 jobs pending that cannot be applied (another process holds
#    the index writer). Prints p50/p95 of each and the p95 added, in ms.
# 2. Re-run: a batch of M page images (1 MB TIFFs) whose pages are in the store (their text
#    set without OCR, as a finished run left it) is ingested: once to cut and index, then
#    again with nothing new (no hashing, no cutting, no index work), then again after every
#    file was touched (hashed again, nothing cut). Prints the seconds of each.

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import insert, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.models import Batch, Document, IndexJob
from indexer.backend import SearchBackend, open_index, rebuild_index
from indexer.types import IndexedDocument
from ocr.types import CleanupReport, PageResult, Word
from pipeline.run import IngestOptions, ingest
from pipeline.searching import search
from scripts.bench_search import QUERIES, Corpus


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return round(ordered[round(pct / 100 * (len(ordered) - 1))], 2)


def bench_search(pages: int, rounds: int, where: Path) -> dict[str, object]:
    archive = Archive(where / "kho")
    with archive.session() as s:
        s.add(Batch(id=1, path=str(where / "hop"), name="hop"))
    rows: list[dict] = []

    def stored(corpus: Corpus) -> Iterator[IndexedDocument]:
        """The corpus indexed, and its documents put in the store as they pass."""
        for doc in corpus:
            rows.append(
                {
                    "id": doc.doc_id,
                    "batch_id": 1,
                    "sha256": f"{doc.doc_id:064x}",
                    "source_path": f"hs-{doc.doc_id}.tif",
                    "first_page": 1,
                    "last_page": len(doc.pages),
                    "title": doc.title,
                    "extracted": {},
                    "access_level": doc.access_level,
                }
            )
            if len(rows) == 5000:
                _insert(archive, rows)
            yield doc

    docs = rebuild_index(archive.index_dir, stored(Corpus(pages, 2024)))
    _insert(archive, rows)
    index = open_index(archive.index_dir)
    try:
        for query, options in QUERIES:  # warm-up
            index.search(query, **options)  # type: ignore[arg-type]
            search(archive, query, backend=index, **options)  # type: ignore[arg-type]
        bare, checked = _side_by_side(archive, index, rounds)
        # 100 jobs pending that cannot be applied: half restrict a document, half remove one.
        rng = random.Random(7)
        with archive.session() as s:
            for doc_id in rng.sample(range(1, docs + 1), 100):
                s.add(IndexJob(document_id=doc_id, reason="corrected"))
            restricted = rng.sample(range(1, docs + 1), 50)
            s.execute(update(Document).where(Document.id.in_(restricted)).values(access_level=3))
        holder = open_index(archive.index_dir)
        holder.replace([])  # holds the index writer, as a long ingest does
        try:
            bare_busy, checked_busy = _side_by_side(archive, index, rounds)
        finally:
            holder.close()
    finally:
        index.close()
        archive.close()
    return {
        "pages": pages,
        "documents": docs,
        "queries": len(bare),
        "bare_p50_ms": _percentile(bare, 50),
        "bare_p95_ms": _percentile(bare, 95),
        "checked_p50_ms": _percentile(checked, 50),
        "checked_p95_ms": _percentile(checked, 95),
        "added_p95_ms": round(_percentile(checked, 95) - _percentile(bare, 95), 2),
        "pending_bare_p95_ms": _percentile(bare_busy, 95),
        "pending_checked_p95_ms": _percentile(checked_busy, 95),
        "pending_added_p95_ms": round(
            _percentile(checked_busy, 95) - _percentile(bare_busy, 95), 2
        ),
    }


def _insert(archive: Archive, rows: list[dict]) -> None:
    if rows:
        with archive.session() as s:
            s.execute(insert(Document), rows)
        rows.clear()


def _side_by_side(
    archive: Archive, index: SearchBackend, rounds: int
) -> tuple[list[float], list[float]]:
    """ms of each query, through the bare index and through the checked search, alternating."""
    bare, checked = [], []
    for _ in range(rounds):
        for query, options in QUERIES:
            start = time.perf_counter()
            index.search(query, **options)  # type: ignore[arg-type]
            bare.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            search(archive, query, backend=index, **options)  # type: ignore[arg-type]
            checked.append((time.perf_counter() - start) * 1000)
    return bare, checked


def bench_rerun(pages: int, where: Path) -> dict[str, object]:
    batch = where / "hop-1000"
    batch.mkdir()
    rng = np.random.default_rng(3)
    for n in range(1, pages + 1):
        noise = rng.integers(0, 256, (1000, 1000), dtype=np.uint8)
        Image.fromarray(noise).save(batch / f"trang-{n:04d}.tif", dpi=(300, 300))
    archive = Archive(where / "kho-rerun")
    try:
        # The pages as a finished run stored them (text set here: this measures the re-run).
        for n, path in enumerate(sorted(batch.iterdir()), 1):
            text = f"Trang {n} của hồ sơ lưu trữ" if n % 4 else f"Số {n}-TB/TU\nTHÔNG BÁO"
            store.save_page(archive, sha256_file(path), 1, page_result(text))
        options = IngestOptions(workers=1)
        timings = {}
        for run in ("first_run_s", "noop_rerun_s", "touched_rerun_s"):
            if run == "touched_rerun_s":
                for path in batch.iterdir():
                    path.touch()
            start = time.perf_counter()
            report = ingest(archive, batch, options)
            timings[run] = round(time.perf_counter() - start, 2)
            assert report.pages_skipped == pages and report.pages_done == 0
        return {"batch_pages": pages, "documents": len(report.documents), **timings}
    finally:
        archive.close()


def page_result(
    text: str, words: tuple[Word, ...] = (), size: tuple[int, int] = (1000, 1000)
) -> PageResult:
    """A page as a finished run stored it, its text set here (these benchmarks time what comes
    after OCR)."""
    return PageResult(
        text=text,
        words=words,
        mean_confidence=95.0,
        needs_review=False,
        review_reasons=(),
        width=size[0],
        height=size[1],
        dpi=300,
        cleanup=CleanupReport(),
        engine="bench",
        ocr_seconds=0.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200_000, help="pages in the searched store")
    parser.add_argument("--batch-pages", type=int, default=1000, help="pages of the re-run batch")
    parser.add_argument("--rounds", type=int, default=5, help="times the query mix runs")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--dir", type=Path, help="where to build (default: a temporary folder)")
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp(prefix="bench-secrecy-", dir=args.dir))
    try:
        result = {
            "search": bench_search(args.pages, args.rounds, where),
            "rerun": bench_rerun(args.batch_pages, where),
        }
    finally:
        shutil.rmtree(where, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
        return
    s, r = result["search"], result["rerun"]
    print(
        f"search at {s['pages']} pages ({s['documents']} documents), {s['queries']} queries: "
        f"bare index p50 {s['bare_p50_ms']} / p95 {s['bare_p95_ms']} ms; with the store "
        f"re-check p50 {s['checked_p50_ms']} / p95 {s['checked_p95_ms']} ms; p95 added "
        f"{s['added_p95_ms']} ms (with 100 jobs pending and the index busy: p95 added "
        f"{s['pending_added_p95_ms']} ms)"
    )
    print(
        f"re-run of a {r['batch_pages']}-page batch: first run (cut and index) "
        f"{r['first_run_s']} s; nothing new {r['noop_rerun_s']} s; every file touched "
        f"{r['touched_rerun_s']} s"
    )


if __name__ == "__main__":
    main()
