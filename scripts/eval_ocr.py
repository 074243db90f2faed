"""Evaluation: CER and WER per set of synthetic scans, with each cleanup step on, off, and none.

Every set is first pages of synthetic Party and state documents (scripts/synth.py) at 300 dpi,
spoiled one way: clean, degraded (blur, grain, JPEG, dust, slight skew), turned 90/180/270,
skewed ±2/±5/±10 degrees (alternating sign), low resolution 150/200 dpi (13 pt type, and 9 pt
type as on dense typewritten pages), a red seal over the signature, dark scanner borders with
punch holes, heavy speckle. Each page goes through the full
cleanup, the full cleanup minus one step (for every step), and no cleanup; the OCR of an image
that a switched-off step left unchanged is reused, so only distinct images cost a Tesseract run.

It prints one table per metric (rows: sets, columns: configurations) and flags any step whose
removal makes a set better (a step that costs accuracy somewhere). Also prints the cleanup's
share of OCR time per set.

With --real DIR it also reads the hand-transcribed real pages under DIR/transcribed (pages of
the scans in DIR/scans): CER and order-free word error (1 - F1 of the word multisets) on the
body text, per page and together, for Tesseract as before, with the column reading order, and
with the second opinion (one Tesseract run a page for all three), with the words fixed and
broken.

Example: .venv/bin/python scripts/eval_ocr.py --pages 4 --jobs 2
         .venv/bin/python scripts/eval_ocr.py --sets '' --real ../shared/real --words
         .venv/bin/python scripts/eval_ocr.py --sets clean,turned180 --pages 2 --json out.json
         .venv/bin/python scripts/eval_ocr.py --timing --pages 6   (per-page costs)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr.cleanup import OCR_DPI, CleanupOptions, prepare  # noqa: E402
from ocr.engine import get_engine  # noqa: E402
from ocr.reading_order import by_columns  # noqa: E402
from ocr.second_opinion import retext, second_opinion  # noqa: E402
from ocr.textnorm import normalize_text  # noqa: E402
from ocr.types import PageResult  # noqa: E402
from scripts.synth import (  # noqa: E402
    cer,
    degrade,
    page_text,
    party_document,
    render_page,
    state_document,
    wer,
)


def _punch_holes(img: Image.Image, seed: int) -> Image.Image:
    """Two binder holes, 6 mm across, 12 mm from the left edge, scanned against a dark lid."""
    dpi = img.info["dpi"][0]
    out = img.copy()
    draw = ImageDraw.Draw(out)
    r = 3 / 25.4 * dpi
    cx = (12 + seed % 3) / 25.4 * dpi
    for dy in (-40, 40):
        cy = out.height / 2 + dy / 25.4 * dpi
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=30)
    out.info = dict(img.info)
    return out


def _sign(seed: int) -> int:
    return 1 if seed % 2 else -1


SETS: dict[str, Callable[[Image.Image, int], Image.Image]] = {
    # Sets are rendered in 13 pt type unless SMALL_TYPE names them.
    "clean": lambda img, seed: img,
    "degraded": lambda img, seed: degrade(
        img,
        seed=seed,
        skew_deg=0.8 * _sign(seed),
        blur=0.8,
        noise=8,
        jpeg_quality=60,
        speckle=0.0005,
    ),
    "turned90": lambda img, seed: degrade(img, seed=seed, rotate=90),
    "turned180": lambda img, seed: degrade(img, seed=seed, rotate=180),
    "turned270": lambda img, seed: degrade(img, seed=seed, rotate=270),
    "skew2": lambda img, seed: degrade(img, seed=seed, skew_deg=2 * _sign(seed)),
    "skew5": lambda img, seed: degrade(img, seed=seed, skew_deg=5 * _sign(seed)),
    "skew10": lambda img, seed: degrade(img, seed=seed, skew_deg=10 * _sign(seed)),
    "lowres150": lambda img, seed: degrade(img, seed=seed, dpi=150),
    "lowres200": lambda img, seed: degrade(img, seed=seed, dpi=200),
    "small150": lambda img, seed: degrade(img, seed=seed, dpi=150),
    "small200": lambda img, seed: degrade(img, seed=seed, dpi=200, blur=0.6, noise=8),
    "red_seal": lambda img, seed: degrade(img, seed=seed, red_seal=True),
    "border_holes": lambda img, seed: _punch_holes(degrade(img, seed=seed, dark_border=True), seed),
    "speckle": lambda img, seed: degrade(img, seed=seed, speckle=0.003),
}


SMALL_TYPE = {"small150": 9.0, "small200": 9.0}
"""Sets printed in small type (footnotes, dense typewritten pages): point size."""


def cleanup_timing_line(results: Iterable[PageResult]) -> str:
    """One line for benchmarks: loading + cleanup time against OCR time, from PageResults."""
    pages = list(results)
    before = sum(r.cleanup_seconds for r in pages)
    ocr = sum(r.ocr_seconds for r in pages)
    n = max(1, len(pages))
    share = before / ocr if ocr else 0.0
    return (
        f"load+cleanup {1000 * before / n:.0f} ms/page, OCR {ocr / n:.2f} s/page:"
        f" {share:.1%} of OCR time over {len(pages)} pages (target <= 10%)"
    )


def configurations() -> dict[str, CleanupOptions]:
    """full, each step off (no_<step>), and none; the tables add "second" (full cleanup and
    the second opinion, as the pipeline reads)."""
    full = CleanupOptions()
    configs = {"full": full}
    for step in CleanupOptions.steps():
        configs[f"no_{step}"] = full.without(step)
    configs["none"] = CleanupOptions.none()
    return configs


@dataclass(frozen=True)
class Unit:
    """One page of one set."""

    set_name: str
    seed: int
    engine: str


def _document_page(seed: int, size_pt: float = 13.0) -> tuple[Image.Image, str]:
    doc = party_document(seed) if seed % 2 else state_document(seed)
    return render_page(doc.pages[0], size_pt=size_pt), page_text(doc.pages[0])


def run_unit(unit: Unit) -> dict[str, Any]:
    """OCR one spoiled page under every configuration (distinct images only)."""
    clean, truth = _document_page(unit.seed, SMALL_TYPE.get(unit.set_name, 13.0))
    img = SETS[unit.set_name](clean, unit.seed)
    dpi = round(img.info.get("dpi", (300, 300))[0])
    by_image: dict[str, tuple[str, float]] = {}
    rows: dict[str, dict[str, Any]] = {}
    for name, options in configurations().items():
        started = time.perf_counter()
        grey, report = prepare(img, dpi, options)
        cleanup_s = time.perf_counter() - started
        key = hashlib.sha1(grey.tobytes() + str(grey.shape).encode()).hexdigest()
        if key not in by_image:
            started = time.perf_counter()
            ocr_dpi = OCR_DPI if report.upsampled_from_dpi else dpi
            raw, raw_words = get_engine(unit.engine).recognize(grey, lang="vie", dpi=ocr_dpi)
            ocr_s = time.perf_counter() - started
            words = [replace(w, text=normalize_text(w.text)) for w in raw_words]
            text = normalize_text(raw)
            by_image[key] = (by_columns(text, words)[0], ocr_s)
            if name == "full":
                # The pipeline's reading: the same Tesseract run, then the second opinion.
                outcome = second_opinion(grey, words)
                second = by_columns(retext(text, words, outcome.words), outcome.words)[0]
        text, ocr_s = by_image[key]
        rows[name] = {
            "cer": cer(truth, text),
            "wer": wer(truth, text),
            "chars": len(" ".join(truth.split())),
            "words": len(truth.split()),
            "cleanup_s": cleanup_s,
            "ocr_s": ocr_s,
            "steps": list(report.steps),
            "rotated": report.rotated,
            "deskew_deg": report.deskew_deg,
        }
    rows["second"] = {**rows["full"], "cer": cer(truth, second), "wer": wer(truth, second)}
    return {"set": unit.set_name, "seed": unit.seed, "configs": rows, "ocr_runs": len(by_image)}


def aggregate(results: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Per set and configuration: CER and WER over all pages (errors / reference length)."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for res in results:
        for name, row in res["configs"].items():
            cell = table.setdefault(res["set"], {}).setdefault(
                name,
                {"char_err": 0.0, "chars": 0, "word_err": 0.0, "words": 0, "cleanup_s": 0.0,
                 "ocr_s": 0.0, "pages": 0},
            )  # fmt: skip
            cell["char_err"] += row["cer"] * row["chars"]
            cell["chars"] += row["chars"]
            cell["word_err"] += row["wer"] * row["words"]
            cell["words"] += row["words"]
            cell["cleanup_s"] += row["cleanup_s"]
            cell["ocr_s"] += row["ocr_s"]
            cell["pages"] += 1
    for cells in table.values():
        for cell in cells.values():
            cell["cer"] = cell["char_err"] / max(1, cell["chars"])
            cell["wer"] = cell["word_err"] / max(1, cell["words"])
    return table


def print_tables(table: dict[str, dict[str, dict[str, float]]], configs: list[str]) -> list[str]:
    """Print CER and WER tables (percent); return the warnings about harmful steps."""
    width = max(len(s) for s in table) + 2
    for metric in ("cer", "wer"):
        print(f"\n{metric.upper()} % (rows: sets; columns: cleanup configuration)")
        print("set".ljust(width) + "".join(c[:13].rjust(14) for c in configs))
        for set_name, cells in table.items():
            print(
                set_name.ljust(width) + "".join(f"{100 * cells[c][metric]:14.2f}" for c in configs)
            )
    warnings = []
    for set_name, cells in table.items():
        full = cells["full"]["cer"]
        for name in configs:
            # A step "hurts" a set when switching it off lowers CER by more than noise.
            if name.startswith("no_") and cells[name]["cer"] < full - 0.0005:
                warnings.append(
                    f"{set_name}: {name} reads better ({100 * cells[name]['cer']:.2f}% CER vs"
                    f" {100 * full:.2f}% with the full cleanup)"
                )
    print("\nCleanup time as share of OCR time (full cleanup), per set:")
    for set_name, cells in table.items():
        cell = cells["full"]
        share = cell["cleanup_s"] / max(cell["ocr_s"], 1e-9)
        per_page = cell["cleanup_s"] / cell["pages"]
        ocr = cell["ocr_s"] / cell["pages"]
        print(
            f"  {set_name.ljust(width)} cleanup {1000 * per_page:7.0f} ms/page"
            f"   OCR {ocr:6.2f} s/page   share {100 * share:5.1f}%"
        )
    return warnings


def timing(pages: int, seed: int) -> None:
    """Per-page costs on clean A4 pages, one process: OCR by each engine, load + cleanup,
    Tesseract OSD (which the cleanup avoids), and writing the PDF/A copy."""
    from ocr.engine import available_engines
    from ocr.page import ocr_page
    from ocr.pdfa import write_pdfa
    from ocr.tesseract import detect_orientation

    with tempfile.TemporaryDirectory(prefix="sohoa-timing-") as tmp:
        paths = []
        for i in range(pages):
            img, _ = _document_page(seed + i)
            paths.append(Path(tmp) / f"trang{i + 1}.png")
            img.save(paths[-1], dpi=(300, 300))
        results: dict[str, list[PageResult]] = {}
        for name in available_engines():
            ocr_page(paths[0], 0, engine=name)  # load the model once, as a worker does
            results[name] = [ocr_page(p, 0, engine=name) for p in paths]
            print(f"{name:10s} {cleanup_timing_line(results[name])}")
        started = time.perf_counter()
        for p in paths:
            grey = np.asarray(Image.open(p))
            detect_orientation(grey, 300)
        osd = (time.perf_counter() - started) / pages
        print(f"Tesseract OSD at 300 dpi (not used by the cleanup): {osd:.2f} s/page")
        name = available_engines()[-1]
        started = time.perf_counter()
        write_pdfa([(p, 0, r) for p, r in zip(paths, results[name], strict=True)],
                   Path(tmp) / "ban-luu.pdf")  # fmt: skip
        print(f"PDF/A-2b export: {(time.perf_counter() - started) / pages:.2f} s/page")


# -- real pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealPage:
    """A transcribed page of a real scan: NAME_pK.{header,body}.gt.txt beside scans/NAME.pdf."""

    name: str
    scan: Path
    frame: int
    header: str
    body: str


def real_pages(root: Path) -> list[RealPage]:
    """The hand-transcribed pages under root/transcribed, with their scans under root/scans."""
    out = []
    for body in sorted((root / "transcribed").glob("*.body.gt.txt")):
        stem = body.name.removesuffix(".body.gt.txt")
        name, _, page = stem.rpartition("_p")
        header = body.with_name(f"{stem}.header.gt.txt")
        out.append(
            RealPage(
                stem,
                root / "scans" / f"{name}.pdf",
                int(page) - 1,
                header.read_text("utf-8") if header.exists() else "",
                body.read_text("utf-8"),
            )
        )
    return out


def body_of(text: str, page: RealPage) -> str:
    """The OCR text from the line where the page's body begins (the best match of the first
    body line of the transcription); the whole text when the page has no header."""
    if not page.header.strip():
        return text
    from rapidfuzz import fuzz

    first = next(line for line in page.body.splitlines() if line.strip())
    lines = text.splitlines()
    best = max(range(len(lines)), key=lambda i: fuzz.ratio(lines[i], first), default=0)
    return "\n".join(lines[best:])


def word_error(ref: str, hyp: str) -> tuple[float, int, int]:
    """Order-free word error: 1 - F1 of the two word multisets (NFC, split on whitespace);
    also the words in common and the reference's word count."""
    from collections import Counter

    r = Counter(normalize_text(ref).split())
    h = Counter(normalize_text(hyp).split())
    common = sum((r & h).values())
    total_r, total_h = sum(r.values()), sum(h.values())
    if not total_r or not total_h:
        return (0.0 if total_r == total_h else 1.0), common, total_r
    f1 = 2 * common / (total_r + total_h)
    return 1 - f1, common, total_r


