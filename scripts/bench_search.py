"""Search benchmark: index N synthetic pages of Vietnamese Party documents, time a query mix."""

# .venv/bin/python scripts/bench_search.py --pages 100000 --backend both --json
#
# Prints, per backend: pages, indexing pages/s (corpus generation left out), index size, peak
# memory, and p50/p95 latency of a fixed mix of queries (words, phrases, no-diacritic words,
# fuzzy words, filters, sort, clearances), each with 10 hits, 3 pages with snippets per hit, and
# facets (again without facets). Each backend runs in its own process so memory figures do not
# mix.

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer import layout
from indexer.backend import SearchBackend, open_index, rebuild_index
from indexer.types import IndexedDocument, IndexedPage

# Words and phrases of Party and state administrative writing: the first HEAD_WORDS are in
# nearly every document, the rest are topical (see Corpus).
PHRASES = """
của; và; các; trong; về; được; có; là; cho; với; đã; theo; những; việc; thực hiện; cán bộ;
đảng viên; tỉnh ủy; ban thường vụ; chi bộ; công tác; nghị quyết; quyết định; chỉ thị; kế hoạch;
báo cáo; tổ chức; lãnh đạo; chỉ đạo; triển khai; kinh tế; xã hội; quốc phòng; an ninh; nhân dân;
phát triển; nhiệm vụ; giải pháp; kết quả; năm; tháng; ngày; huyện ủy; đảng ủy; cơ sở; xã;
phường; thị trấn; hội nghị; ban chấp hành; bí thư; phó bí thư; ủy viên; thường trực; văn phòng;
ban tổ chức; ban tuyên giáo; ủy ban kiểm tra; mặt trận tổ quốc; đoàn thể; chính quyền; hội đồng
nhân dân; ủy ban nhân dân; công nghệ thông tin; chuyển đổi số; tài liệu; lưu trữ; hồ sơ; bảo mật;
bí mật nhà nước; tài liệu mật; kiểm tra; giám sát; kỷ luật; đảng; nhà nước; pháp luật; chính
sách; nông nghiệp; nông thôn mới; xây dựng; chỉnh đốn; học tập; làm theo; tư tưởng; đạo đức;
phong cách; hồ chí minh; nâng cao; năng lực; sức chiến đấu; đổi mới; phương thức; đánh giá;
xếp loại; chất lượng; tổng kết; sơ kết; rút kinh nghiệm; phân công; trách nhiệm; thẩm quyền;
quy định; hướng dẫn; thông báo; kết luận; tờ trình; công văn; biên bản; đề án; chương trình;
quy chế; phương án; ngân sách; tài chính; đầu tư; công nghiệp; dịch vụ; du lịch; giáo dục; đào
tạo; y tế; văn hóa; thể thao; môi trường; tài nguyên; đất đai; giao thông; thủy lợi; khoa học;
dân tộc; tôn giáo; biên giới; bảo vệ; phòng chống; tham nhũng; lãng phí; tiêu cực; cải cách
hành chính; thủ tục; đoàn kết; thống nhất; dân chủ; tập trung; quần chúng; thanh niên; phụ nữ;
nông dân; cựu chiến binh; công đoàn; hòa bình; hoà giải; ủy nhiệm; uỷ quyền; thủy sản; thuỷ điện;
khỏe mạnh; sức khoẻ; đồng chí; nơi nhận; lưu; như trên; t/m ban thường vụ; k/t bí thư; tỉnh;
huyện; thành phố; bắc giang; lạng sơn; thái nguyên; hải dương; nghệ an; thanh hóa; quảng ninh;
yên dũng; lục nam; việt yên; tân yên; hiệp hòa; sơn động; lục ngạn; mất mùa; mặt trận; một số;
tiếp tục; quán triệt; tuyên truyền; vận động; phổ biến; sâu rộng; kịp thời; nghiêm túc; hiệu quả;
thiết thực; toàn diện; đồng bộ; chủ động; tích cực; khắc phục; hạn chế; tồn tại; nguyên nhân;
khách quan; chủ quan; bài học; kinh nghiệm; phương hướng; mục tiêu; chỉ tiêu; tăng trưởng; bình
quân; thu nhập; đầu người; hộ nghèo; giảm nghèo; bền vững; việc làm; lao động; xuất khẩu; hạ
tầng; đô thị; quy hoạch; sử dụng đất; giải phóng mặt bằng; bồi thường; tái định cư; khiếu nại; tố
cáo; tiếp công dân; đối thoại; an toàn; trật tự; tội phạm; ma túy; tệ nạn; phòng cháy; chữa cháy;
thiên tai; lũ lụt; hạn hán; dịch bệnh; tiêm chủng; bảo hiểm; an sinh; người có công; thương
binh; liệt sĩ; gia đình chính sách; đền ơn đáp nghĩa; học sinh; giáo viên; trường học; bệnh
viện; trạm y tế; nhà văn hóa; di tích; lễ hội; truyền thống; cách mạng; kháng chiến; chiến
thắng; kỷ niệm; thành lập; đại hội; nhiệm kỳ; bầu cử; đại biểu; ứng cử; đề cử; giới thiệu; quy
hoạch cán bộ; luân chuyển; bổ nhiệm; miễn nhiệm; khen thưởng; thi đua; bằng khen; giấy khen;
huy hiệu; tuổi đảng; kết nạp; phát triển đảng; chuyển sinh hoạt; đảng phí; thẻ đảng; kiểm điểm;
tự phê bình; phê bình; cảnh cáo; khiển trách; cách chức; khai trừ; vi phạm; sai phạm; thu hồi;
xử lý; nghiêm minh; công khai; minh bạch; tiết kiệm; chống lãng phí; mua sắm; tài sản công; trụ
sở; xe công; kinh phí; dự toán; quyết toán; thẩm định; phê duyệt; điều chỉnh; bổ sung; sửa đổi;
bãi bỏ; hết hiệu lực; ban hành; có hiệu lực; kể từ ngày ký; các đồng chí; chịu trách nhiệm; thi
hành; tổ chức thực hiện; báo cáo kết quả; trước ngày; định kỳ; hằng năm; sáu tháng; quý; tuần;
""".split(";")
NAMES = "Nguyễn Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE = "Văn Thị Hữu Đức Minh Thanh Quang Xuân Thu Hồng".split()
GIVEN = "An Bình Cường Dũng Hà Hải Hòa Hùng Lan Long Mai Nam Phương Sơn Tâm Thảo Tuấn Vân".split()
TYPES = [
    ("Nghị quyết", "NQ"),
    ("Quyết định", "QĐ"),
    ("Chỉ thị", "CT"),
    ("Kết luận", "KL"),
    ("Thông báo", "TB"),
    ("Báo cáo", "BC"),
    ("Kế hoạch", "KH"),
    ("Đề án", "ĐA"),
    ("Tờ trình", "TTr"),
    ("Công văn", "CV"),
    ("Biên bản", "BB"),
    ("Hướng dẫn", "HD"),
]
BODIES = [
    ("Tỉnh ủy Bắc Giang", "TU"),
    ("Ban Thường vụ Tỉnh ủy", "TU"),
    ("Văn phòng Tỉnh ủy", "VPTU"),
    ("Ban Tổ chức Tỉnh ủy", "BTCTU"),
    ("Ủy ban Kiểm tra Tỉnh ủy", "UBKTTU"),
    *((f"Huyện ủy {h}", "HU") for h in ("Yên Dũng", "Lục Nam", "Việt Yên", "Tân Yên", "Hiệp Hòa")),
    *((f"Đảng ủy xã {x}", "ĐU") for x in ("Tiền Phong", "Nham Sơn", "Lãng Sơn", "Trí Yên")),
]
MARKS = [(None, 0.85), ("Mật", 0.10), ("Tối mật", 0.04), ("Tuyệt mật", 0.01)]

