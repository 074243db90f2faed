"""Evaluate metadata extraction and dossier splitting on the labelled set (real OCR, cached).

    .venv/bin/python -m scripts.eval_metadata            # clean and degraded pages, dossiers
    .venv/bin/python -m scripts.eval_metadata --errors   # also list every wrong value
    .venv/bin/python -m scripts.eval_metadata --check    # exit 1 below 0.95 F1 or a bad split

Pages are rendered by scripts/synth.py, degraded (skew, blur, grain, JPEG, dust, dpi, a red seal
over the signature) and read by the pipeline's own OCR (ocr.page.ocr_page, Tesseract vie); the
OCR results are cached under tmp/metadata_eval/, so only the first run is slow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein

from extract.conventions import canonical
from extract.metadata import DocumentMetadata, PageText, extract_metadata, inspection_kind
from extract.segment import split_dossier
from scripts.metadata_set import (
    FIELDS,
    Labelled,
    dossiers,
    labelled_documents,
    ocr_code_version,
    ocr_documents,
    page_from_json,
)

TARGET_F1 = 0.95
FREE_TEXT_CER = 0.05
"""Trích yếu and nơi nhận are long free text: right when their character error rate is at most
this (OCR's slips on a letter or two); every other field must match exactly."""
FREE_TEXT = ("trich_yeu", "noi_nhan")


def _norm(value: object) -> object:
    if isinstance(value, str):
        return " ".join(canonical(value).split())
    if isinstance(value, tuple | list):
        return tuple(_norm(v) for v in value)
    return value


def correct(name: str, truth: object, found: object) -> bool:
    """Whether an extracted value matches the truth (spelling variants ủy/uỷ count as equal)."""
    t, f = _norm(truth), _norm(found)
    if name == "chuc_vu" and isinstance(t, str) and isinstance(f, str):
        return t.casefold() == f.casefold()
    if name in FREE_TEXT and t is not None and f is not None:
        ts = " | ".join(t) if isinstance(t, tuple) else str(t)
        fs = " | ".join(f) if isinstance(f, tuple) else str(f)
        same_count = not isinstance(t, tuple) or len(t) == len(f)  # type: ignore[arg-type]
        return same_count and Levenshtein.normalized_distance(ts, fs) <= FREE_TEXT_CER
    return t == f


@dataclass
class Score:
    """Counts for one field: true positives, false positives, false negatives, confidences."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    conf_right: list[float] = field(default_factory=list)
    conf_wrong: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, name: str, doc: str, truth: object, md: DocumentMetadata) -> None:
        fv = getattr(md, name)
        if truth is None and fv.value is None:
            return
        if fv.value is not None and correct(name, truth, fv.value):
            self.tp += 1
            self.conf_right.append(fv.confidence)
            return
        if fv.value is not None:
            self.fp += 1
            self.conf_wrong.append(fv.confidence)
        if truth is not None:
            self.fn += 1
        self.errors.append(f"{doc}: {truth!r} -> {fv.value!r} ({fv.confidence})")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


Case = tuple[str, Mapping[str, Any], Sequence[PageText]]
"""A labelled document: its name, the truth, its pages as OCR read them."""


def score(cases: Iterable[Case]) -> dict[str, Score]:
    """Per-field scores of extract_metadata over labelled documents."""
    scores = {name: Score() for name in FIELDS}
    for doc, truth, pages in cases:
        md = extract_metadata(pages)
        for name in FIELDS:
            scores[name].add(name, doc, truth[name], md)
    return scores


def split_score(dossiers: Sequence[Sequence[Sequence[PageText]]]) -> tuple[int, list[str]]:
    """(dossiers split exactly right, what went wrong); each dossier a list of documents."""
    right, wrong = 0, []
    for n, docs in enumerate(dossiers):
        flat: list[PageText] = []
        truth = []
        for pages in docs:
            truth.append(range(len(flat), len(flat) + len(pages)))
            flat += pages
        found = split_dossier(flat)
        if found == truth:
            right += 1
        else:
            wrong.append(f"dossier {n}: {[(r.start, r.stop) for r in truth]} -> "
                         f"{[(r.start, r.stop) for r in found]}")  # fmt: skip
    return right, wrong


def with_blank_backs(docs: Sequence[Sequence[PageText]]) -> list[list[PageText]]:
    """The documents as a duplex scanner delivers one-sided sheets: a blank page after each."""
    return [[p for page in pages for p in (page, PageText(""))] for pages in docs]


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.2f}" if values else "  - "


def _report(runs: dict[str, dict[str, Score]], docs: Sequence[Labelled]) -> None:
    names = list(runs)
    head = f"{'field':<18}{'n':>4}" + "".join(f" | {v:^20}" for v in names)
    print(head + " | conf right/wrong (degraded)")
    print(f"{'':<22}" + " | {:>6} {:>6} {:>6}".format("P", "R", "F1") * len(names))
    for name in FIELDS:
        n = sum(ld.truth[name] is not None for ld in docs)
        row = f"{name:<18}{n:>4}"
        for v in names:
            s = runs[v][name]
            row += f" | {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}"
        last = runs[names[-1]][name]
        print(f"{row} | {_mean(last.conf_right)} / {_mean(last.conf_wrong)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="OCR processes (default 2)")
    parser.add_argument("--errors", action="store_true", help="list every wrong value")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--refresh", action="store_true", help="OCR again pages read by older OCR code"
    )
    args = parser.parse_args(argv)

    docs = labelled_documents()
    current = ocr_code_version()
    print(f"{len(docs)} documents, {sum(len(d.doc.pages) for d in docs)} pages each variant")
    runs: dict[str, dict[str, Score]] = {}
    degraded_pages: dict[str, list[PageText]] = {}
    variants = (
        ("clean", False, True),
        ("degraded, no seal", True, False),
        ("degraded", True, True),
    )
    for variant, degraded, seal in variants:
        raw = ocr_documents(
            docs, degraded=degraded, jobs=args.jobs, refresh=args.refresh, seal=seal
        )
        pages = {k: [page_from_json(p) for p in v] for k, v in raw.items()}
        stale = sum(p.get("ocr") != current for v in raw.values() for p in v)
        engines = sorted({str(p.get("engine")) for v in raw.values() for p in v})
        print(f"{variant}: OCR by {', '.join(engines)}", end="")
        print(f"; {stale} pages by older OCR code (--refresh reads them again)" if stale else "")
        runs[variant] = score((d.name, d.truth, pages[d.name]) for d in docs)
        if variant == "degraded":
            degraded_pages = pages
            text_only = [(d.name, d.truth, [PageText(p.text) for p in pages[d.name]]) for d in docs]
            runs["degraded, text only"] = score(text_only)
    order = ("clean", "degraded, no seal", "degraded, text only", "degraded")
    runs = {k: runs[k] for k in order}
    _report(runs, docs)

    kinds = {"QĐ": "quyet_dinh_kiem_tra", "KH": "ke_hoach_kiem_tra", "BB": "bien_ban",
             "BC": "bao_cao_ket_qua_kiem_tra", "TB": "thong_bao_ket_luan"}  # fmt: skip
    inspection = [(d, kinds[d.truth["ky_hieu"].split("/")[0]]) for d in docs
                  if d.truth["ky_hieu"].split("/") in ([k, "UBKTTU"] for k in kinds)]  # fmt: skip
    found = sum(
        inspection_kind(extract_metadata(degraded_pages[d.name])) == k for d, k in inspection
    )
    print(f"\ninspection documents recognized (degraded): {found}/{len(inspection)}")

    groups = [[degraded_pages[d.name] for d in group] for group in dossiers(docs)]
    right, wrong = split_score(groups)
    total = len(groups)
    print(f"dossiers split right (degraded): {right}/{total} = {right / total:.3f}")
    # The same dossiers scanned on both sides of each sheet: a blank back after every page.
    right_duplex, wrong_duplex = split_score([with_blank_backs(group) for group in groups])
    wrong += [f"duplex {w}" for w in wrong_duplex]
    print(f"dossiers split right (degraded, blank backs): {right_duplex}/{total}")
    if args.errors:
        for v, scores in runs.items():
            for name, s in scores.items():
                for e in s.errors:
                    print(f"[{v}] {name}: {e}")
        for w in wrong:
            print(w)
    missed = [n for n, s in runs["degraded"].items() if s.f1 < TARGET_F1]
    if missed:
        print(f"below {TARGET_F1} F1 on degraded pages: {', '.join(missed)}")
    return 1 if args.check and (missed or right < total or right_duplex < total) else 0


if __name__ == "__main__":
    sys.exit(main())
