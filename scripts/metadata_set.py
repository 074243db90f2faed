"""The labelled set for metadata evaluation: synthetic documents, rendered, degraded, real OCR."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import ImageFont

from extract.metadata import PageText
from ocr.types import Word
from scripts import synth
from scripts.synth import Line, SynthDocument, SynthPage

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "tmp" / "metadata_eval"
"""OCR results by page image and OCR code version (under the git-ignored tmp/)."""

FIELDS = (
    "loai", "so", "ky_hieu", "so_ky_hieu", "ngay_ban_hanh", "noi_ban_hanh", "co_quan_ban_hanh",
    "co_quan_cap_tren", "trich_yeu", "quyen_han_ky", "chuc_vu", "nguoi_ky", "noi_nhan", "do_mat",
    "do_khan", "so_trang",
)  # fmt: skip


@dataclass(frozen=True)
class Labelled:
    """One synthetic document with the metadata printed on it, and how its scan is degraded."""

    name: str
    doc: SynthDocument
    truth: dict[str, Any]
    degrade: dict[str, Any]


def _truth(md: dict[str, Any]) -> dict[str, Any]:
    out = {f: md.get(f) for f in FIELDS}
    out["so"] = str(md["so"])
    out["chuc_vu"] = md["chuc_vu"].upper() if md.get("chuc_vu") else None  # as printed
    out["noi_nhan"] = tuple(md["noi_nhan"])
    return out


def _degrade_params(rng: random.Random) -> dict[str, Any]:
    """A plausible office scan of an old paper: slight skew, blur, grain, JPEG, dust, a seal."""
    return {
        "skew_deg": round(rng.uniform(-1.5, 1.5), 2),
        "blur": round(rng.uniform(0.3, 1.0), 2),
        "noise": round(rng.uniform(4, 12), 1),
        "jpeg_quality": rng.randint(45, 85),
        "speckle": round(rng.uniform(0, 0.0015), 5),
        "dark_border": rng.random() < 0.3,
        "dpi": rng.choice([300, 300, 250, 200]),
    }


def _make(family: str, seed: int, **kwargs: Any) -> SynthDocument:
    """A synth document; a seed synth cannot build (a rare date corner) moves to the next."""
    build = synth.party_document if family == "party" else synth.state_document
    for attempt in range(20):
        try:
            return build(seed + 1000 * attempt, **kwargs)
        except ValueError:
            continue
    raise RuntimeError(f"synth could not build {family} {kwargs}")


def _fit(text: str, column: str = "left") -> float:
    """Font size (relative) at which a bold header line fits the left column."""
    font = ImageFont.truetype(str(synth.font_paths()["bold"]), round(synth._BASE.size_px))
    x0, x1 = synth._BASE.column(column)
    return min(1.0, int((x1 - x0) / font.getlength(text) * 100) / 100)


def _map_lines(doc: SynthDocument, role: str, fn: Any) -> SynthDocument:
    pages = []
    for page in doc.pages:
        blocks = tuple(
            replace(b, lines=tuple(fn(b.lines))) if b.role == role else b for b in page.blocks
        )
        pages.append(SynthPage(blocks))
    return replace(doc, pages=tuple(pages))


def _central(seed: int, body: str, kind: str) -> tuple[SynthDocument, dict[str, Any]]:
    """A central body's document (TW, VPTW, BTCTW): synth's Tỉnh ủy one with its header changed."""
    doc = _make("party", seed, kind=kind, body="TU")
    md = dict(doc.metadata)
    header, name, superior, sign = {
        "TW": (["BAN CHẤP HÀNH TRUNG ƯƠNG"], "Ban Chấp hành Trung ương", None,
               ("T/M", "BAN CHẤP HÀNH TRUNG ƯƠNG", "TỔNG BÍ THƯ")),
        "VPTW": (["BAN CHẤP HÀNH TRUNG ƯƠNG", "VĂN PHÒNG"], "Văn phòng Trung ương Đảng",
                 "Ban Chấp hành Trung ương", ("K/T", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG")),
        "BTCTW": (["BAN CHẤP HÀNH TRUNG ƯƠNG", "BAN TỔ CHỨC"], "Ban Tổ chức Trung ương",
                  "Ban Chấp hành Trung ương", ("K/T", "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN")),
    }[body]  # fmt: skip
    old_place = md["noi_ban_hanh"]
    symbol = f"{md['so']}-{kind}/{body}"

    def head(lines: Sequence[Line]) -> list[Line]:
        out = [Line(h, "bold", "center", _fit(h)) for h in header]
        star = next(i for i, ln in enumerate(lines) if ln.text == "*")
        out += [lines[star], replace(lines[star + 1], text=f"Số {symbol}"), *lines[star + 2 :]]
        return out

    def right(lines: Sequence[Line]) -> list[Line]:
        # The date line stays level with "Số ...", below the (one or two) organ lines.
        return [
            replace(ln, text=ln.text.replace(old_place, "Hà Nội"), space_before=len(header))
            if "ngày" in ln.text
            else ln
            for ln in lines
        ]

    def signature(lines: Sequence[Line]) -> list[Line]:
        quyen, thay, chuc = sign
        return [Line(f"{quyen} {thay}", "bold", "center", _fit(f"{quyen} {thay}", "right")),
                Line(chuc, "bold", "center"), lines[-1]]  # fmt: skip

    for role, fn in (("header_left", head), ("header_right", right), ("signature", signature)):
        doc = _map_lines(doc, role, fn)
    md.update(
        ky_hieu=f"{kind}/{body}", so_ky_hieu=symbol, noi_ban_hanh="Hà Nội",
        co_quan_ban_hanh=name, co_quan_cap_tren=superior, quyen_han_ky=sign[0], chuc_vu=sign[2],
    )  # fmt: skip
    return doc, md


def _retype(
    doc: SynthDocument, code: str, title: str, loai: str, keep_subject: bool
) -> tuple[SynthDocument, dict[str, Any]]:
    """A Party Quy định (QĐi) or Bản sao (BS) from a synth document of another type."""
    md = dict(doc.metadata)
    old = md["so_ky_hieu"]
    symbol = old.replace(f"-{md['ma_loai']}/", f"-{code}/")
    doc = _map_lines(
        doc, "header_left", lambda ls: [replace(ln, text=ln.text.replace(old, symbol)) for ln in ls]
    )
    doc = _map_lines(
        doc, "title", lambda ls: [replace(ls[0], text=title), *(ls[1:] if keep_subject else [])]
    )
    md.update(loai=loai, ky_hieu=symbol.split("-", 1)[1], so_ky_hieu=symbol)
    if not keep_subject:
        md["trich_yeu"] = None
    return doc, md


def labelled_documents() -> list[Labelled]:
    """The labelled set: every Party and state type and body, marks or none, 1 to 3 pages."""
    rng = random.Random(2024)
    specs: list[tuple[str, dict[str, Any]]] = []
    bodies = ["TU", "HU", "ĐU", "UBKTTU", "BTCTU", "VPTU", "BTGTU"]
    leading_only = {"NQ", "CT", "KL", "TT", "QC"}
    i = 0
    for kind in synth.PARTY_TYPES:
        for _ in range(2):
            allowed = [b for b in bodies if b in ("TU", "HU", "ĐU") or kind not in leading_only]
            specs.append(("party", {"kind": kind, "body": allowed[i % len(allowed)]}))
            i += 1
    for kind in ("QĐ", "KH", "BC", "TB", "BB"):  # an inspection commission's dossier
        specs.append(("party", {"kind": kind, "body": "UBKTTU"}))
    state_bodies = ["UBND", "UBND-H", "SNV"]
    for j, kind in enumerate([*synth.STATE_TYPES, *synth.STATE_TYPES, "CV", "QĐ"]):
        specs.append(("state", {"kind": kind, "body": state_bodies[j % 3]}))
    marks = [(None, None)] * 5 + [
        ("Mật", None),
        (None, "Khẩn"),
        ("Tối mật", "Thượng khẩn"),
        ("Mật", "Hỏa tốc"),
    ]
    out = []
    for n, (family, kw) in enumerate(specs):
        do_mat, do_khan = marks[n % len(marks)]
        pages = [1, 1, 2, 1, 3, 2][n % 6]
        doc = _make(family, n, do_mat=do_mat, do_khan=do_khan, pages=pages, **kw)
        name = f"{family}-{kw['kind']}-{kw['body']}-{n}"
        out.append(Labelled(name, doc, _truth(doc.metadata), _degrade_params(rng)))
    for n, (body, kind) in enumerate((("TW", "NQ"), ("VPTW", "TB"), ("BTCTW", "HD"), ("TW", "KL"))):
        doc, md = _central(500 + n, body, kind)
        out.append(
            Labelled(f"party-{kind}-{body}-{500 + n}", doc, _truth(md), _degrade_params(rng))
        )
    doc, md = _retype(
        _make("party", 600, kind="QĐ", body="TU", do_mat="Mật"), "QĐi", "QUY ĐỊNH", "Quy định", True
    )
    out.append(Labelled("party-QĐi-TU-600", doc, _truth(md), _degrade_params(rng)))
    doc = _make("party", 700, kind="BC", body="UBKTTU", do_mat="Tối mật", pages=2)
    doc = _map_lines(
        doc,
        "marks",
        lambda ls: [replace(ln, text="TUYỆT MẬT") if ln.text == "TỐI MẬT" else ln for ln in ls],
    )
    out.append(
        Labelled(
            "party-BC-UBKTTU-700",
            doc,
            {**_truth(doc.metadata), "do_mat": "Tuyệt mật"},
            _degrade_params(rng),
        )
    )
    doc, md = _retype(
        _make("party", 601, kind="TB", body="VPTU"), "BS", "SAO Y BẢN CHÍNH", "Bản sao", False
    )
    out.append(Labelled("party-BS-VPTU-601", doc, _truth(md), _degrade_params(rng)))
    return out


# ---------------------------------------------------------------------------------------------
# OCR through the pipeline's own page reader, cached.


def ocr_code_version() -> str:
    """A digest of the pipeline's OCR code (ocr/*.py): stored with each cached page."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "ocr").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _page_job(args: tuple[SynthPage, dict[str, Any] | None, bool, Path]) -> dict[str, Any]:
    page, params, last, out = args
    if out.exists():
        return json.loads(out.read_text(encoding="utf-8"))
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from ocr.page import ocr_page

    img = synth.render_page(page)
    if params is not None:
        params = dict(params)
        seed = params.pop("seed", int(out.stem[:8], 16))
        seal = last and not params.pop("no_seal", False)
        img = synth.degrade(img, seed=seed, red_seal=seal, **params)
    with tempfile.TemporaryDirectory(prefix="sohoa-mdset-") as tmp:
        path = Path(tmp) / "page.png"
        img.save(path, dpi=img.info["dpi"], compress_level=1)
        result = ocr_page(path, 0)
    data = {
        "ocr": ocr_code_version(),
        "engine": result.engine,
        "text": result.text,
        "words": [[w.text, w.left, w.top, w.width, w.height, w.conf, w.line] for w in result.words],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".part")
    tmp_out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp_out.replace(out)
    return data