HEAD_WORDS = 60
"""The first PHRASES, in nearly every document; the rest are topical."""
TAIL_WORDS = 20_000
TOPIC_RANKS = 3_000
WORDS_PER_PAGE = 220
"""About 2 KB of text, as a typed page."""

QUERIES: list[tuple[str, dict[str, object]]] = [
    ("kinh tế", {}),
    ("đảng viên", {}),
    ("hồ chí minh", {}),
    ("Nguyễn Văn Hùng", {}),
    ("uỷ ban kiểm tra kỷ luật", {}),
    ('"công nghệ thông tin"', {}),
    ('"ban thường vụ tỉnh ủy"', {}),
    ('"bí mật nhà nước"', {"clearance": 2}),
    ("dang vien", {}),
    ("tai lieu mat", {"clearance": 1}),
    ('"nghi quyet"', {}),
    ("~nghiep", {}),
    ("~thuong vu", {}),
    ('loai:"Nghị quyết" nam:2010..2020', {}),
    ("so:15-NQ/TU OR so:TU kinh tế", {}),
    ('co_quan:"huyện ủy" kinh tế', {}),
    ("ngay:2015-01-01..2016-12-31 cán bộ", {}),
    ("(kinh tế OR xã hội) -quốc phòng", {}),
    ("quốc phòng an ninh", {"sort": "-ngay"}),
    ("do_mat:mat biên giới", {"clearance": 3}),
]


