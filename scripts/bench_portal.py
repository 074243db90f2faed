"""Benchmark of the server: searches per second and latency with concurrent clients on
loopback, and page-image time to first byte, against an archive of N synthetic pages."""

# .venv/bin/python scripts/bench_portal.py --pages 200000 --clients 20 --seconds 30
#
# 1. An archive whose store and index hold the documents of N synthetic pages (the search
#    benchmark's corpus, bench_search.Corpus; the store filled as bench_secrecy does), each
#    page with its row, and the first page of 20 documents a real A4 scan at 300 dpi in the
#    blob store. A researcher (clearance Mật) and an admin.
# 2. A real `sohoa serve` on 127.0.0.1 (--workers W), each client signed in with its own
#    session: C clients search back to back (closed loop) for S seconds; searches per second
#    and p50/p95/p99 latency (each search is audited, as in use). Two query mixes, side by
#    side, since the server keeps recent answers (indexer.cache): "repeating", the search
#    benchmark's 17 queries over and over (nearly every answer kept), and "distinct", queries
#    drawn from the archive's vocabulary of which none is asked twice in the whole run
#    (nothing kept helps): words and two-word terms, half as phrases, a third typed without
#    diacritics, signers' names, filters (type, year, issuing body, number), fuzzy words,
#    sorting by date. Then the distinct mix without facets, and paced clients (each one
#    search a second, people reading their results).
# 3. Page images: each use copy made once (the first request, timed), then C clients fetch
#    them back to back; time to first byte p50/p95.

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_store import accounts
from archive_store.accounts import Role
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.models import Batch, Document, DocumentPage, Page
from archive_store.words import encode_words
from indexer.analysis import fold
from indexer.backend import rebuild_index
from indexer.types import IndexedDocument
from scripts.bench_search import BODIES, HEAD_WORDS, QUERIES, TYPES, Corpus
from sohoa.access import AccessLevel

PASSWORD = "mat-khau-bench-portal"
FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
SCANS = 20


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return round(ordered[round(pct / 100 * (len(ordered) - 1))], 1) if ordered else 0.0


def build(pages: int, where: Path) -> tuple[Path, int]:
    """The archive at where/kho; returns it and the number of documents."""
    archive = Archive(where / "kho")
    scans = _scans(where / "scans", archive)
    with archive.session() as s:
        s.add(Batch(id=1, path=str(where / "hop"), name="hop"))
    docs: list[dict] = []
    parts: list[dict] = []
    rows: list[dict] = []

    def flush() -> None:
        with archive.session() as s:
            s.execute(insert(Document), docs)
            s.execute(insert(Page), rows)
            s.execute(insert(DocumentPage), parts)
        for batch in (docs, parts, rows):
            batch.clear()

    def stored(corpus: Corpus) -> Iterator[IndexedDocument]:
        for doc in corpus:
            sha = f"{doc.doc_id:064x}"
            scan = scans.get(doc.doc_id)
            if scan:  # a real scan as the document's first page
                sha = scan
            docs.append({
                "id": doc.doc_id, "batch_id": 1, "sha256": sha,
                "source_path": f"hs-{doc.doc_id}.tif", "first_page": 1,
                "last_page": len(doc.pages), "title": doc.title, "extracted": {},
                "access_level": doc.access_level,
            })  # fmt: skip
            for page in doc.pages:
                key = sha if page.page == 1 or not scan else f"e{doc.doc_id:059x}{page.page:04x}"
                parts.append(
                    {
                        "document_id": doc.doc_id,
                        "ordinal": page.page,
                        "sha256": key,
                        "source_page": page.page,
                        "source_path": f"hs-{doc.doc_id}.tif",
                    }
                )
                rows.append({
                    "sha256": key, "source_page": page.page, "text": "", "words": _NO_WORDS,
                    "mean_confidence": 90.0, "needs_review": False, "review_reasons": [],
                    "width": 2480, "height": 3508, "dpi": 300, "cleanup": {}, "engine": "bench",
                    "ocr_seconds": 0.0, "cleanup_seconds": 0.0,
                })  # fmt: skip
            if len(docs) >= 5000:
                flush()
            yield doc

    count = rebuild_index(archive.index_dir, stored(Corpus(pages, 2024)))
    flush()
    accounts.add_user(archive, "admin", "Admin", Role.admin, AccessLevel.tuyet_mat, PASSWORD)
    accounts.add_user(archive, "doc", "Researcher", Role.researcher, AccessLevel.mat, PASSWORD)
    archive.close()
    return where / "kho", count


