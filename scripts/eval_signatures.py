"""Evaluation on real files: every PDF's signatures and every page's text-layer verdict.

Reads each PDF under DATA (../shared/real: scans/ and pdfs/), checks its signatures with the
trust roots of --trust (none by default: none ship), judges each page's text layer, and prints
what it found: status, signer, signing time (timestamp token or reported), digest, coverage,
problems; then the pages read from the text layer against those left to OCR. Where
ground_truth.json gives the date issued and the signer, it also prints the first signing day
and signer beside them (the evidence helper extraction uses).

Example: .venv/bin/python scripts/eval_signatures.py --data ../shared/real
Example: .venv/bin/python scripts/eval_signatures.py --data ../shared/real --json > sig.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium  # noqa: E402

from ocr.textlayer import read_text_layer  # noqa: E402
from signing.trust import load_trust_roots  # noqa: E402
from signing.verify import VIETNAM, check_pdf_signatures, earliest_signing_date  # noqa: E402


def evaluate(data: Path, trust: Path | None) -> list[dict]:
    roots = load_trust_roots(trust) if trust else ()
    truth = {}
    gt = data / "ground_truth.json"
    if gt.is_file():
        truth = {r["file"]: r for r in json.loads(gt.read_text(encoding="utf-8"))}
    out = []
    for path in sorted(data.rglob("*.pdf")):
        rel = path.relative_to(data).as_posix()
        started = time.perf_counter()
        found = check_pdf_signatures(path, roots)
        sig_s = time.perf_counter() - started
        pages = []
        started = time.perf_counter()
        pdf = pdfium.PdfDocument(str(path))
        count = len(pdf)
        pdf.close()
        for frame in range(count):
            v = read_text_layer(path, frame).verdict
            pages.append({"page": frame + 1, "reason": v.reason, "encoding": v.encoding,
                          "words": v.words, "well_formed": v.well_formed})  # fmt: skip
        layer_s = time.perf_counter() - started
        first = earliest_signing_date(found.signatures)
        record = truth.get(rel, {})
        out.append(
            {
                "file": rel,
                "status": found.status,
                "error": found.error,
                "signatures": [c.as_json() for c in found.signatures],
                "first_signing_day": first.isoformat() if first else None,
                "first_signer": next((c.signer_cn for c in found.signatures), None),
                "truth_date": record.get("ngay_ban_hanh"),
                "truth_signer": record.get("nguoi_ky"),
                "pages": pages,
                "seconds": {"signatures": round(sig_s, 3), "text_layer": round(layer_s, 3)},
            }
        )
    return out


def _local(iso: str | None) -> str:
    if not iso:
        return "-"
    return dt.datetime.fromisoformat(iso).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")


def report(results: list[dict]) -> None:
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    for r in results:
        statuses[r["status"]] += 1
        verdicts = ", ".join(f"{p['page']}:{p['reason']}" for p in r["pages"])
        print(f"\n{r['file']}  [{r['status']}]  pages {verdicts}")
        if r["error"]:
            print(f"  cannot read the signatures: {r['error']}")
        for c in r["signatures"]:
            for p in c["problems"]:
                problems[p] += 1
            who = c["signer_cn"] + (f" / {c['signer_org']}" if c["signer_org"] else "")
            print(
                f"  {c['status']:<13} {c['field_name']:<22} {who[:70]}\n"
                f"                signed {_local(c['signing_time'])} (+07:00; reported "
                f"{c['signer_reported_time'] or '-'}, timestamp {c['timestamp_time'] or '-'}), "
                f"{c['digest_algorithm']}, {c['subfilter']}, {c['coverage']}/"
                f"{c['modification_level']}; {', '.join(c['problems']) or 'no problem'}"
            )
        if r["truth_date"] or r["truth_signer"]:
            print(
                f"  ground truth: issued {r['truth_date']}, signer {r['truth_signer']}; first "
                f"signature: {r['first_signing_day']}, {r['first_signer']}"
            )
        for p in r["pages"]:
            reasons[p["reason"]] += 1
    print("\nfiles by signature status:", dict(statuses))
    print("signature problems:", dict(problems))
    print("pages by text-layer verdict:", dict(reasons))
    print("no trust roots were given: an intact signature reads chua-xac-minh (not verified);")
    print("revocation (CRL/OCSP) is not checked offline.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "real")
    ap.add_argument("--trust", type=Path, help="folder of trust-root certificates (PEM/DER)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"no folder {args.data}")
    results = evaluate(args.data, args.trust)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        report(results)


if __name__ == "__main__":
    main()
