"""Benchmark of the browser pages: the search page and a document's page, as HTML, over
loopback from a real `sohoa serve`, against bench_portal's archive of N synthetic pages."""

# .venv/bin/python scripts/bench_pages.py --pages 200000 --requests 300
# .venv/bin/python scripts/bench_pages.py --reuse /tmp/bench-portal/kho   (a --keep archive)
#
# 1. The archive of scripts/bench_portal.py (the search benchmark's corpus in the store and
#    the index; a researcher "doc" with clearance Mật), built here or reused.
# 2. A real `sohoa serve` on 127.0.0.1, one signed-in session per client: the search page
#    (`/tim-kiem?q=...`, the bench query mix, facets with their counts) and the document page
#    (`/van-ban/{id}?q=...`, a random visible document) fetched back to back, by one reader
#    and then by `--clients` at once; p50/p95 of the whole answer. Every page is audited,
#    as in use. The page's images and PDF are separate requests (bench_portal times them).

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_store.db import Archive
from archive_store.models import Document
from scripts.bench_portal import PASSWORD, _percentile, build, serve
from scripts.bench_search import QUERIES


async def _reader(url: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=url, headers={"origin": url}, timeout=120)
    r = await c.post("/api/v1/session", json={"name": "doc", "password": PASSWORD})
    r.raise_for_status()  # the session cookie is the pages' too
    return c


async def load(url: str, clients: int, requests: int, paths: list[str]) -> dict[str, object]:
    """`clients` readers fetching `requests` pages in all, back to back."""
    cs = [await _reader(url) for _ in range(clients)]
    for path in paths[:20]:  # warm-up: index files in the page cache, the first of each kind
        await cs[0].get(path)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    rng = random.Random(clients)
    todo = [rng.choice(paths) for _ in range(requests)]

    async def reader(c: httpx.AsyncClient) -> None:
        while todo:
            path = todo.pop()
            start = time.perf_counter()
            r = await c.get(path)
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    start = time.perf_counter()
    try:
        await asyncio.gather(*(reader(c) for c in cs))
    finally:
        for c in cs:
            await c.aclose()
    took = time.perf_counter() - start
    return {
        "clients": clients, "requests": len(latencies), "statuses": statuses,
        "per_s": round(len(latencies) / took, 1), "p50_ms": _percentile(latencies, 50),
        "p95_ms": _percentile(latencies, 95), "p99_ms": _percentile(latencies, 99),
    }  # fmt: skip


def _visible_documents(root: Path, count: int) -> list[int]:
    with Archive(root, create=False) as archive, archive.reading() as s:
        ids = list(s.scalars(select(Document.id).where(Document.access_level <= 1)))
    return random.Random(7).sample(ids, min(count, len(ids)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300, help="pages fetched per run")
    parser.add_argument("--clients", type=int, default=4, help="readers at once, second run")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--dir", type=Path, help="where to build (default: a temporary folder)")
    parser.add_argument("--reuse", type=Path, help="an archive bench_portal --keep built (kho/)")
    args = parser.parse_args()
    os.environ.setdefault("SOHOA_LANG", "en")
    where = Path(tempfile.mkdtemp(prefix="bench-pages-", dir=args.dir))
    try:
        if args.reuse:
            root = args.reuse.resolve()
            with Archive(root, create=False) as archive, archive.reading() as s:
                documents = int(s.scalar(select(func.count(Document.id))) or 0)
            pages = None
        else:
            root, documents = build(args.pages, where)
            pages = args.pages
        queries = [q for q, o in QUERIES if int(o.get("clearance", 0)) <= 1]  # type: ignore[call-overload]
        search = [f"/tim-kiem?{httpx.QueryParams({'q': q})}" for q in queries]
        docs = [
            f"/van-ban/{d}?{httpx.QueryParams({'q': random.Random(d).choice(queries)})}"
            for d in _visible_documents(root, 500)
        ]
        proc, url = serve(root, 1)
        result: dict[str, object] = {"pages": pages, "documents": documents, "runs": []}
        try:
            for clients in (1, args.clients):
                for name, paths in (("search_page", search), ("document_page", docs)):
                    load_before = os.getloadavg()[0]
                    run = asyncio.run(load(url, clients, args.requests, paths))
                    # The machine is shared: say how busy it was.
                    run["load_avg"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
                    run["page"] = name
                    result["runs"].append(run)  # type: ignore[attr-defined]
                    if not args.json:
                        print(
                            f"{name}, {clients} reader(s), {documents} documents: "
                            f"{run['per_s']}/s, p50 {run['p50_ms']} / p95 {run['p95_ms']} / "
                            f"p99 {run['p99_ms']} ms, statuses {run['statuses']}, "
                            f"load average {run['load_avg']}",
                            flush=True,
                        )
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
