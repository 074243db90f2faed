"""Evaluate metadata on real documents: right and unflagged, flagged, wrong and unflagged.

    .venv/bin/python -m scripts.eval_real --data ../shared/real            # the development set
    .venv/bin/python -m scripts.eval_real --data ../shared/real --errors   # and every miss
    .venv/bin/python -m scripts.eval_real --data ../shared/real --check    # exit 1 off target

The files of `ground_truth.json` are ingested with `sohoa ingest` into an archive under
tmp/real_eval/ (OCR once: a second run only cuts and extracts again from the stored pages),
and each file's first document is scored as the check on the held-out set scores it: number and
symbol with spaces removed, Ð read as Đ, case ignored, exact; date issued exact (ISO); type,
place and signer folded (diacritics, case), exact; issuing body folded, one containing the
other; trích yếu folded, a leading "V/v" or "Về việc" dropped, within an edit distance of 5% of
its length. Fields the ground truth leaves empty are not scored. A field is "flagged" when it
says a person must look (`needs_review`), whether its value is right or not; a field with no
value that says nothing counts as wrong and unflagged.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from archive_store import store
from archive_store.db import Archive
from extract.conventions import fold

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "tmp" / "real_eval"
TARGET_RIGHT = 0.75
TARGET_WRONG = 0.02

FIELDS = {
    # ground truth key -> metadata field
    "so_ky_hieu": "so_ky_hieu",
    "ngay_ban_hanh": "ngay_ban_hanh",
    "loai_van_ban": "loai",
    "dia_danh": "noi_ban_hanh",
    "co_quan_ban_hanh": "co_quan_ban_hanh",
    "trich_yeu": "trich_yeu",
    "nguoi_ky": "nguoi_ky",
}
"""The scored fields: ground truth key -> sohoa's field."""


def _folded(value: str) -> str:
    return " ".join(fold(value).split())


_SUBJECT_LEAD = re.compile(r"^\s*(?:v\s*/\s*v|ve viec)\s*[:.]?\s*")


def right(key: str, truth: str, found: object) -> bool:
    """Whether an extracted value is right, as the held-out check scores it."""
    if not isinstance(found, str) or not found.strip():
        return False
    if key == "so_ky_hieu":

        def norm(s: str) -> str:
            return re.sub(r"\s", "", s).replace("Ð", "Đ").replace("ð", "đ").casefold()

        return norm(truth) == norm(found)
    if key == "ngay_ban_hanh":
        return truth == found
    t, f = _folded(truth), _folded(found)
    if key == "co_quan_ban_hanh":
        return t in f or f in t
    if key == "trich_yeu":
        t, f = _SUBJECT_LEAD.sub("", t), _SUBJECT_LEAD.sub("", f)
        return Levenshtein.distance(t, f) <= 0.05 * len(t)
    return t == f


@dataclass
class Tally:
    """One field's counts over the documents (or the total)."""

    right: int = 0
    flagged: int = 0
    wrong: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.right + self.flagged + self.wrong


def score(
    truth: Sequence[Mapping[str, object]], extracted: Mapping[str, Mapping[str, object]]
) -> dict[str, Tally]:
    """Per field tallies; `extracted` maps a ground-truth file to its first document's
    `extracted` metadata (field -> {"value", "needs_review", ...}); a file missing counts as
    every field wrong and unflagged."""
    tallies = {key: Tally() for key in FIELDS}
    for record in truth:
        md = extracted.get(str(record["file"]), {})
        for key, name in FIELDS.items():
            want = record.get(key)
            if not isinstance(want, str) or not want:
                continue
            item = md.get(name)
            item = item if isinstance(item, Mapping) else {}
            value, flag = item.get("value"), bool(item.get("needs_review"))
            tally = tallies[key]
            ok = right(key, want, value)
            if flag:
                tally.flagged += 1
            elif ok:
                tally.right += 1
            else:
                tally.wrong += 1
            if not ok or flag:
                why = f" [{item.get('review_reason')}]" if flag else " [NOT FLAGGED]"
                tally.misses.append(f"{record['file']}: {want!r} -> {value!r}{why}")
    return tallies


