"""The signature stage of ingest and `fixity`: check each delivered PDF's signatures, keep them.

Runs in the parent after triage (a signature check reads the whole file, 30-500 ms for the real
files, and the store is written here anyway). A file checked before is not checked again by
ingest; `sohoa fixity --signatures` re-checks every signed file against the trust roots
installed now.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from archive_store import signatures as stored
from archive_store import store
from archive_store.blobs import storage_error
from archive_store.db import Archive
from archive_store.models import DocumentPage, Page, SourceFile
from archive_store.records import DocumentRecord
from ocr.loader import detect_kind
from ocr.textlayer import is_text_layer
from pipeline import indexing
from signing.trust import load_trust_roots, trust_dir
from signing.verify import (
    BROKEN,
    NONE,
    REVOCATION_NOTE_EN,
    REVOCATION_NOTE_VI,
    UNVERIFIED,
    VALID,
    VIETNAM,
    FileSignatures,
    check_pdf_signatures,
    has_signature_fields,
    overall_status,
)
from sohoa.errors import InputError
from sohoa.i18n import t


@dataclass(frozen=True)
class SignedFile:
    """A file of the batch to check: its path in the batch and its content hash."""

    rel_path: str
    sha256: str


def check_batch(archive: Archive, batch_id: int, files: Iterable[SignedFile]) -> int:
    """Check and store the signatures of the batch's PDFs not checked before; returns how many
    files were checked. A signature that cannot be read is stored as broken and reported as a
    failure of its file (the file's pages are stored all the same)."""
    todo = {f.sha256: f for f in files}
    done = stored.checked_files(archive, todo)  # one look-up for the batch, not one a file
    todo = {sha: f for sha, f in todo.items() if sha not in done}
    roots = None
    checked = 0
    for sha, f in todo.items():
        blob = archive.blobs.path_for(sha)
        try:
            if detect_kind(blob) != "pdf" or not has_signature_fields(blob):
                continue
        except (InputError, OSError):
            continue
        if roots is None:
            roots = load_trust_roots(trust_dir(archive.root))
        found = check_pdf_signatures(blob, roots)
        stored.save_signatures(archive, sha, found)
        checked += 1
        problem = _unreadable(found)
        if problem:
            store.record_failure(
                archive, batch_id, f.rel_path, None, *_explain(f.rel_path, problem)
            )
    return checked


def recheck_all(archive: Archive) -> dict[str, FileSignatures]:
    """Check every signed file of the archive again (its stored original), for `fixity`."""
    roots = load_trust_roots(trust_dir(archive.root))
    out: dict[str, FileSignatures] = {}
    for sha in stored.signed_shas(archive):
        blob = archive.blobs.path_for(sha)
        if not blob.is_file():
            continue  # fixity reports the missing original itself
        found = check_pdf_signatures(blob, roots)
        stored.save_signatures(archive, sha, found)
        out[sha] = found
    return out


def _unreadable(found: FileSignatures) -> str:
    if found.error:
        return found.error
    for c in found.signatures:
        if c.status == BROKEN and c.error:
            return f"{c.field_name}: {c.error}"
    return ""


def _explain(rel_path: str, error: str) -> tuple[str, str]:
    return (
        f"{rel_path}: không đọc được chữ ký số của tệp ({error}); chữ ký được ghi là lỗi "
        "(ky_so:loi), các trang vẫn được lưu. Tệp có thể đã bị ghi lại sau khi ký hoặc bị cắt "
        "cụt: hãy xin lại bản gốc đã ký.",
        f"{rel_path}: the file's digital signature cannot be read ({error}); it is recorded as "
        "broken (ky_so:loi) and the pages are stored. The file may have been rewritten after "
        "signing or cut short: ask for the signed original again.",
    )


def signature_view(archive: Archive, doc_id: int) -> dict:
    """`show --json`'s "signatures": the document's status, each file's signatures as checked,
    and what the check could not say (no trust roots installed, revocation not checked)."""
    files = stored.document_signatures(archive, doc_id)
    installed = len(load_trust_roots(trust_dir(archive.root)))
    checks = [c for _, found in files for c in found.signatures]
    broken = any(found.error for _, found in files)
    notes = [t(REVOCATION_NOTE_VI, REVOCATION_NOTE_EN)]
    if installed == 0:
        notes.insert(
            0,
            t(
                f"chưa cài chứng thư gốc tin cậy nào (sohoa không kèm sẵn); chép chứng thư gốc "
                f"(PEM/DER) vào {trust_dir(archive.root)} rồi chạy `sohoa fixity --signatures`",
                f"no trust roots installed (none ship with sohoa); copy root certificates "
                f"(PEM/DER) into {trust_dir(archive.root)} and run `sohoa fixity --signatures`",
            ),
        )
    signed_on = stored.document_signing_date(archive, doc_id)
    return {
        "status": overall_status(checks, broken=broken),
        "trust_roots": installed,
        "signed_on": signed_on.isoformat() if signed_on else None,
        "notes": notes,
        "files": [
            {
                "file": path,
                "status": found.status,
                "error": found.error,
                "checked_at": found.checked_at,
                "signatures": [c.as_json() for c in found.signatures],
            }
            for path, found in files
            if found.signatures or found.error
        ],
    }


def page_sources(archive: Archive, doc_id: int) -> list[str]:
    """Where each page's text came from, in document order: "text_layer" (born-digital: the
    PDF's own text, no OCR and no OCR confidence) or "ocr"."""
    with archive.session() as s:
        rows = s.execute(
            select(Page.engine)
            .join(
                DocumentPage,
                (DocumentPage.sha256 == Page.sha256)
                & (DocumentPage.source_page == Page.source_page),
            )
            .where(DocumentPage.document_id == doc_id)
            .order_by(DocumentPage.ordinal)
        ).all()
    return ["text_layer" if is_text_layer(engine) else "ocr" for (engine,) in rows]


def add_to_view(archive: Archive, doc_id: int, view: dict) -> dict:
    """`show`'s view with the signatures and each page's text source added."""
    view["signatures"] = signature_view(archive, doc_id)
    for page, source in zip(view.get("pages", []), page_sources(archive, doc_id), strict=False):
        page["text_source"] = source
        if source == "text_layer":
            page["mean_confidence"] = None  # exact text: no recognition confidence to give
    return view


def signature_lines(view: dict) -> list[str]:
    """`show`'s plain-text lines for the signatures (times in Vietnam time)."""
    sig = view["signatures"]
    label = {
        VALID: t("hợp lệ", "valid"),
        UNVERIFIED: t("chưa xác minh", "not verified"),
        BROKEN: t("LỖI", "BROKEN"),
        NONE: t("không có", "none"),
    }
    lines = [t("  Chữ ký số: ", "  Digital signatures: ") + label[sig["status"]]]
    for f in sig["files"]:
        if f["error"]:
            lines.append(f"    {f['file']}: {f['error']}")
        for c in f["signatures"]:
            who = c["signer_cn"]
            if c["signer_org"] and c["signer_org"] != c["signer_cn"]:
                who += f" ({c['signer_org']})"
            when = "-"
            if c["signing_time"]:
                local = dt.datetime.fromisoformat(c["signing_time"]).astimezone(VIETNAM)
                when = local.strftime("%d/%m/%Y %H:%M")
            problems = ", ".join(c["problems"]) or "-"
            lines.append(
                f"    {label.get(c['status'], c['status'])}: {who}, {when}, "
                f"{c['digest_algorithm']}; {problems}"
            )
    if sig["status"] != NONE:
        lines.extend(f"    ({note})" for note in sig["notes"])
    return lines


def recheck_report(archive: Archive) -> dict[str, str]:
    """`fixity --signatures`: every signed file checked again, its status by path in the batch."""
    found = recheck_all(archive)
    indexing.sync(archive)  # the re-check wrote the index jobs of the documents concerned
    with archive.session() as s:
        rows = s.execute(
            select(SourceFile.rel_path, SourceFile.sha256).where(SourceFile.sha256.in_(found))
        ).all()
    return {rel: found[sha].status for rel, sha in sorted(rows)}


EXPORT_FIELDS = ("DigitalSignature", "SignedBy", "SigningTime")
"""What the standard export adds of the signatures: the status (ky_so), the signers (common
name, organisation) and the first signing time."""


def export_fields(archive: Archive, record: DocumentRecord, row: dict) -> dict:
    """The standard export's row of a document with its signature fields filled in."""
    files = stored.document_signatures(archive, record.id)
    checks = [c for _, found in files for c in found.signatures]
    broken = any(found.error for _, found in files)
    signers = dict.fromkeys(
        c.signer_cn + (f" ({c.signer_org})" if c.signer_org and c.signer_org != c.signer_cn else "")
        for c in checks
        if c.signer_cn
    )
    times = sorted(c.signing_time for c in checks if c.signing_time)
    return {
        **row,
        "DigitalSignature": overall_status(checks, broken=broken),
        "SignedBy": "; ".join(signers),
        "SigningTime": times[0] if times else "",
    }


def signed_originals(
    archive: Archive, record: DocumentRecord, to: Path, stem: str
) -> tuple[Path, ...]:
    """Copies, byte for byte, of the signed files the document comes from, beside its PDF/A
    rendition: the signature holds only on the original bytes, which stay the preservation
    master; the PDF/A is a rendition for reading, never a replacement."""
    out = []
    shas = dict.fromkeys(p.sha256 for p in record.pages)
    signed = stored.files_signatures(archive, list(shas))
    for n, sha in enumerate((s for s in shas if s in signed), start=1):
        target = to / f"{stem}.ban-goc-ky-so-{n}.pdf"
        try:
            to.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(archive.blobs.path_for(sha), target)
        except OSError as exc:
            raise storage_error(exc, target) from exc
        out.append(target)
    return tuple(out)