def fixed_and_broken(ref: str, before: str, after: str) -> tuple[list[str], list[str]]:
    """Words the second opinion made right, and words it made wrong (multisets, order-free)."""
    from collections import Counter

    r = Counter(ref.split())
    right_before = Counter(before.split()) & r
    right_after = Counter(after.split()) & r
    return sorted((right_after - right_before).elements()), sorted(
        (right_before - right_after).elements()
    )


def run_real(page: RealPage) -> dict[str, Any]:
    """One real page: load, cleanup, ONE Tesseract run, then the second opinion on its words."""
    from ocr.cleanup import effective_dpi
    from ocr.loader import load_page

    loaded = load_page(page.scan, page.frame)
    width, height = loaded.image.size
    dpi = effective_dpi(width, height, loaded.dpi)
    grey, report = prepare(loaded.image, dpi, CleanupOptions())
    started = time.perf_counter()
    raw, raw_words = get_engine().recognize(
        grey, lang="vie", dpi=OCR_DPI if report.upsampled_from_dpi else dpi
    )
    ocr_s = time.perf_counter() - started
    words = [replace(w, text=normalize_text(w.text)) for w in raw_words]
    text = normalize_text(raw)
    started = time.perf_counter()
    outcome = second_opinion(grey, words)
    second_s = time.perf_counter() - started
    texts = {
        "tesseract": text,
        "columns": by_columns(text, words)[0],
        "second_opinion": by_columns(retext(text, words, outcome.words), outcome.words)[0],
    }
    row: dict[str, Any] = {"page": page.name, "ocr_s": ocr_s, "second_s": second_s,
                           "reread": outcome.reread, "taken": outcome.taken}  # fmt: skip
    truth = " ".join(normalize_text(page.body).split())
    for name, full in texts.items():
        body = " ".join(body_of(full, page).split())
        werr, common, n_ref = word_error(truth, body)
        row[name] = {"cer": cer(truth, body), "wer": werr, "chars": len(truth),
                     "words": n_ref, "common": common, "body": body}  # fmt: skip
    fixed, broken = fixed_and_broken(truth, row["columns"]["body"], row["second_opinion"]["body"])
    row["fixed"], row["broken"] = fixed, broken
    row["disputed"] = [
        (w.alt_text, w.text) if w.engine != "tesseract" else (w.text, w.alt_text)
        for w in outcome.words
        if w.alt_text
    ]
    return row


