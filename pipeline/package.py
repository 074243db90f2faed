"""Transfer packages: a dossier (or a fonds) written as a BagIt bag with METS and PREMIS.

A package holds everything another archive needs to take the dossier over without OCR, in a
layout close to E-ARK's common specification (CSIP), inside a BagIt bag (RFC 8493):

    bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    data/METS.xml                                the file section (every file, its SHA-256,
                                                 size, mime type) and the structural map:
                                                 dossier > documents > pages, each page
                                                 pointing to its original and its page there
    data/metadata/descriptive/<name>.json, .csv  the standard's field names (TT 02/2019,
                                                 TT 05/2025), as `sohoa export` writes them
    data/metadata/preservation/PREMIS.xml        objects (originals, fixity) and events:
                                                 ingestion, OCR of each page (engine, date),
                                                 metadata extraction, each correction (who,
                                                 when), signature checks, the fixity check
                                                 made while packing, the package's creation
    data/metadata/sohoa/package.json             what `sohoa import` reads: source ids of
                                                 batches, files, dossiers and documents,
                                                 metadata as extracted, every correction
    data/metadata/sohoa/pages/<DocCode>.json     each page's stored OCR (text, words with
                                                 boxes and confidences, quality, cleanup,
                                                 engine), so no page is read again
    data/representations/originals/data/...      the originals byte for byte, by batch and path
    data/representations/pdfa/data/<DocCode>.pdf the PDF/A-2b copies

Only documents the clearance allows are packed; the others are left out and counted (never
silently). An original that also holds a page of a left-out document, or a page no document
holds (a refused Tuyệt mật page), is left out too: its bytes would carry that page.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select

from archive_store import store
from archive_store.bag import write_tags
from archive_store.blobs import sha256_file, storage_error
from archive_store.db import Archive
from archive_store.models import (
    Batch,
    Correction,
    Document,
    DocumentPage,
    Dossier,
    Page,
    SourceFile,
)
from archive_store.records import DocumentRecord
from ocr.types import PageResult
from pipeline import signatures
from pipeline.discover import batch_order
from pipeline.documents import effective_access
from pipeline.export import STANDARD_FIELDS, standard_record, write_archival_pdf
from pipeline.package_xml import mets_document, premis_document
from sohoa.access import AccessLevel
from sohoa.errors import ArchiveError, NotFound

FORMAT = "sohoa-package"
FORMAT_VERSION = 1
DESCRIPTOR = "metadata/sohoa/package.json"
WORD_FIELDS = (
    "text",
    "left",
    "top",
    "width",
    "height",
    "conf",
    "line",
    "engine",
    "alt_text",
    "alt_conf",
)
"""Columns of each word in a page file (archive_store.words keeps the same, compressed)."""

_CHUNK = 1 << 20


@dataclass(frozen=True)
class PackageReport:
    """What `sohoa export --package` wrote."""

    path: Path
    """The bag's folder."""
    documents: tuple[int, ...]
    """The documents packed (ids in this archive)."""
    left_out: int
    """Documents of the dossiers above the clearance, not packed."""
    originals_left_out: tuple[str, ...]
    """Originals not packed because they also hold pages that may not go (see module doc)."""
    files: int
    bytes: int

    def as_json(self) -> dict:
        return {
            "path": str(self.path),
            "documents": list(self.documents),
            "left_out": self.left_out,
            "originals_left_out": list(self.originals_left_out),
            "files": self.files,
            "bytes": self.bytes,
        }


@dataclass
class _Content:
    """What goes into one package, gathered from the store before anything is written."""

    dossiers: list[dict]
    docs: list[tuple[DocumentRecord, dict, str]]
    """(record, standard row, DocCode-safe file stem), in the dossiers' order."""
    left_out: int
    batches: dict[int, dict]
    files: dict[tuple[int, str], dict]
    """(batch id, path in the batch) -> the source file's row."""
    withheld: dict[str, str]
    """Content hash -> why the original is not packed."""


def sohoa_version() -> str:
    try:
        return version("sohoa")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without install
        return "0"


