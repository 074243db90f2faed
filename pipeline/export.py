"""Export for the archival standard: PDF/A copies, metadata as CSV and JSON (standard names)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from archive_store import store
from archive_store.blobs import storage_error
from archive_store.db import Archive
from archive_store.models import Document, Dossier
from archive_store.records import DocumentRecord
from ocr.pdfa import write_pdfa
from pipeline import signatures
from pipeline.discover import batch_order
from pipeline.documents import effective_access
from pipeline.views import check_access
from sohoa.access import AccessLevel
from sohoa.errors import NotFound

# Field names of the standard for digitized records (Thông tư 02/2019/TT-BNV, now
# Thông tư 05/2025/TT-BNV), in its order, then what Party documents carry besides.
STANDARD_FIELDS = (
    "DocCode",
    "FileCode",
    "DocOrdinal",
    "TypeName",
    "CodeNumber",
    "CodeNotation",
    "IssuedDate",
    "OrganName",
    "Subject",
    "Language",
    "PageAmount",
    "Description",
    "Keyword",
    "Mode",
    "ConfidenceLevel",
    "Autograph",
    "Format",
    "Confidential",
    "Urgency",
    "SignerName",
    "SignerPosition",
    "SignAuthority",
    "Recipients",
    "DigitalSignature",
    "SignedBy",
    "SigningTime",
    "SourceFile",
    "SourcePages",
    "Unverified",
)

_STANDARD_NAMES = {
    "loai": "TypeName", "so": "CodeNumber", "so_ky_hieu": "CodeNumber",
    "ky_hieu": "CodeNotation", "ngay_ban_hanh": "IssuedDate", "co_quan_ban_hanh": "OrganName",
    "trich_yeu": "Subject", "do_mat": "Confidential", "do_khan": "Urgency",
    "nguoi_ky": "SignerName", "chuc_vu": "SignerPosition", "quyen_han_ky": "SignAuthority",
    "noi_nhan": "Recipients",
}  # fmt: skip
"""Extracted field -> the standard's field it fills."""


def unverified(record: DocumentRecord) -> list[str]:
    """The standard's fields whose value extraction flagged and no person has checked yet."""
    names = [
        _STANDARD_NAMES[name]
        for name, item in record.extracted.items()
        if name in _STANDARD_NAMES and name not in record.corrections
        and isinstance(item, dict) and item.get("needs_review")
    ]  # fmt: skip
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    documents: tuple[int, ...]
    files: tuple[Path, ...]

    def as_json(self) -> dict:
        """`sohoa export --json`: the documents written and every file, in order."""
        return {"documents": list(self.documents), "files": [str(f) for f in self.files]}


def standard_record(record: DocumentRecord, ordinal: int, details: dict | None) -> dict:
    """One document's metadata under the standard's field names (corrections winning)."""
    md = record.metadata()
    file_code = record.dossier_code or ""
    level = AccessLevel(effective_access(record))
    issued = md.get("ngay_ban_hanh")
    details = details or {}
    runs = record.source_runs() or [(record.source_path, record.first_page, record.last_page)]
    return {
        "DocCode": f"{file_code}.{ordinal:03d}" if file_code else f"VB-{record.id:06d}",
        "FileCode": file_code,
        "DocOrdinal": ordinal,
        "TypeName": md.get("loai") or "",
        "CodeNumber": md.get("so") or "",
        "CodeNotation": md.get("ky_hieu") or "",
        # The standard writes dates as dd/mm/yyyy.
        "IssuedDate": _ddmmyyyy(issued) if isinstance(issued, str) else "",
        "OrganName": md.get("co_quan_ban_hanh") or "",
        "Subject": md.get("trich_yeu") or "",
        "Language": "Tiếng Việt",
        "PageAmount": len(record.pages),
        "Description": md.get("ghi_chu") or "",
        "Keyword": md.get("tu_khoa") or "",
        "Mode": details.get("che_do_su_dung") or ("Hạn chế" if level else "Công khai"),
        "ConfidenceLevel": "Số hóa",
        "Autograph": md.get("but_tich") or "",
        "Format": details.get("tinh_trang_vat_ly") or "",
        "Confidential": md.get("do_mat") or "",
        "Urgency": md.get("do_khan") or "",
        "SignerName": md.get("nguoi_ky") or "",
        "SignerPosition": md.get("chuc_vu") or "",
        "SignAuthority": md.get("quyen_han_ky") or "",
        "Recipients": _joined(md.get("noi_nhan")),
        "SourceFile": "; ".join(dict.fromkeys(path for path, _, _ in runs)),
        "SourcePages": "; ".join(
            (f"{path}: " if len(runs) > 1 else "") + (f"{a}-{b}" if a != b else f"{a}")
            for path, a, b in runs
        ),
        # Values extraction was not sure of and no person has checked: not yet verified.
        "Unverified": "; ".join(unverified(record)),
    }


