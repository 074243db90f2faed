"""From stored pages to documents: split a scanned file, extract metadata, decide access."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence

from archive_store import store
from archive_store.db import Archive
from archive_store.records import DocumentRecord
from indexer.types import IndexedDocument, IndexedPage
from pipeline.manifest import Manifest
from pipeline.metadata import PageText, document_title, extract_metadata
from pipeline.segment import split_dossier
from sohoa.access import AccessLevel, BadClearance, parse_level


def access_level(values: Mapping[str, object], manifest: Manifest | None) -> AccessLevel:
    """The stricter of the document's own độ mật and the batch's default confidentiality."""
    own = _level_or_public(values.get("do_mat"))
    default = _level_or_public(manifest.do_mat_mac_dinh if manifest else None)
    return max(own, default)


def _level_or_public(value: object) -> AccessLevel:
    if not isinstance(value, str) or not value.strip():
        return AccessLevel.cong_khai
    try:
        return parse_level(value)
    except BadClearance:
        # An unreadable mark is treated as the lowest secret level, never as public.
        return AccessLevel.mat


def build_file_documents(
    archive: Archive,
    batch_id: int,
    sha256: str,
    source_path: str,
    page_count: int,
    manifest: Manifest | None,
    dossier_id: int | None,
) -> int:
    """Cut the stored pages of one scanned file into documents and store them with metadata.

    Returns the number of pages refused (Tuyệt mật without approval) and deleted again.
    """
    numbers = sorted(store.stored_pages(archive, sha256))
    if not numbers:
        return 0
    pages = [
        PageText(
            text=store.page_text(archive, sha256, n), words=store.page_words(archive, sha256, n)
        )
        for n in numbers
    ]
    fixed = manifest.page_ranges.get(source_path) if manifest else None
    ranges = split_dossier(pages, fixed=fixed) if page_count > 1 or fixed else [range(len(pages))]
    documents = []
    refused = 0
    for part in ranges:
        part_pages = [pages[i] for i in part]
        md = extract_metadata(part_pages)
        values = md.values()
        first, last = numbers[part.start], numbers[part.stop - 1]
        level = access_level(values, manifest)
        if level == AccessLevel.tuyet_mat and not (manifest and manifest.tuyet_mat_approved):
            _refuse_top_secret(archive, batch_id, sha256, source_path, first, last)
            refused += len(part)
            continue
        fallback = f"{source_path} (tr. {first}-{last})"
        documents.append(
            store.NewDocument(
                first_page=numbers[part.start],
                last_page=numbers[part.stop - 1],
                title=document_title(md, fallback if len(ranges) > 1 else source_path),
                extracted=md.as_dict(),
                access_level=int(level),
            )
        )
    if refused == len(pages) and refused == page_count:
        # Nothing of the file may be kept: not even the scan itself.
        store.forget_file(archive, sha256)
    store.replace_file_documents(
        archive, batch_id, sha256, source_path, documents, dossier_id=dossier_id
    )
    return refused


def _refuse_top_secret(
    archive: Archive, batch_id: int, sha256: str, source_path: str, first: int, last: int
) -> None:
    """Tuyệt mật material is not digitized without approval: drop what OCR read of it."""
    store.purge_pages(archive, sha256, first, last)
    store.record_failure(
        archive,
        batch_id,
        source_path,
        first,
        f"{source_path}, trang {first}-{last}: văn bản mang dấu TUYỆT MẬT, không được số hóa "
        "khi chưa có phê duyệt; nội dung đã đọc đã bị xóa khỏi kho. Nếu đã được phê duyệt, ghi "
        "tuyet_mat_approved = true và căn cứ phê duyệt vào sohoa.toml rồi chạy lại.",
        f"{source_path}, pages {first}-{last}: the document is marked TUYỆT MẬT (top secret) and "
        "is not digitized without approval; what OCR read of it was deleted from the store. If "
        "approved, set tuyet_mat_approved = true with the approval reference in sohoa.toml and "
        "run again.",
    )


def effective_access(record: DocumentRecord) -> int:
    """A person's correction of độ mật wins over what extraction and the manifest said."""
    if "do_mat" in record.corrections:
        return int(_level_or_public(record.corrections["do_mat"]))
    return record.access_level


def to_indexed(record: DocumentRecord) -> IndexedDocument:
    """What the search index holds for a document (effective metadata, corrections winning)."""
    md = record.metadata()
    pages = tuple(IndexedPage(page=i + 1, text=p.text) for i, p in enumerate(record.pages))
    access = effective_access(record)
    payload = json.dumps(
        [record.title, access, md, record.dossier_code, [p.text for p in pages]],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return IndexedDocument(
        doc_id=record.id,
        title=record.title,
        access_level=access,
        pages=pages,
        version=hashlib.sha256(payload.encode()).hexdigest()[:16],
        metadata=md,
        loai=_str(md.get("loai")),
        so_ky_hieu=_str(md.get("so_ky_hieu")),
        co_quan=_str(md.get("co_quan_ban_hanh")),
        nguoi_ky=_str(md.get("nguoi_ky")),
        ngay=_date(md.get("ngay_ban_hanh")),
        ho_so=record.dossier_code,
        do_mat=_str(md.get("do_mat")),
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _date(value: object) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def indexed_documents(
    archive: Archive, doc_ids: Sequence[int] | None = None
) -> Iterator[IndexedDocument]:
    """Documents as the index wants them, streamed from the store."""
    if doc_ids is None:
        for record in store.iter_documents(archive):
            yield to_indexed(record)
    else:
        for doc_id in doc_ids:
            yield to_indexed(store.document(archive, doc_id))