def export_package(
    archive: Archive,
    to: Path,
    clearance: AccessLevel,
    *,
    dossier: str | None = None,
    phong: str | None = None,
) -> PackageReport:
    """Write a dossier (or every dossier of a fonds) as a transfer package under `to`."""
    if phong is not None:
        codes = [
            code
            for code, details in store.dossiers(archive)
            if (details or {}).get("phong") == phong
        ]
        if not codes:
            raise NotFound(
                vi=f"Không có hồ sơ nào của phông {phong!r} trong kho.",
                en=f"No dossier of the fonds {phong!r} in the archive.",
            )
        name = f"phong-{_safe(phong)}"
    else:
        assert dossier is not None
        codes, name = [dossier], f"ho-so-{_safe(dossier)}"
    content = _collect(archive, codes, clearance)
    final = to / name
    work = to / f".{name}.partial"
    try:
        shutil.rmtree(work, ignore_errors=True)
        (work / "data").mkdir(parents=True)
        lines = _write_payload(archive, work / "data", content, clearance)
        _write_bag(work, lines, content, clearance)
        if final.exists():
            old = to / f".{name}.old"
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
            work.rename(final)
            shutil.rmtree(old)
        else:
            work.rename(final)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise storage_error(exc, work) from exc
    except BaseException:
        # A refused export (a changed original) leaves no half-written package behind.
        shutil.rmtree(work, ignore_errors=True)
        raise
    return PackageReport(
        final,
        tuple(r.id for r, _, _ in content.docs),
        content.left_out,
        tuple(
            sorted(
                {f["rel_path"] for f in content.files.values() if f["sha256"] in content.withheld}
            )
        ),
        len(lines),
        sum(size for _, _, size in lines),
    )


# -- gathering -----------------------------------------------------------------------------


def _collect(archive: Archive, codes: Sequence[str], clearance: AccessLevel) -> _Content:
    dossiers: list[dict] = []
    docs: list[tuple[DocumentRecord, dict, str]] = []
    left_out = 0
    hidden: list[DocumentRecord] = []
    for code in codes:
        with archive.reading() as s:
            row = s.scalar(select(Dossier).where(Dossier.code == code))
            if row is None:
                raise NotFound(
                    vi=f"Không có hồ sơ mã {code!r} trong kho.",
                    en=f"No dossier with code {code!r} in the archive.",
                )
            info: dict[str, Any] = {
                "id": row.id,
                "code": row.code,
                "title": row.title,
                "details": row.details,
            }
            found = s.execute(
                select(Document.id, Document.source_path, Document.first_page).where(
                    Document.dossier_id == row.id
                )
            ).all()
        dossiers.append(info)
        # Ordinals as `sohoa export --dossier` gives them: every document of the dossier in
        # the order of the scans counts, so a left-out one leaves a gap and nothing else.
        ids = [r[0] for r in sorted(found, key=lambda r: (batch_order(r[1]), r[2]))]
        for ordinal, doc_id in enumerate(ids, 1):
            record = store.document(archive, doc_id)
            if effective_access(record) > clearance:
                left_out += 1
                hidden.append(record)
                continue
            row_ = signatures.export_fields(
                archive, record, standard_record(record, ordinal, dict(info["details"] or {}))
            )
            docs.append((record, row_, _safe(str(row_["DocCode"]))))
    shas = {p.sha256 for r, _, _ in docs for p in r.pages}
    wanted = {(p.sha256, p.source_path): r.batch_id for r, _, _ in docs for p in r.pages}
    with archive.reading() as s:
        rows = list(s.scalars(select(SourceFile).where(SourceFile.sha256.in_(shas))))
        # Each page's file as the document's batch recorded it (the same content delivered
        # in another batch is that batch's business, not the package's).
        files: dict[tuple[int, str], dict] = {}
        for (sha, path), batch_id in wanted.items():
            same = [r for r in rows if r.sha256 == sha]
            named = [r for r in same if r.rel_path == path] or same
            if not named:
                continue
            chosen = next((r for r in named if r.batch_id == batch_id), named[0])
            files[chosen.batch_id, chosen.rel_path] = _file_row(chosen)
        batches = {
            b.id: _batch_row(b)
            for b in s.scalars(
                select(Batch).where(
                    Batch.id.in_({r.batch_id for r, _, _ in docs} | {k[0] for k in files})
                )
            )
        }
        packed = {(p.sha256, p.source_page) for r, _, _ in docs for p in r.pages}
        held = {
            (sha, page)
            for sha, page in s.execute(
                select(DocumentPage.sha256, DocumentPage.source_page).where(
                    DocumentPage.sha256.in_(shas)
                )
            )
        }
    withheld: dict[str, str] = {}
    hidden_pages = {(p.sha256, p.source_page) for r in hidden for p in r.pages}
    for f in files.values():
        sha, keys = f["sha256"], {(f["sha256"], n) for n in range(1, f["pages"] + 1)}
        if keys & hidden_pages:
            withheld[sha] = "holds a page of a document above the clearance"
        elif keys - held:
            withheld[sha] = "holds a page that no document holds (refused or unread)"
        elif (keys - packed) & held:
            # Pages of documents of other dossiers: only when those may go too.
            others = _holders(archive, (keys - packed) & held)
            if any(effective_access(o) > clearance for o in others):
                withheld[sha] = "holds a page of a document above the clearance"
    return _Content(dossiers, docs, left_out, batches, files, withheld)