_NO_WORDS = encode_words(())


def _scans(folder: Path, archive: Archive) -> dict[int, str]:
    """Real A4 300-dpi greyscale scans (text lines) for the first pages of documents 1..20."""
    folder.mkdir(parents=True)
    font = ImageFont.truetype(str(FONT), 50)
    out = {}
    for n in range(1, SCANS + 1):
        img = Image.new("L", (2480, 3508), 250)
        draw = ImageDraw.Draw(img)
        for line in range(40):
            draw.text((250, 300 + line * 75), f"Văn bản {n}, dòng {line}: công tác kiểm tra "
                      "đảng viên và tổ chức đảng", font=font, fill=20)  # fmt: skip
        path = folder / f"scan-{n}.png"
        img.save(path, dpi=(300, 300))
        sha = sha256_file(path)
        archive.blobs.put(path, sha)
        out[n] = sha
    return out


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the server process and its worker processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(root: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "serve", "--archive", str(root), "--port",
         str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v1/session").status_code == 401:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


class Client:
    """One signed-in client: a keep-alive HTTP/1.1 connection on asyncio streams.

    The clients share the server's two cores, so what they cost is taken from the server:
    httpx costs ~1.5 ms of CPU a request here, this ~0.2 ms (`--httpx` measures with httpx).
    """

    def __init__(self, url: str, cookie: str, lean: bool) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookie = cookie
        self.httpx = None if lean else httpx.AsyncClient(
            base_url=url, cookies={"sohoa_session": cookie}, timeout=120
        )  # fmt: skip
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str, params: dict[str, str] | None = None) -> tuple[int, float, int]:
        """(status, seconds to the first byte, body bytes)."""
        target = path + ("?" + urlencode(params) if params else "")
        start = time.perf_counter()
        if self.httpx is not None:
            async with self.httpx.stream("GET", target) as r:
                first, size = 0.0, 0
                async for chunk in r.aiter_raw():
                    first = first or time.perf_counter() - start
                    size += len(chunk)
                return r.status_code, first or time.perf_counter() - start, size
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Cookie: sohoa_session={self.cookie}\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        first = time.perf_counter() - start
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await reader.readexactly(length)
        return int(head.split(b" ", 2)[1]), first, len(body)

    async def aclose(self) -> None:
        if self.httpx is not None:
            await self.httpx.aclose()
        if self._streams is not None:
            self._streams[1].close()


async def _signed_in(url: str, lean: bool) -> Client:
    async with httpx.AsyncClient(base_url=url, headers={"origin": url}, timeout=120) as c:
        r = await c.post("/api/v1/session", json={"name": "doc", "password": PASSWORD})
        r.raise_for_status()
    client = Client(url, r.cookies["sohoa_session"], lean)
    # Connected now, as people arrive one by one, not all in the same millisecond when the
    # load starts (a burst the first worker to wake would accept whole).
    status, _, _ = await client.get("/api/v1/session")
    if status != 200:
        raise SystemExit(f"GET /api/v1/session: HTTP {status}")
    return client


async def _clients(url: str, n: int, lean: bool = True) -> list[Client]:
    # Signed in one after the other: each sign-in is one Argon2id check.
    return [await _signed_in(url, lean) for _ in range(n)]


REPEATING = [q for q, options in QUERIES if int(options.get("clearance", 0)) <= 1]  # type: ignore[call-overload]
"""The search benchmark's queries a Mật researcher may ask: asked over and over."""