def page_from_json(data: dict[str, Any]) -> PageText:
    """A PageText from its cached JSON form (text and words)."""
    words = tuple(
        Word(t, int(a), int(b), int(c), int(d), float(e), int(f))
        for t, a, b, c, d, e, f in data["words"]
    )
    return PageText(data["text"], words)


def cache_path(
    page: SynthPage, params: dict[str, Any] | None, last: bool, tesseract: str, cache: Path = CACHE
) -> Path:
    """Where one page's OCR result is cached: by what is drawn, its degradation, Tesseract."""
    key = json.dumps([repr(page), params, last, tesseract], ensure_ascii=False)
    return cache / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def ocr_documents(
    docs: Iterable[Labelled],
    degraded: bool,
    jobs: int = 2,
    cache: Path = CACHE,
    refresh: bool = False,
    seal: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Each document's pages as OCR read them (JSON form), OCR'd in `jobs` processes once.

    Degraded last pages carry a red seal over the signature unless `seal` is False. Pages are
    cached by what is drawn and how it is degraded; each entry records the OCR code it was read
    with, and `refresh` reads again the pages read by older OCR code.
    """
    from ocr.tesseract import check_tesseract

    tesseract, current = check_tesseract("vie"), ocr_code_version()
    plan: dict[str, list[tuple[SynthPage, dict[str, Any] | None, bool, Path]]] = {}
    for ld in docs:
        plan[ld.name] = []
        for i, page in enumerate(ld.doc.pages):
            params = ld.degrade if degraded else None
            last = i == len(ld.doc.pages) - 1
            path = cache_path(page, params, last, tesseract, cache)
            if params is not None and not seal and last:
                # The same scan without the seal: same noise (seed), no red ink on the signature.
                params = {**params, "no_seal": True, "seed": int(path.stem[:8], 16)}
                path = cache_path(page, params, last, tesseract, cache)
            plan[ld.name].append((page, params, last, path))
    jobs_ = [job for group in plan.values() for job in group]
    for job in jobs_ if refresh else ():
        if job[3].exists() and json.loads(job[3].read_text("utf-8")).get("ocr") != current:
            job[3].unlink()
    todo = [job for job in jobs_ if not job[3].exists()]
    if todo:
        print(f"OCR of {len(todo)} pages ({jobs} processes; cached in {cache}) ...", flush=True)
        failed = []
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_page_job, job): job for job in todo}
            for n, future in enumerate(as_completed(futures), 1):
                if future.exception() is not None:
                    failed.append(futures[future])
                if n % 10 == 0:
                    print(f"  {n}/{len(todo)}", flush=True)
        for job in failed:  # once more, alone: a worker may have died for another reason
            _page_job(job)
    return {name: [_page_job(job) for job in group] for name, group in plan.items()}


def dossiers(docs: Sequence[Labelled], size: int = 6) -> list[list[Labelled]]:
    """Dossiers to split: runs of documents in a shuffled order, and one inspection dossier."""
    order = list(docs)
    random.Random(7).shuffle(order)
    out = [order[i : i + size] for i in range(0, len(order), size)]
    inspection = [d for d in docs if "-UBKTTU-" in d.name][:8]
    return [*out, inspection]


FIXTURE = ROOT / "tests" / "data" / "metadata" / "degraded_subset.json.gz"
"""A fixed subset of the degraded set, OCR'd, committed so tests need not OCR it again."""


def fixture_subset(docs: Sequence[Labelled]) -> list[Labelled]:
    """Every fifth document: Party and state, most types, with and without marks."""
    return [d for n, d in enumerate(docs) if n % 5 == 0]


def write_fixture(path: Path = FIXTURE, jobs: int = 2) -> None:
    """Write the subset's truth and OCR'd degraded pages (text and words), with the seal on the
    last page and without it, as gzipped JSON."""
    subset = fixture_subset(labelled_documents())
    data: dict[str, Any] = {"pages": {}}
    for variant, seal in (("degraded", True), ("degraded_no_seal", False)):
        docs = ocr_documents(subset, degraded=True, jobs=jobs, seal=seal)
        data[variant] = []
        for d in subset:
            keys = []  # each page once: only the last page differs without the seal
            for page in docs[d.name]:
                key = hashlib.sha256(json.dumps(page["words"]).encode()).hexdigest()[:12]
                data["pages"][key] = {k: page[k] for k in ("text", "words")}
                keys.append(key)
            data[variant].append({"name": d.name, "truth": d.truth, "pages": keys})
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # mtime=0: the same pages give the same bytes, so git sees no change on a re-run.
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def read_fixture(
    variant: str = "degraded", path: Path = FIXTURE
) -> list[tuple[str, dict[str, Any], list[PageText]]]:
    """(name, truth, pages) of each document of the committed subset ("degraded" or
    "degraded_no_seal")."""
    data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    out = []
    for d in data[variant]:
        truth = {**d["truth"], "noi_nhan": tuple(d["truth"]["noi_nhan"])}
        out.append((d["name"], truth, [page_from_json(data["pages"][k]) for k in d["pages"]]))
    return out


if __name__ == "__main__":
    write_fixture()
    print(f"wrote {FIXTURE}")
