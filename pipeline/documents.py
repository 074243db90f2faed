"""From stored pages to documents: split a scanned file, extract metadata, decide access."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

from archive_store import signatures, store
from archive_store.db import Archive
from archive_store.records import DocumentRecord, PageRef
from extract.header import Blank, BlankReading
from extract.metadata import PageText, document_title, extract_metadata
from extract.segment import check_ranges, split_dossier
from indexer.types import IndexedDocument, IndexedPage
from pipeline.handwriting import BlankReader
from pipeline.manifest import Manifest, PageRanges
from sohoa.access import AccessLevel, effective_level, mark_level


def access_level(values: Mapping[str, object], manifest: Manifest | None) -> AccessLevel:
    """The stricter of the document's own độ mật and the batch's default confidentiality."""
    own = mark_level(values.get("do_mat"))
    default = mark_level(manifest.do_mat_mac_dinh if manifest else None)
    return max(own, default)


@dataclass(frozen=True)
class Stream:
    """Pages read in a row and cut into documents together: one scanned file (a multi-page PDF
    or TIFF), or the single-page scans of one folder (a dossier delivered as page images)."""

    name: str
    """The file, or the folder ("." for the batch folder itself), as the batch names it."""
    pages: tuple[PageRef, ...]
    """Every page the stream should hold, in reading order (stored or not)."""
    fixed: PageRanges | None = None
    """Documents' page ranges from the manifest, 1-based over `pages`."""


@dataclass(frozen=True)
class Cut:
    """What cutting a stream did besides storing its documents."""

    refused: int = 0
    """Pages refused (Tuyệt mật without approval) and deleted again."""
    removed: tuple[int, ...] = ()
    """Documents of an earlier cut that no longer exist (to take out of the search index)."""
    open_at: int | None = None
    """With `closed_only`: where the document still open at the end starts (a position in the
    stream's pages), None when nothing was stored yet."""
    ids: tuple[int, ...] = ()
    """The documents stored."""


def build_documents(
    archive: Archive,
    batch_id: int,
    stream: Stream,
    manifest: Manifest | None,
    dossier_id: int | None,
    *,
    closed_only: bool = False,
    blanks: Mapping[tuple[str, int], Mapping[Blank, BlankReading]] | None = None,
) -> Cut:
    """Cut the stored pages of a stream into documents and store them with their metadata.

    Pages that are not stored (they failed) are left out. With `closed_only` the stream is the
    part of a longer one read so far: the last document may go on, so only those before it are
    stored (where a document starts depends only on a page and the last non-blank page before
    it, so the cut of the whole stream will give them again, with the same ids). `blanks`
    holds what the OCR workers read in the blanks of pages, by page key: a document starting
    on such a page takes those readings instead of loading its page again.
    """
    blanks = blanks or {}
    stored: dict[str, set[int]] = {}
    for ref in stream.pages:
        if ref.sha256 not in stored:
            stored[ref.sha256] = store.stored_pages(archive, ref.sha256)
    present = [(n, r) for n, r in enumerate(stream.pages, 1) if r.source_page in stored[r.sha256]]
    if not present:
        return Cut()
    pages = _StoredPages(archive, [r for _, r in present])
    # Pages right after one that is not stored (it failed, or was refused as Tuyệt mật and
    # deleted): what was there is unknown, so it counts as the end of a document.
    gaps = {j for j in range(1, len(present)) if present[j][0] > present[j - 1][0] + 1}
    if stream.fixed:
        fixed = _present_ranges(stream, [n for n, _ in present])
        ranges = split_dossier(pages, fixed=fixed, after_gap=gaps)
    elif len(stream.pages) > 1:
        ranges = split_dossier(pages, after_gap=gaps)
    else:
        ranges = [range(len(pages))]
    scope = stream.pages
    open_at = None
    if closed_only:
        open_at = present[ranges[-1].start][0] - 1
        ranges, scope = ranges[:-1], stream.pages[:open_at]
    documents = []
    refused: list[PageRef] = []
    for part in ranges:
        refs = tuple(present[i][1] for i in part)
        # A number or day written by hand is read again from the scan's crop (second source).
        md = extract_metadata(
            [pages[i] for i in part],
            BlankReader(archive, refs[0], blanks.get(refs[0].key)),
            _signed_on(archive, refs[0]),
        )
        values = md.values()
        level = access_level(values, manifest)
        if level == AccessLevel.tuyet_mat and not (manifest and manifest.tuyet_mat_approved):
            _refuse_top_secret(archive, batch_id, refs)
            refused += refs
            continue
        whole_file = len(ranges) == 1 and len({r.sha256 for r in stream.pages}) == 1
        fallback = refs[0].source_path if whole_file else place(refs)
        documents.append(
            store.NewDocument(
                pages=refs,
                title=document_title(md, fallback),
                extracted=md.as_dict(),
                access_level=int(level),
            )
        )
    # A file none of whose pages may be kept is not kept either: not even the scan itself.
    gone = {r.key for r in refused}
    for sha in {r.sha256 for r in refused}:
        if all(r.key in gone for r in stream.pages if r.sha256 == sha):
            store.forget_file(archive, sha)
    if not scope:
        return Cut(open_at=open_at)
    done = store.replace_documents(archive, batch_id, scope, documents, dossier_id)
    return Cut(len(refused), tuple(done.removed), open_at, tuple(done.ids))