def distinct_queries(seed: int) -> Iterator[tuple[str, str | None]]:
    """(query, sort) pairs from the archive's own vocabulary, never the same query twice.

    Words are drawn from the topical part of the vocabulary (the few hundred words of every
    document are what nobody searches for alone, but they come in two-word terms and
    phrases); a third are typed without diacritics, as many people type.
    """
    corpus = Corpus(0, 2024)  # the vocabulary of the archive built with seed 2024
    vocab = corpus.vocab
    topical = vocab[HEAD_WORDS : HEAD_WORDS + 6000]
    rng = random.Random(seed)
    seen: set[str] = set()

    def word() -> str:
        w = rng.choice(vocab[:HEAD_WORDS]) if rng.random() < 0.15 else rng.choice(topical)
        return " ".join(fold(x) for x in w.split()) if rng.random() < 0.33 else w

    while True:
        kind = rng.random()
        if kind < 0.30:
            q = word()
        elif kind < 0.50:
            q = f"{word()} {word()}"
        elif kind < 0.65:
            q = f'"{word()}"'
        elif kind < 0.72:
            q = rng.choice(corpus.names[:60])  # the signers
        elif kind < 0.80:
            q = f'{word()} loai:"{rng.choice(TYPES)[0]}"'
        elif kind < 0.87:
            first = rng.randrange(1975, 2024)
            q = f"{word()} nam:{first}..{first + rng.randrange(0, 6)}"
        elif kind < 0.92:
            q = f'co_quan:"{rng.choice(BODIES)[0]}" {word()}'
        elif kind < 0.96:
            abbr, body = rng.choice(TYPES)[1], rng.choice(BODIES)[1]
            q = f"so:{rng.randrange(1, 400)}-{fold(abbr).upper()}/{body}"
        else:
            q = "~" + rng.choice(topical).split()[0]
        if q in seen:
            continue
        seen.add(q)
        yield q, ("-ngay" if rng.random() < 0.1 else None)


async def load_search(
    cs: list[Client],
    seconds: float,
    *,
    facets: bool = True,
    every: float = 0.0,
    distinct: Iterator[tuple[str, str | None]] | None = None,
) -> dict[str, object]:
    """`clients` signed-in clients searching for `seconds`: back to back (every=0, closed
    loop) or each one search every `every` seconds (people reading their results); the
    repeating mix, or the `distinct` queries (shared by the clients: none asked twice)."""
    clients = len(cs)
    for q in REPEATING:  # warm-up (the first touches of the index files)
        await cs[0].get("/api/v1/search", params={"q": q})
    latencies: list[float] = []
    errors = 0

    async def client(c: Client, seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        end = time.monotonic() + seconds
        await asyncio.sleep(rng.random() * every)  # paced clients start spread out
        while time.monotonic() < end:
            start = time.perf_counter()
            q = {"q": rng.choice(REPEATING), "facets": str(facets).lower()}
            if distinct is not None:
                q["q"], sort = next(distinct)
                if sort:
                    q["sort"] = sort
            status, _, _ = await c.get("/api/v1/search", params=q)
            took = time.perf_counter() - start
            latencies.append(took * 1000)
            errors += status != 200
            if every:
                await asyncio.sleep(max(0.0, every - took))

    start = time.perf_counter()
    await asyncio.gather(*(client(c, i) for i, c in enumerate(cs)))
    took = time.perf_counter() - start
    return {
        "clients": clients, "facets": facets, "every_s": every, "searches": len(latencies),
        "queries": "repeating" if distinct is None else "distinct",
        "errors": errors,
        "searches_per_s": round(len(latencies) / took, 1),
        "p50_ms": _percentile(latencies, 50), "p95_ms": _percentile(latencies, 95),
        "p99_ms": _percentile(latencies, 99),
    }  # fmt: skip


async def load_images(cs: list[Client], seconds: float, root: Path) -> dict[str, object]:
    clients = len(cs)
    paths = [f"/api/v1/documents/{n}/pages/1/image" for n in range(1, SCANS + 1)]
    for cached in Path(root, "blobs").glob("*/*/*.trang-*.jpg"):
        cached.unlink()  # made again below, each by its first request
    first: list[float] = []
    for p in paths:  # the use copies made, one by one
        start = time.perf_counter()
        status, _, _ = await cs[0].get(p)
        first.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"{p}: HTTP {status}")
    ttfb: list[float] = []
    total: list[float] = []
    sizes: list[int] = []

    async def client(c: Client, seed: int) -> None:
        rng = random.Random(seed)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            _, first_byte, size = await c.get(rng.choice(paths))
            ttfb.append(first_byte * 1000)
            total.append((time.perf_counter() - start) * 1000)
            sizes.append(size)

    start = time.perf_counter()
    await asyncio.gather(*(client(c, i) for i, c in enumerate(cs)))
    took = time.perf_counter() - start
    return {
        "clients": clients, "images": len(ttfb), "images_per_s": round(len(ttfb) / took, 1),
        "first_make_p50_ms": _percentile(first, 50), "first_make_max_ms": round(max(first), 1),
        "ttfb_p50_ms": _percentile(ttfb, 50), "ttfb_p95_ms": _percentile(ttfb, 95),
        "full_p95_ms": _percentile(total, 95), "kb": round(sum(sizes) / len(sizes) / 1024),
    }  # fmt: skip