def total(tallies: Mapping[str, Tally]) -> Tally:
    out = Tally()
    for t in tallies.values():
        out.right, out.flagged, out.wrong = (
            out.right + t.right,
            out.flagged + t.flagged,
            out.wrong + t.wrong,
        )
    return out


def table(tallies: Mapping[str, Tally]) -> str:
    """The per-field table in Markdown, with the total."""
    rows = [
        "| field | n | right, unflagged | flagged | wrong, unflagged |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, t in [*tallies.items(), ("**total**", total(tallies))]:
        n = max(t.n, 1)
        rows.append(
            f"| {name} | {t.n} | {t.right} ({t.right / n:.0%}) | {t.flagged} ({t.flagged / n:.0%})"
            f" | {t.wrong} ({t.wrong / n:.0%}) |"
        )
    return "\n".join(rows)


def prepare_batch(data: Path, files: Iterable[str], batch: Path) -> list[str]:
    """A batch folder of links to the ground truth's files (their paths kept); those found."""
    found = []
    for rel in files:
        src = (data / rel).resolve()
        if not src.is_file():
            continue
        link = batch / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink() or link.resolve() != src:
            link.unlink(missing_ok=True)
            link.symlink_to(src)
        found.append(rel)
    return found


def _sohoa(*args: str) -> None:
    cmd = [sys.executable, "-c", "from pipeline.cli import main; main()", *args, "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 3):
        sys.stderr.write(done.stderr)
        raise SystemExit(f"sohoa {args[0]} failed ({done.returncode})")


def ingest(batch: Path, archive: Path, workers: int) -> None:
    """`sohoa ingest` as a clerk runs it (OCR only of pages not yet stored), then `sohoa
    reextract`, so that the figures are those of the extraction code as it is now."""
    _sohoa("ingest", str(batch), "--archive", str(archive), "--workers", str(workers))
    _sohoa("reextract", "--archive", str(archive))


def first_documents(archive: Archive) -> dict[str, Mapping[str, object]]:
    """Each file's first document (the one starting on its page 1): its extracted metadata."""
    out: dict[str, Mapping[str, object]] = {}
    for record in store.iter_documents(archive):
        if record.first_page == 1 and record.source_path not in out:
            out[record.source_path] = {**record.extracted}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of ground_truth.json")
    parser.add_argument("--work", type=Path, default=WORK, help="batch and archive folder")
    parser.add_argument("--workers", type=int, default=2, help="OCR processes (default 2)")
    parser.add_argument("--errors", action="store_true", help="list every flagged or wrong value")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    truth = json.loads((args.data / "ground_truth.json").read_text(encoding="utf-8"))
    files = prepare_batch(args.data, [str(r["file"]) for r in truth], args.work / "batch")
    truth = [r for r in truth if r["file"] in files]
    ingest(args.work / "batch", args.work / "kho", args.workers)
    archive = Archive(args.work / "kho", create=False)
    tallies = score(truth, first_documents(archive))
    print(f"{len(truth)} documents of {args.data}\n")
    print(table(tallies))
    if args.errors:
        for name, t in tallies.items():
            for miss in t.misses:
                print(f"{name}: {miss}")
    all_ = total(tallies)
    share_right, share_wrong = all_.right / max(all_.n, 1), all_.wrong / max(all_.n, 1)
    print(f"\nright and unflagged {share_right:.1%} (target ≥ {TARGET_RIGHT:.0%}), "
          f"wrong and unflagged {share_wrong:.1%} (target ≤ {TARGET_WRONG:.0%})")  # fmt: skip
    missed = share_right < TARGET_RIGHT or share_wrong > TARGET_WRONG
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