def real_report(rows: list[dict[str, Any]], show_words: bool) -> None:
    """Per page and together: CER and order-free word error, each way, and what changed."""
    print("\nReal pages, body text (CER % / word error %; word error = 1 - F1 of word multisets)")
    print(f"{'page':34s} {'Tesseract':>15s} {'+ columns':>15s} {'+ second opinion':>16s}"
          "  re-read taken fixed broken")  # fmt: skip
    configs = ("tesseract", "columns", "second_opinion")
    totals = {k: [0.0, 0, 0, 0] for k in configs}
    for row in rows:
        cells = []
        for name in configs:
            c = row[name]
            cells.append(f"{100 * c['cer']:6.2f} / {100 * c['wer']:5.2f}")
            t = totals[name]
            t[0] += c["cer"] * c["chars"]
            t[1] += c["chars"]
            t[2] += c["common"]
            t[3] += c["words"]
        print(f"{row['page'][:34]:34s} {cells[0]:>15s} {cells[1]:>15s} {cells[2]:>16s}"
              f"  {row['reread']:7d} {row['taken']:5d} {len(row['fixed']):5d}"
              f" {len(row['broken']):6d}")  # fmt: skip
    cells = []
    for name in configs:
        errors, chars, common, words = totals[name]
        # Together: pooled over pages (hypothesis words summed from each page's F1 terms).
        hyp = sum(len(r[name]["body"].split()) for r in rows)
        f1 = 2 * common / max(1, words + hyp)
        cells.append(f"{100 * errors / max(1, chars):6.2f} / {100 * (1 - f1):5.2f}")
    fixed = sum(len(r["fixed"]) for r in rows)
    broken = sum(len(r["broken"]) for r in rows)
    reread = sum(r["reread"] for r in rows)
    taken = sum(r["taken"] for r in rows)
    print(f"{'together':34s} {cells[0]:>15s} {cells[1]:>15s} {cells[2]:>16s}  {reread:7d}"
          f" {taken:5d} {fixed:5d} {broken:6d}")  # fmt: skip
    ocr = sum(r["ocr_s"] for r in rows) / max(1, len(rows))
    second = sum(r["second_s"] for r in rows) / max(1, len(rows))
    print(f"Tesseract {ocr:.2f} s/page, second opinion {second:.2f} s/page")
    if show_words:
        for row in rows:
            print(f"\n{row['page']}: fixed {row['fixed']}\n  broken {row['broken']}")
            print(f"  disputed (tesseract, other): {row['disputed']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4, help="pages per set (default 4)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--seed", type=int, default=7000, help="first document seed")
    parser.add_argument("--json", type=Path, help="also write all per-page figures here")
    parser.add_argument(
        "--engine", default="auto", help="OCR engine: auto (default), cli or tesserocr"
    )
    parser.add_argument(
        "--timing", action="store_true", help="print per-page costs instead (one process)"
    )
    parser.add_argument(
        "--real",
        type=Path,
        help="also (or with --sets '' only) read the hand-transcribed real pages under"
        " DIR/transcribed (e.g. ../shared/real), with and without the second opinion",
    )
    parser.add_argument(
        "--words", action="store_true", help="with --real: list words fixed, broken, disputed"
    )
    args = parser.parse_args(argv)
    if args.timing:
        timing(args.pages, args.seed)
        return 0
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        parser.error(f"unknown sets {unknown}; choose from {', '.join(SETS)}")
    if args.real:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(run_real, real_pages(args.real)))
        real_report(rows, args.words)
        if args.json and not names:
            args.json.write_text(json.dumps({"real": rows}, indent=1, ensure_ascii=False))
        if not names:
            return 0
    units = [Unit(s, args.seed + i, args.engine) for s in names for i in range(args.pages)]
    print(f"engine: {get_engine(args.engine).version('vie')}")
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_unit, units))
    table = aggregate(results)
    configs = [*configurations(), "second"]
    warnings = print_tables(table, configs)
    runs = sum(r["ocr_runs"] for r in results)
    print(
        f"\n{len(units)} pages, {runs} Tesseract runs, {time.perf_counter() - started:.0f} s"
        f" with {args.jobs} processes"
    )
    for line in warnings:
        print("WARNING:", line)
    if args.json:
        args.json.write_text(json.dumps({"table": table, "pages": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
