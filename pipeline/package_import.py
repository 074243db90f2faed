"""Importing a transfer package into another archive: verified, then stored without OCR.

The bag is checked first (every payload file against its SHA-256, nothing missing, nothing
added); a damaged or incomplete package is refused, naming the files at fault, before anything
is written. Then, from `metadata/sohoa/package.json` (pipeline/package.py): each original into
the blob store under its SHA-256 (verified once there), its batch and file records, each page
from its stored OCR, the dossiers, the documents with their pages, metadata and access level,
every correction with who made it and when, their index jobs through the outbox, and the
index brought in step. Ids in this archive are its own; the report maps the package's
(source) ids to them. Importing the same package again stores nothing twice: files, pages and
documents are keyed by content (file hash, page), corrections by (field, value, who, when).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select, update

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.models import Batch, Correction, Document, IndexJob, Page
from archive_store.records import PageRef
from ocr.types import CleanupReport, PageResult, Word
from pipeline import indexing, signatures
from pipeline.package import DESCRIPTOR, FORMAT, FORMAT_VERSION
from sohoa.errors import ArchiveError


@dataclass(frozen=True)
class ImportReport:
    """What `sohoa import` stored."""

    package: Path
    archive: Path
    documents: tuple[tuple[int, int, str], ...]
    """(id in the package's archive, id here, DocCode) of each document."""
    files_added: int
    """Originals put into the blob store (the others were there already)."""
    pages_added: int
    documents_added: int
    corrections_added: int
    left_out: int
    """Documents the package says were left out (above its clearance)."""
    originals_missing: tuple[str, ...] = ()
    """Originals the package did not carry (they held pages that could not go)."""
    fixity_ok: bool = True
    """Every imported original hashes to its name in the blob store."""
    index_note: str | None = None

    def as_json(self) -> dict:
        return {
            "package": str(self.package),
            "archive": str(self.archive),
            "documents": [
                {"source_id": a, "id": b, "DocCode": code} for a, b, code in self.documents
            ],
            "files_added": self.files_added,
            "pages_added": self.pages_added,
            "documents_added": self.documents_added,
            "corrections_added": self.corrections_added,
            "left_out": self.left_out,
            "originals_missing": list(self.originals_missing),
            "fixity_ok": self.fixity_ok,
            "index_note": self.index_note,
        }


def verify_package(path: Path) -> dict:
    """Check the bag and read its descriptor; refuse a damaged or incomplete package."""
    try:
        bag = bagit.Bag(str(path))
    except bagit.BagError as exc:
        raise _refused(path, [str(exc)]) from exc
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        problems = [str(d) for d in exc.details]
        if not problems:
            # The Payload-Oxum (count and size) is checked first and names no file: say which.
            missing, extra = bag.compare_manifests_with_fs()
            problems = [f"{name}: thiếu / missing" for name in sorted(missing)]
            problems += [f"{name}: thừa / not in the manifest" for name in sorted(extra)]
        raise _refused(path, problems or [str(exc.message)]) from exc
    except bagit.BagError as exc:
        raise _refused(path, [str(exc)]) from exc
    descriptor = path / "data" / DESCRIPTOR
    try:
        meta = json.loads(descriptor.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _refused(path, [f"data/{DESCRIPTOR}: {exc}"]) from exc
    if meta.get("format") != FORMAT or int(meta.get("version", 0)) > FORMAT_VERSION:
        raise _refused(
            path,
            [f"data/{DESCRIPTOR}: {meta.get('format')!r} version {meta.get('version')!r}"],
        )
    return meta


def import_package(archive: Archive, path: Path, meta: dict | None = None) -> ImportReport:
    """Store the package in `archive` (idempotent) and bring the index along; `meta` is what
    `verify_package` returned (it is verified here when not given)."""
    if meta is None:
        meta = verify_package(path)
    data = path / "data"
    files_added = pages_added = documents_added = corrections_added = 0
    fixity_ok = True

    # Originals first: every row written later names a blob that is already in place.
    missing: list[str] = []
    for f in meta["files"]:
        if not f.get("package_path"):
            missing.append(f["rel_path"])
            continue
        source = data / f["package_path"]
        if sha256_file(source) != f["sha256"]:
            raise _refused(path, [f"data/{f['package_path']}: SHA-256 != {f['sha256']}"])
        if not archive.blobs.has(f["sha256"]):
            archive.blobs.put(source, f["sha256"])
            files_added += 1
        fixity_ok = fixity_ok and archive.blobs.verify(f["sha256"])

    batch_ids = {b["id"]: _batch(archive, b) for b in meta["batches"]}
    for f in meta["files"]:
        store.register_file(
            archive,
            batch_ids[f["batch"]],
            store.KnownFile(
                f["rel_path"], f["sha256"], f["size"], f.get("mtime_ns"), f["kind"], f["pages"]
            ),
        )
    for source_id, batch_id in batch_ids.items():
        # Signatures are checked again here, against this archive's trust roots.
        signatures.check_batch(
            archive,
            batch_id,
            [
                signatures.SignedFile(f["rel_path"], f["sha256"])
                for f in meta["files"]
                if f["batch"] == source_id and f.get("package_path")
            ],
        )

    for doc in meta["documents"]:
        pages = json.loads((data / doc["page_file"]).read_text(encoding="utf-8"))["pages"]
        for page in pages:
            result = page_result_from_json(page["result"])
            if store.save_page(archive, page["sha256"], page["source_page"], result):
                pages_added += 1
                _set_ocr_date(archive, page["sha256"], page["source_page"], page.get("ocr_at"))

    dossier_ids = {
        d["id"]: store.ensure_dossier(archive, d["code"], d["title"], dict(d["details"] or {}))
        for d in meta["dossiers"]
    }
    mapping: list[tuple[int, int, str]] = []
    for doc in meta["documents"]:
        refs = tuple(PageRef(p["sha256"], p["source_page"], p["source_path"]) for p in doc["pages"])
        new = store.NewDocument(refs, doc["title"], dict(doc["extracted"]), doc["access_level"])
        existed = _document_id(archive, refs[0])
        (doc_id,) = store.replace_documents(
            archive,
            batch_ids[doc["batch"]],
            refs,
            [new],
            dossier_ids.get(doc["dossier"]) if doc["dossier"] is not None else None,
        ).ids
        documents_added += existed is None
        _set_updated_at(archive, doc_id, doc.get("updated_at"))
        corrections_added += _add_corrections(archive, doc_id, doc["corrections"])
        mapping.append((doc["id"], doc_id, doc["DocCode"]))

    note = indexing.sync(archive).note()
    return ImportReport(
        package=path.resolve(),
        archive=archive.root,
        documents=tuple(mapping),
        files_added=files_added,
        pages_added=pages_added,
        documents_added=documents_added,
        corrections_added=corrections_added,
        left_out=int(meta.get("documents_left_out", 0)),
        originals_missing=tuple(missing),
        fixity_ok=fixity_ok,
        index_note=note,
    )


def page_result_from_json(data: dict) -> PageResult:
    """The stored OCR of a page as `pipeline.package.page_result_json` wrote it."""
    names = data.get("word_fields") or []
    words = tuple(Word(**dict(zip(names, row, strict=True))) for row in data.get("words", []))
    cleanup_known = set(CleanupReport.__dataclass_fields__)
    cleanup: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in (data.get("cleanup") or {}).items()
        if k in cleanup_known
    }
    known = set(PageResult.__dataclass_fields__) - {"words", "cleanup", "review_reasons"}
    return PageResult(
        words=words,
        cleanup=CleanupReport(**cleanup),
        review_reasons=tuple(data.get("review_reasons") or ()),
        **{k: v for k, v in data.items() if k in known},
    )


def _batch(archive: Archive, b: dict) -> int:
    """The batch the package's batch becomes here, found again by its folder's path."""
    with archive.session() as s:
        row = s.scalar(select(Batch).where(Batch.path == b["path"]))
        if row is None:
            row = Batch(path=b["path"], name=b["name"], manifest=b["manifest"])
            if b.get("created_at"):
                row.created_at = _when(b["created_at"])
            if b.get("finished_at"):
                row.finished_at = _when(b["finished_at"])
            s.add(row)
            s.flush()
        return row.id


def _document_id(archive: Archive, first: PageRef) -> int | None:
    with archive.reading() as s:
        return s.scalar(
            select(Document.id).where(
                Document.sha256 == first.sha256, Document.first_page == first.source_page
            )
        )


def _set_ocr_date(archive: Archive, sha256: str, source_page: int, when: str | None) -> None:
    """The page keeps the date it was read (the PREMIS OCR event), not the import's."""
    if not when:
        return
    with archive.session() as s:
        s.execute(
            update(Page)
            .where(Page.sha256 == sha256, Page.source_page == source_page)
            .values(created_at=_when(when))
        )


def _set_updated_at(archive: Archive, doc_id: int, when: str | None) -> None:
    if not when:
        return
    with archive.session() as s:
        s.execute(update(Document).where(Document.id == doc_id).values(updated_at=_when(when)))


def _add_corrections(archive: Archive, doc_id: int, corrections: list[dict]) -> int:
    """The package's corrections this document lacks, in their order, with who and when, and
    the document's index job in the same transaction (the outbox), as `store.add_corrections`
    does; returns how many were added."""
    with archive.session() as s:
        have = {
            (c.field, c.value, c.who, _utc(c.at))
            for c in s.scalars(select(Correction).where(Correction.document_id == doc_id))
        }
        added = 0
        for c in corrections:
            at = _when(c["at"])
            if (c["field"], c["value"], c["who"], at) in have:
                continue
            s.add(
                Correction(
                    document_id=doc_id, field=c["field"], value=c["value"], who=c["who"], at=at
                )
            )
            added += 1
        if added:
            s.add(IndexJob(document_id=doc_id, reason="corrected"))
        return added


def _when(iso: str) -> dt.datetime:
    return _utc(dt.datetime.fromisoformat(iso))


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _refused(path: Path, problems: list[str]) -> ArchiveError:
    shown = "; ".join(problems[:10]) + (f" (+{len(problems) - 10})" if len(problems) > 10 else "")
    return ArchiveError(
        vi=f"Không nhập gói {path}: gói hỏng hoặc thiếu tệp: {shown}. Xin bên giao gửi lại gói "
        "(kiểm tra lại bằng `bagit.py --validate`).",
        en=f"Not importing the package {path}: it is damaged or incomplete: {shown}. Ask the "
        "sender for the package again (check it with `bagit.py --validate`).",
    )