class Corpus:
    """Seeded synthetic documents, generated as they are indexed (a million pages do not fit
    in memory as strings); the time spent generating is measured and left out."""

    def __init__(self, pages: int, seed: int) -> None:
        self.pages = pages
        self.rng = random.Random(seed)
        words = [p.strip() for p in PHRASES if p.strip()]
        head, topical = words[:HEAD_WORDS], words[HEAD_WORDS:]
        # A long tail of two-syllable words made of the same syllables, with the topical
        # words spread through its first ranks: real text repeats a few hundred words in every
        # document and each topic's words in some, while its syllables recur everywhere.
        syllables = sorted({syllable for word in words for syllable in word.split()})
        tail = sorted({" ".join(self.rng.sample(syllables, 2)) for _ in range(TAIL_WORDS)})
        self.rng.shuffle(tail)
        for word in topical:
            tail.insert(self.rng.randrange(TOPIC_RANKS), word)
        ranked = head + tail
        names = [f"{a} {b} {c}" for a in NAMES for b in MIDDLE for c in GIVEN]
        self.rng.shuffle(names)
        # OCR noise: a few thousand misread variants (a mark dropped or a letter swapped)
        noisy = [self._misread(self.rng.choice(words)) for _ in range(3000)]
        self.vocab = ranked + names[:400] + noisy
        weights = [1 / (rank + 3) for rank in range(len(ranked))]
        common = sum(weights)
        # names are 3% of the words, misread words 1%: as in typed minutes and reports
        weights += [0.03 * common / 400] * 400 + [0.01 * common / len(noisy)] * len(noisy)
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.names = names
        self.generating_s = 0.0
        self.generating_cpu_s = 0.0

    def _misread(self, word: str) -> str:
        chars = list(word)
        i = self.rng.randrange(len(chars))
        chars[i] = self.rng.choice("aăâeêioôơuưyđdnmhtc")
        return "".join(chars)

    def _page(self) -> str:
        words = self.rng.choices(self.vocab, cum_weights=self.cum, k=WORDS_PER_PAGE)
        lines = [" ".join(words[i : i + 10]) for i in range(0, len(words), 10)]
        return ".\n".join(line.capitalize() for line in lines) + "."

    def __iter__(self) -> Iterator[IndexedDocument]:
        rng = self.rng
        made, doc_id = 0, 0
        while made < self.pages:
            start, cpu = time.perf_counter(), time.process_time()
            doc_id += 1
            n = min(self.pages - made, rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 8, 12)))
            loai, abbr = rng.choice(TYPES)
            co_quan, body = rng.choice(BODIES)
            ngay = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randrange(50 * 365))
            mark = rng.choices([m for m, _ in MARKS], weights=[w for _, w in MARKS])[0]
            level = [m for m, _ in MARKS].index(mark)
            so = f"{rng.randrange(1, 400)}-{abbr}/{body}"
            header = (
                f"ĐẢNG CỘNG SẢN VIỆT NAM\n{co_quan.upper()}\nSố {so}\n"
                f"Bắc Giang, ngày {ngay.day} tháng {ngay.month:02d} năm {ngay.year}\n"
                f"{loai.upper()}\n"
            )
            pages = [self._page() for _ in range(n)]
            pages[0] = header + pages[0]
            signer = rng.choice(self.names[:60])
            pages[-1] += f"\nT/M BAN THƯỜNG VỤ\nBÍ THƯ\n{signer}"
            doc = IndexedDocument(
                doc_id=doc_id,
                title=f"{loai} {pages[0].split(chr(10))[5][:60]}",
                access_level=level,
                pages=tuple(IndexedPage(i + 1, text) for i, text in enumerate(pages)),
                version="1",
                metadata={"loai": loai, "so_ky_hieu": so, "ngay_ban_hanh": ngay.isoformat()},
                loai=loai,
                so_ky_hieu=so,
                co_quan=co_quan,
                nguoi_ky=signer,
                ngay=ngay,
                ho_so=f"HS-{ngay.year}-{rng.randrange(1, 30):02d}",
                do_mat=mark,
            )
            made += n
            self.generating_s += time.perf_counter() - start
            self.generating_cpu_s += time.process_time() - cpu
            yield doc


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class MemorySampler(threading.Thread):
    """Peak anonymous memory (heaps: what indexing itself holds) while indexing.

    RSS also counts the index files tantivy maps into memory, pages the kernel drops when it
    needs room; both figures are reported.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_anon_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.2):
            self.peak_anon_mb = max(self.peak_anon_mb, _anon_mb())

    def stop(self) -> float:
        self._done.set()
        self.join()
        return max(self.peak_anon_mb, _anon_mb())


def _anon_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def bench(backend: str, pages: int, seed: int, rounds: int, where: Path) -> dict[str, object]:
    """Index, then query; the figures for one backend."""
    corpus = Corpus(pages, seed)
    index_dir = where / f"index-{backend}"
    load = os.getloadavg()[0]
    sampler = MemorySampler()
    sampler.start()
    start, cpu = time.perf_counter(), time.process_time()
    docs = rebuild_index(index_dir, corpus, engine=backend)
    anon = sampler.stop()
    index_s = time.perf_counter() - start - corpus.generating_s
    # CPU seconds of every thread (tantivy indexes in its own): on a shared machine this says
    # what the work costs when wall-clock time says how busy the other tenants were.
    index_cpu_s = time.process_time() - cpu - corpus.generating_cpu_s
    rss = _peak_rss_mb()
    live = layout.live_generation(index_dir)
    assert live is not None
    size = sum(f.stat().st_size for f in live.rglob("*") if f.is_file())
    index = open_index(index_dir)
    try:
        for query, options in QUERIES:  # warm-up: first touches of the files
            index.search(query, **options)  # type: ignore[arg-type]
        timings = _timings(index, rounds, facets=True)
        plain = _timings(index, rounds, facets=False)
        slowest = sorted(_per_query(timings), key=lambda item: -item[1])[:3]
    finally:
        index.close()
    return {
        "backend": backend,
        "pages": pages,
        "documents": docs,
        "index_pages_per_s": round(pages / index_s, 1),
        "index_s": round(index_s, 1),
        "index_cpu_s": round(index_cpu_s, 1),
        "load_avg_before": round(load, 1),
        "index_mb": round(size / 1e6, 1),
        "peak_rss_mb": round(rss, 1),
        "peak_anon_mb": round(anon, 1),
        "queries": len(timings),
        "p50_ms": _percentile([t for _, t in timings], 50),
        "p95_ms": _percentile([t for _, t in timings], 95),
        "p50_no_facets_ms": _percentile([t for _, t in plain], 50),
        "p95_no_facets_ms": _percentile([t for _, t in plain], 95),
        "slowest_ms": {query: round(ms, 1) for query, ms in slowest},
    }


def _timings(index: SearchBackend, rounds: int, *, facets: bool) -> list[tuple[str, float]]:
    """(query, ms) for each run of the mix: 10 hits, 3 pages with snippets each."""
    out = []
    for _ in range(rounds):
        for query, options in QUERIES:
            start = time.perf_counter()
            index.search(query, facets=facets, **options)  # type: ignore[arg-type]
            out.append((query, (time.perf_counter() - start) * 1000))
    return out


def _per_query(timings: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Median ms of each query of the mix."""
    by_query: dict[str, list[float]] = {}
    for query, ms in timings:
        by_query.setdefault(query, []).append(ms)
    return [(query, statistics.median(values)) for query, values in by_query.items()]


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return round(ordered[round(pct / 100 * (len(ordered) - 1))], 2)