def _ddmmyyyy(iso: str) -> str:
    parts = iso.split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else iso


def _joined(value: object) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value or "")


def write_archival_pdf(archive: Archive, record: DocumentRecord, out: Path) -> Path:
    """The document as PDF/A-2b: scan images plus the stored words as invisible text (no OCR).

    Built on export rather than during ingest: it costs ~0.18 s a page (15-20% of the page's
    OCR, see README), and most documents are never exported.
    """
    results = store.page_results(archive, [(p.sha256, p.source_page) for p in record.pages])
    pages = [
        (archive.blobs.path_for(p.sha256), p.source_page - 1, r)
        for p, r in zip(record.pages, results, strict=True)
    ]
    md = record.metadata()
    info = {"title": record.title, "language": "vi"}
    if isinstance(md.get("trich_yeu"), str):
        info["subject"] = str(md["trich_yeu"])
    if isinstance(md.get("co_quan_ban_hanh"), str):
        info["author"] = str(md["co_quan_ban_hanh"])
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return write_pdfa(pages, out, info)
    except OSError as exc:
        raise storage_error(exc, out) from exc


def export_document(
    archive: Archive, doc_id: int, to: Path, clearance: AccessLevel
) -> ExportResult:
    """The document as PDF/A plus its metadata as JSON and CSV (standard names)."""
    record = store.document(archive, doc_id)
    check_access(record, clearance)
    rows = [signatures.export_fields(archive, record, standard_record(record, 1, None))]
    stem = f"van-ban-{doc_id}"
    pdf = write_archival_pdf(archive, record, to / f"{stem}.pdf")
    files = _write(to, stem, rows, [record])
    files += signatures.signed_originals(archive, record, to, stem)
    return ExportResult(to, (doc_id,), (pdf, *files))


def export_dossier(archive: Archive, code: str, to: Path, clearance: AccessLevel) -> ExportResult:
    """Every document of the dossier the user may see, as CSV and JSON, in order."""
    with archive.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None:
            raise NotFound(
                vi=f"Không có hồ sơ mã {code!r} trong kho.",
                en=f"No dossier with code {code!r} in the archive.",
            )
        details = dict(dossier.details or {})
        found = s.execute(
            select(Document.id, Document.source_path, Document.first_page).where(
                Document.dossier_id == dossier.id
            )
        ).all()
    # In the order of the scans (natural order, as the batch was read), then of their pages.
    ids = [r[0] for r in sorted(found, key=lambda r: (batch_order(r[1]), r[2]))]
    # Ordinals count every document of the dossier, so a hidden one leaves no visible trace
    # other than a gap; hidden documents are neither written nor counted.
    records = [store.document(archive, i) for i in ids]
    visible = [(n, r) for n, r in enumerate(records, 1) if effective_access(r) <= clearance]
    rows = [
        signatures.export_fields(archive, r, standard_record(r, n, details)) for n, r in visible
    ]
    pdfs = tuple(
        write_archival_pdf(archive, r, to / f"{row['DocCode']}.pdf")
        for row, (_, r) in zip(rows, visible, strict=True)
    )
    files = _write(to, f"ho-so-{_safe(code)}", rows, [r for _, r in visible])
    for row, (_, r) in zip(rows, visible, strict=True):
        files += signatures.signed_originals(archive, r, to, row["DocCode"])
    return ExportResult(to, tuple(r.id for _, r in visible), pdfs + files)


def _safe(code: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in code)


def _write(
    to: Path, stem: str, rows: list[dict], records: Sequence[DocumentRecord]
) -> tuple[Path, ...]:
    json_path, csv_path = to / f"{stem}.json", to / f"{stem}.csv"
    try:
        to.mkdir(parents=True, exist_ok=True)
        payload = [
            {**row, "extracted": dict(rec.extracted), "corrections": dict(rec.corrections)}
            for row, rec in zip(rows, records, strict=True)
        ]
        json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        # utf-8-sig so that spreadsheet programs open Vietnamese text correctly.
        with csv_path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=STANDARD_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as exc:
        raise storage_error(exc, to) from exc
    return json_path, csv_path