class _StoredPages(Sequence[PageText]):
    """A stream's stored pages, read from the store when asked for: a box of thousands of page
    images is cut without holding every page's words in memory at once. The pages read last
    are kept (with the lines and cues extraction worked out on them), so that cutting and
    reading the metadata read a page once, unless the stream is longer than that."""

    KEEP = 256
    """Pages kept (about 50 KB each with their words and lines)."""

    def __init__(self, archive: Archive, refs: Sequence[PageRef]) -> None:
        self._archive, self._refs = archive, refs
        self._kept: OrderedDict[int, PageText] = OrderedDict()

    def __len__(self) -> int:
        return len(self._refs)

    @overload
    def __getitem__(self, index: int) -> PageText: ...

    @overload
    def __getitem__(self, index: slice) -> list[PageText]: ...

    def __getitem__(self, index: int | slice) -> PageText | list[PageText]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]
        if index in self._kept:
            self._kept.move_to_end(index)
            return self._kept[index]
        ref = self._refs[index]
        text, words = store.page_content(self._archive, ref.sha256, ref.source_page)
        page = self._kept[index] = PageText(text=text, words=words)
        if len(self._kept) > self.KEEP:
            self._kept.popitem(last=False)
        return page


def _signed_on(archive: Archive, ref: PageRef) -> str | None:
    """The ISO day of the first digital signature of the file a document starts in, if any."""
    from signing.verify import earliest_signing_date

    found = signatures.files_signatures(archive, [ref.sha256]).get(ref.sha256)
    day = earliest_signing_date(found.signatures) if found else None
    return day.isoformat() if day else None


def _present_ranges(stream: Stream, ordinals: list[int]) -> list[tuple[int, int]]:
    """The manifest's ranges over the stream, as ranges over its stored pages only."""
    check_ranges(stream.fixed or (), len(stream.pages), stream.name)
    position = {n: i for i, n in enumerate(ordinals, 1)}
    out = []
    for first, last in stream.fixed or ():
        inside = [position[n] for n in range(first, last + 1) if n in position]
        if inside:
            out.append((inside[0], inside[-1]))
    return out


def place(refs: Sequence[PageRef]) -> str:
    """Where pages lie, as a clerk finds them: "hs.tif, tr. 3-5" or "hs/01.jpg - hs/04.jpg"."""
    first, last = refs[0], refs[-1]
    if first.source_path == last.source_path:
        if first.source_page == last.source_page:
            return f"{first.source_path}, tr. {first.source_page}"
        return f"{first.source_path}, tr. {first.source_page}-{last.source_page}"
    return f"{first.source_path} - {last.source_path}"


def _refuse_top_secret(archive: Archive, batch_id: int, refs: Sequence[PageRef]) -> None:
    """Tuyệt mật material is not digitized without approval: drop what OCR read of it."""
    store.purge_pages(archive, [r.key for r in refs])
    where = place(refs)
    where_en = where.replace(", tr. ", ", p. ")
    store.record_failure(
        archive,
        batch_id,
        refs[0].source_path,
        refs[0].source_page,
        f"{where}: văn bản mang dấu TUYỆT MẬT, không được số hóa "
        "khi chưa có phê duyệt; nội dung đã đọc đã bị xóa khỏi kho. Nếu đã được phê duyệt, ghi "
        "tuyet_mat_approved = true và căn cứ phê duyệt vào sohoa.toml rồi chạy lại.",
        f"{where_en}: the document is marked TUYỆT MẬT (top secret) and "
        "is not digitized without approval; what OCR read of it was deleted from the store. If "
        "approved, set tuyet_mat_approved = true with the approval reference in sohoa.toml and "
        "run again.",
    )


def effective_access(record: DocumentRecord) -> int:
    """A person's correction of độ mật wins over what extraction and the manifest said."""
    return int(effective_level(record.access_level, record.corrections))


def to_indexed(record: DocumentRecord, ky_so: str = "khong") -> IndexedDocument:
    """What the search index holds for a document (effective metadata, corrections winning);
    `ky_so` is its signature status (archive_store.signatures.document_status)."""
    md = record.metadata()
    pages = tuple(
        IndexedPage(page=i + 1, text=p.text, alternates=p.alternates)
        for i, p in enumerate(record.pages)
    )
    access = effective_access(record)
    indexed = [record.title, access, md, record.dossier_code, [p.text for p in pages], ky_so]
    if any(p.alternates for p in pages):
        indexed.append([p.alternates for p in pages])  # absent: older versions stay valid
    payload = json.dumps(
        indexed,
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
        ky_so=ky_so,
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
            yield to_indexed(record, signatures.document_status(archive, record.id))
    else:
        for doc_id in doc_ids:
            record = store.document(archive, doc_id)
            yield to_indexed(record, signatures.document_status(archive, doc_id))