async def measure(url: str, pid: int, root: Path, args: argparse.Namespace) -> dict[str, object]:
    cs = await _clients(url, args.clients, lean=not args.httpx)

    async def timed(run: object, count: str) -> dict[str, object]:
        before, mine = _cpu_s(pid), time.process_time()
        found: dict[str, object] = await run  # type: ignore[misc]
        # The server's own CPU per request: what the machine's other load does not change;
        # and the clients' (this process), which share the server's cores.
        n = found[count]
        found["server_cpu_ms_each"] = round((_cpu_s(pid) - before) * 1000 / n, 1)  # type: ignore[operator]
        found["client_cpu_ms_each"] = round((time.process_time() - mine) * 1000 / n, 1)  # type: ignore[operator]
        return found

    distinct = distinct_queries(args.seed)
    try:
        return {
            "search_repeating": await timed(load_search(cs, args.seconds), "searches"),
            "search_distinct": await timed(
                load_search(cs, args.seconds, distinct=distinct), "searches"
            ),
            "search_distinct_no_facets": await timed(
                load_search(cs, args.seconds, facets=False, distinct=distinct), "searches"
            ),
            "search_distinct_paced": await timed(
                load_search(cs, args.seconds, every=args.every, distinct=distinct), "searches"
            ),
            "images": await timed(load_images(cs, args.seconds / 2, root), "images"),
        }
    finally:
        for c in cs:
            await c.aclose()


SEARCH_RUNS = (
    "search_repeating", "search_distinct", "search_distinct_no_facets", "search_distinct_paced",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="server processes (each value measured in turn)")  # fmt: skip
    parser.add_argument("--every", type=float, default=1.0,
                        help="paced run: seconds between one client's searches")  # fmt: skip
    parser.add_argument("--seed", type=int, default=13, help="of the distinct queries")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--httpx", action="store_true",
                        help="clients on httpx instead of bare keep-alive connections")  # fmt: skip
    parser.add_argument("--dir", type=Path, help="where to build (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the archive it built")
    parser.add_argument("--reuse", type=Path, help="an archive a --keep run built (its kho/)")
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp(prefix="bench-portal-", dir=args.dir))
    os.environ.setdefault("SOHOA_LANG", "en")
    try:
        start = time.perf_counter()
        if args.reuse:
            root = args.reuse.resolve()
            with Archive(root, create=False) as archive, archive.reading() as s:
                documents = int(s.scalar(select(func.count(Document.id))) or 0)
        else:
            root, documents = build(args.pages, where)
            if args.keep:
                print(f"archive kept at {root}", file=sys.stderr)
        result: dict[str, object] = {
            "pages": args.pages, "documents": documents,
            "build_s": round(time.perf_counter() - start, 1), "runs": [],
        }  # fmt: skip
        for workers in args.workers:
            proc, url = serve(root, workers)
            try:
                load = os.getloadavg()[0]
                run = {"workers": workers, **asyncio.run(measure(url, proc.pid, root, args))}
                # Other work on the machine shares its cores: say how much there was.
                run["load_avg"] = [round(load, 1), round(os.getloadavg()[0], 1)]
            finally:
                proc.terminate()
                proc.wait(30)
            result["runs"].append(run)  # type: ignore[attr-defined]
            if not args.json:
                for name in SEARCH_RUNS:
                    s = run[name]
                    print(
                        f"{workers} worker(s), {args.clients} clients, {args.pages} pages, "
                        f"{name:26s}: {s['searches_per_s']} searches/s, p50 {s['p50_ms']} / "
                        f"p95 {s['p95_ms']} / p99 {s['p99_ms']} ms ({s['errors']} errors; "
                        f"server CPU {s['server_cpu_ms_each']} ms, clients' "
                        f"{s['client_cpu_ms_each']} ms each)",
                        flush=True,
                    )
                i = run["images"]
                print(
                    f"{workers} worker(s), load average {run['load_avg']}: page image TTFB p50 "
                    f"{i['ttfb_p50_ms']} / p95 {i['ttfb_p95_ms']} ms once cached "
                    f"({i['images_per_s']}/s, {i['kb']} KB; first make p50 "
                    f"{i['first_make_p50_ms']} ms; server CPU {i['server_cpu_ms_each']} ms, "
                    f"clients' {i['client_cpu_ms_each']} ms each)",
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)
        else:
            shutil.rmtree(where / "scans", ignore_errors=True)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