def _file_row(f: SourceFile) -> dict:
    return {
        "batch": f.batch_id,
        "rel_path": f.rel_path,
        "sha256": f.sha256,
        "size": f.size,
        "kind": f.kind,
        "pages": f.pages,
        "mtime_ns": f.mtime_ns,
    }


def _batch_row(b: Batch) -> dict:
    return {
        "id": b.id,
        "path": b.path,
        "name": b.name,
        "manifest": b.manifest,
        "created_at": _iso(b.created_at),
        "finished_at": _iso(b.finished_at),
    }


def _holders(archive: Archive, keys: set[tuple[str, int]]) -> list[DocumentRecord]:
    with archive.reading() as s:
        ids = {
            doc_id
            for doc_id, sha, page in s.execute(
                select(
                    DocumentPage.document_id, DocumentPage.sha256, DocumentPage.source_page
                ).where(DocumentPage.sha256.in_({k[0] for k in keys}))
            )
            if (sha, page) in keys
        }
    return [store.document(archive, d) for d in sorted(ids)]


def _corrections(archive: Archive, doc_id: int) -> list[dict]:
    """Every correction of the document, oldest first (not only the latest of each field)."""
    with archive.reading() as s:
        rows = s.scalars(
            select(Correction).where(Correction.document_id == doc_id).order_by(Correction.id)
        )
        return [{"field": c.field, "value": c.value, "who": c.who, "at": _iso(c.at)} for c in rows]


def _document_row(archive: Archive, doc_id: int) -> tuple[str | None, int | None]:
    with archive.reading() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        return _iso(doc.updated_at), doc.dossier_id