def _line(r: dict[str, object]) -> str:
    return (
        f"{r['backend']}: {r['pages']} pages ({r['documents']} documents), "
        f"indexed {r['index_pages_per_s']} pages/s in {r['index_s']} s "
        f"({r['index_cpu_s']} CPU s, load average {r['load_avg_before']} before), "
        f"index {r['index_mb']} MB, peak RSS {r['peak_rss_mb']} MB "
        f"(anonymous {r['peak_anon_mb']} MB); "
        f"{r['queries']} queries: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms "
        f"(without facets: p50 {r['p50_no_facets_ms']} ms, p95 {r['p95_no_facets_ms']} ms); "
        f"slowest: {r['slowest_ms']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--backend", choices=("tantivy", "whoosh", "both"), default="tantivy")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--rounds", type=int, default=5, help="times the query mix runs")
    parser.add_argument("--dir", type=Path, help="where to build (default: a temporary folder)")
    args = parser.parse_args()
    if args.backend == "both":
        results = []
        for backend in ("tantivy", "whoosh"):
            cmd = [sys.executable, __file__, "--backend", backend, "--json"]
            cmd += ["--pages", str(args.pages), "--seed", str(args.seed)]
            cmd += ["--rounds", str(args.rounds)] + (["--dir", str(args.dir)] if args.dir else [])
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            results.append(json.loads(out))
        print(json.dumps(results) if args.json else "\n".join(_line(r) for r in results))
        return
    where = Path(tempfile.mkdtemp(prefix="bench-search-", dir=args.dir))
    try:
        result = bench(args.backend, args.pages, args.seed, args.rounds, where)
    finally:
        shutil.rmtree(where, ignore_errors=True)
    print(json.dumps(result) if args.json else _line(result))


if __name__ == "__main__":
    main()