def _ocr_dates(archive: Archive, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    wanted = set(keys)
    with archive.reading() as s:
        rows = s.execute(
            select(Page.sha256, Page.source_page, Page.created_at).where(
                Page.sha256.in_({k[0] for k in wanted})
            )
        )
        return {(sha, n): _iso(at) or "" for sha, n, at in rows if (sha, n) in wanted}


# -- writing -------------------------------------------------------------------------------


def _write_payload(
    archive: Archive, data: Path, content: _Content, clearance: AccessLevel
) -> list[tuple[str, str, int]]:
    """Every payload file under data/; returns (sha256, path in the bag, size) of each."""
    lines: list[tuple[str, str, int]] = []

    def add(path: Path, sha: str | None = None) -> tuple[str, str, int]:
        entry = (
            sha or sha256_file(path),
            path.relative_to(data.parent).as_posix(),
            path.stat().st_size,
        )
        lines.append(entry)
        return entry

    # Originals, byte for byte, re-hashed while copied: the package's fixity check.
    batch_no = {b: n for n, b in enumerate(sorted(content.batches), 1)}
    originals: dict[str, dict] = {}
    fixity_at = _now()
    for (batch, rel), f in sorted(content.files.items()):
        sha = f["sha256"]
        if sha in content.withheld or sha in originals:
            f["package_path"] = originals.get(sha, {}).get("package_path")
            continue
        if not archive.blobs.has(sha):
            raise ArchiveError(
                vi=f"Thiếu bản gốc {rel} trong kho: chạy `sohoa fixity` và khôi phục nó từ bản "
                "sao lưu trước khi đóng gói.",
                en=f"The original {rel} is missing from the archive: run `sohoa fixity` and "
                "restore it from a backup before packing.",
            )
        dest = data / "representations" / "originals" / "data" / f"lo-{batch_no[batch]}" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        got = _copy(archive.blobs.path_for(sha), dest)
        if got != sha:
            raise ArchiveError(
                vi=f"Bản gốc {rel} không còn đúng mã SHA-256 của nó: chạy `sohoa fixity` và khôi "
                "phục bản gốc từ bản sao lưu trước khi đóng gói.",
                en=f"The original {rel} no longer matches its SHA-256: run `sohoa fixity` and "
                "restore it from a backup before packing.",
            )
        f["package_path"] = add(dest, sha)[1].removeprefix("data/")
        originals[sha] = f
    for f in content.files.values():
        f.setdefault("package_path", originals.get(f["sha256"], {}).get("package_path"))
        if f["sha256"] in content.withheld:
            f["left_out"] = content.withheld[f["sha256"]]

    documents: list[dict] = []
    ocr_at = _ocr_dates(
        archive, [(p.sha256, p.source_page) for r, _, _ in content.docs for p in r.pages]
    )
    engines: set[str] = set()
    page_events: list[dict] = []
    for record, row, stem in content.docs:
        pdf = data / "representations" / "pdfa" / "data" / f"{stem}.pdf"
        write_archival_pdf(archive, record, pdf)
        pdf_entry = add(pdf)
        results = store.page_results(archive, [(p.sha256, p.source_page) for p in record.pages])
        pages = []
        for ordinal, (p, result) in enumerate(zip(record.pages, results, strict=True), 1):
            engines.add(result.engine)
            when = ocr_at.get((p.sha256, p.source_page), "")
            pages.append(
                {
                    "ordinal": ordinal,
                    "sha256": p.sha256,
                    "source_page": p.source_page,
                    "source_path": p.source_path,
                    "ocr_at": when,
                    "result": page_result_json(result),
                }
            )
            page_events.append(
                {
                    "sha256": p.sha256,
                    "page": p.source_page,
                    "path": p.source_path,
                    "at": when,
                    "engine": result.engine,
                    "confidence": result.mean_confidence,
                }
            )
        text = data / "metadata" / "sohoa" / "pages" / f"{stem}.json"
        # Compact: words are most of a package's metadata (~400 a page).
        _write_json(
            text, {"document": record.id, "DocCode": row["DocCode"], "pages": pages}, compact=True
        )
        text_entry = add(text)
        updated_at, dossier_id = _document_row(archive, record.id)
        documents.append(
            {
                "id": record.id,
                "DocCode": row["DocCode"],
                "DocOrdinal": row["DocOrdinal"],
                "batch": record.batch_id,
                "dossier": dossier_id,
                "sha256": record.sha256,
                "source_path": record.source_path,
                "first_page": record.first_page,
                "last_page": record.last_page,
                "title": record.title,
                "extracted": dict(record.extracted),
                "access_level": record.access_level,
                "updated_at": updated_at,
                "corrections": _corrections(archive, record.id),
                "pages": [
                    {k: pg[k] for k in ("ordinal", "sha256", "source_page", "source_path")}
                    for pg in pages
                ],
                "page_file": text_entry[1].removeprefix("data/"),
                "pdfa": pdf_entry[1].removeprefix("data/"),
                "standard": row,
            }
        )

    # Descriptive metadata under the standard's names, as `sohoa export --dossier` has it.
    stem = f"ho-so-{_safe(content.dossiers[0]['code'])}" if len(content.dossiers) == 1 else "phong"
    desc = data / "metadata" / "descriptive"
    rows = [d["standard"] for d in documents]
    records = {r.id: r for r, _, _ in content.docs}
    _write_json(
        desc / f"{stem}.json",
        {
            "dossiers": [_dossier_standard(d, documents) for d in content.dossiers],
            "documents": [
                {
                    **d["standard"],
                    "extracted": d["extracted"],
                    "corrections": dict(records[d["id"]].corrections),
                }
                for d in documents
            ],
        },
    )
    desc_json = add(desc / f"{stem}.json")
    with (desc / f"{stem}.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=STANDARD_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    desc_csv = add(desc / f"{stem}.csv")

    descriptor = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created": _now(),
        "sohoa": sohoa_version(),
        "source_archive": str(archive.root),
        "clearance": clearance.label,
        "documents_left_out": content.left_out,
        "dossiers": content.dossiers,
        "batches": [content.batches[b] for b in sorted(content.batches)],
        "files": [content.files[k] for k in sorted(content.files)],
        "documents": documents,
    }
    _write_json(data / DESCRIPTOR, descriptor)
    own = add(data / DESCRIPTOR)

    premis = data / "metadata" / "preservation" / "PREMIS.xml"
    _write_xml(
        premis,
        premis_document(archive, descriptor, originals, page_events, engines, fixity_at),
    )
    premis_entry = add(premis)
    mets = data / "METS.xml"
    _write_xml(
        mets,
        mets_document(descriptor, originals, lines, (desc_json, desc_csv), premis_entry, own),
    )
    add(mets)
    return lines


def page_result_json(result: PageResult) -> dict:
    """A stored page's OCR as plain JSON (words as rows of WORD_FIELDS)."""
    out = dataclasses.asdict(result)
    out["words"] = [[getattr(w, name) for name in WORD_FIELDS] for w in result.words]
    out["word_fields"] = list(WORD_FIELDS)
    return out


def _dossier_standard(d: dict, documents: list[dict]) -> dict:
    """The dossier's own record: the standard's names where it has them, the manifest's
    keys besides."""
    details = dict(d["details"] or {})
    mine = [x for x in documents if x["dossier"] == d["id"]]
    return {
        "FileCode": d["code"],
        "FileCatalog": details.get("muc_luc") or "",
        "Title": d["title"] or details.get("ho_so_title") or "",
        "Maintenance": details.get("thoi_han_bao_quan") or "",
        "Rights": details.get("che_do_su_dung") or "",
        "Language": "Tiếng Việt",
        "DocTotal": len(mine),
        "PageTotal": sum(len(x["pages"]) for x in mine),
        "details": details,
    }


def _write_bag(
    work: Path, lines: list[tuple[str, str, int]], content: _Content, clearance: AccessLevel
) -> None:
    """The BagIt tag files for the payload already under data/."""
    write_tags(
        work,
        lines,
        {
            "External-Identifier": ", ".join(d["code"] for d in content.dossiers),
            "External-Description": "Gói chuyển giao hồ sơ / transfer package (METS, PREMIS)",
            "Sohoa-Package-Version": str(FORMAT_VERSION),
            "Sohoa-Clearance": clearance.label,
            "Sohoa-Documents": str(len(content.docs)),
            "Sohoa-Documents-Left-Out": str(content.left_out),
        },
    )


# -- small helpers -------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    """UTC ISO 8601 (SQLite hands back naive datetimes: they were written in UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _safe(code: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in code)


def _write_json(path: Path, obj: object, *, compact: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        obj, ensure_ascii=False, **({"separators": (",", ":")} if compact else {"indent": 1})
    )
    path.write_text(text, encoding="utf-8")


def _write_xml(path: Path, root: etree._Element) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )


def _copy(source: Path, dest: Path) -> str:
    """Copy and fsync; returns the SHA-256 of what was read."""
    digest = hashlib.sha256()
    with source.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()
