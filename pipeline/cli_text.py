"""What the `sohoa` commands print for people; `--json` prints the library's own JSON instead."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from indexer.backend import VerifyReport
from indexer.types import SearchResults
from pipeline import signatures
from pipeline.indexing import SyncReport
from pipeline.review import ReviewQueue
from sohoa.i18n import t


def ingest(report: Any) -> None:
    """`sohoa ingest`: what was stored, skipped and failed, and what to do about failures."""
    click.echo(
        t(
            f"Lô {report.batch_id}: {report.pages_total} trang; lưu mới {report.pages_done}, "
            f"đã có {report.pages_skipped}, lỗi {report.pages_failed}; "
            f"{len(report.documents)} văn bản.",
            f"Batch {report.batch_id}: {report.pages_total} pages; {report.pages_done} stored, "
            f"{report.pages_skipped} already stored, {report.pages_failed} failed; "
            f"{len(report.documents)} documents.",
        )
    )
    for f in report.failures:
        click.echo(f"  ✗ {t(f.reason_vi, f.reason_en)}")  # each reason starts with its file
    for dup, same in report.duplicates:
        click.echo(
            t(
                f"  = {dup}: trùng nội dung với {same}, bỏ qua.",
                f"  = {dup}: same content as {same}, skipped.",
            )
        )
    if report.index_note:
        click.echo(report.index_note)
    if report.failures:
        click.echo(
            t(
                "Sửa hoặc quét lại các tệp lỗi, rồi chạy lại cùng lệnh: "
                "trang đã lưu sẽ được bỏ qua.",
                "Fix or rescan the failed files, then run the same command: "
                "stored pages are skipped.",
            )
        )


def _review_note(item: dict) -> str:
    """What `show` prints after a flagged field's value (" — cần kiểm tra: viết tay ...")."""
    if not item.get("needs_review"):
        return ""
    from extract.review import reason_text

    vi, en = reason_text(item.get("review_reason"))
    return t(f" — cần kiểm tra: {vi}", f" — needs review: {en}")


def document(view: dict) -> None:
    """`sohoa show`: the metadata read (flags said), the signatures, then each page's text."""
    click.echo(f"[{view['id']}] {view['title']}  ({view['access_level']})")
    for name, item in view["metadata"].items():
        if item.get("value") not in (None, "", []) or item.get("needs_review"):
            click.echo(f"  {name}: {item['value']}{_review_note(item)}")
    for line in signatures.signature_lines(view):
        click.echo(line)
    for page in view["pages"]:
        flag = t(" — cần kiểm tra", " — needs review") if page["needs_review"] else ""
        if page.get("text_source") == "text_layer":
            source = t("lớp chữ của PDF, không OCR", "the PDF's text layer, no OCR")
        else:
            source = t(
                f"tin cậy {page['mean_confidence']}", f"confidence {page['mean_confidence']}"
            )
        click.echo(
            t(
                f"\n--- Trang {page['page']} ({page['source_file']}, tr. "
                f"{page['source_page']}, {source}){flag}",
                f"\n--- Page {page['page']} ({page['source_file']}, p. "
                f"{page['source_page']}, {source}){flag}",
            )
        )
        click.echo(page["text"])


def search(results: SearchResults, places: Mapping[int, Sequence[tuple[str, int]]]) -> None:
    """`sohoa search`: the total, then each hit with its pages' snippets and files."""
    query = results.query
    click.echo(
        t(f"{results.total} văn bản khớp «{query}»", f"{results.total} documents match {query!r}")
    )
    for hit in results.hits:
        click.echo(f"\n[{hit.doc_id}] {hit.title}  ({hit.score:.2f})")
        for page in hit.pages:
            click.echo(
                t(f"  tr. {page.page}", f"  p. {page.page}")
                + _place(places.get(hit.doc_id, []), page.page)
                + f": {_highlight(page.snippet)}"
            )


def _place(where: Sequence[tuple[str, int]], number: int) -> str:
    """Where page `number` of a document lies, for the search listing: ' (hs.tif, p. 5)'."""
    if not 0 < number <= len(where):
        return ""
    path, page = where[number - 1]
    return f" ({path})" if page == 1 else t(f" ({path}, tr. {page})", f" ({path}, p. {page})")


def _highlight(snippet: str) -> str:
    """[[word]] markers in bold on a terminal, kept as they are otherwise."""
    if not sys.stdout.isatty():
        return snippet.replace("\n", " ")
    out = snippet.replace("\n", " ")
    return out.replace("[[", "\x1b[1m").replace("]]", "\x1b[0m")


def files(paths: Sequence[Path]) -> None:
    """`sohoa export`: every file written, one a line."""
    for path in paths:
        click.echo(str(path))


def reextracted(report: Any) -> None:
    click.echo(
        t(
            f"Đã cắt và trích xuất lại {report.batches} lô: {report.documents} văn bản, "
            f"{len(report.removed)} văn bản cũ không còn, {report.refused_pages} trang Tuyệt mật "
            "bị từ chối.",
            f"Cut and extracted {report.batches} batches again: {report.documents} documents, "
            f"{len(report.removed)} old documents gone, {report.refused_pages} Tuyệt mật pages "
            "refused.",
        )
    )
    if report.index_note:
        click.echo(report.index_note)


def repaired(documents: int, report: VerifyReport, synced: SyncReport) -> None:
    click.echo(
        t(
            f"{documents} văn bản; đã sửa trong chỉ mục: {len(report.missing)} thiếu, "
            f"{len(report.stale)} cũ, {len(report.extra)} thừa.",
            f"{documents} documents; repaired in the index: {len(report.missing)} "
            f"missing, {len(report.stale)} stale, {len(report.extra)} extra.",
        )
    )
    if synced.note():
        click.echo(synced.note())


def verified(documents: int, report: VerifyReport) -> None:
    click.echo(
        t(
            f"{documents} văn bản; thiếu trong chỉ mục: {len(report.missing)}, "
            f"cũ: {len(report.stale)}, thừa: {len(report.extra)}.",
            f"{documents} documents; missing from index: {len(report.missing)}, "
            f"stale: {len(report.stale)}, extra: {len(report.extra)}.",
        )
    )


def rebuilt(count: int) -> None:
    click.echo(
        t(f"Đã xây dựng lại chỉ mục: {count} văn bản.", f"Index rebuilt: {count} documents.")
    )


def corrected(doc_id: int, changes: int, synced: SyncReport) -> None:
    click.echo(
        t(
            f"Đã lưu {changes} chỉnh sửa cho văn bản {doc_id}.",
            f"Saved {changes} corrections for document {doc_id}.",
        )
    )
    click.echo(synced.note() or t("Tìm kiếm đã cập nhật theo.", "Search already shows the change."))


def review(queue: ReviewQueue) -> None:
    """`sohoa review`: flagged fields with where to look, then pages with why."""
    from extract.review import reason_text

    for f in queue.fields:
        vi, en = reason_text(f.reason)
        where = f"{f.source_file} tr. {f.source_page}" if f.source_page else f"{f.source_file}"
        box = f" @{','.join(str(v) for v in f.region)}" if f.region else ""
        click.echo(f"[{f.doc_id}] {f.field} = {f.value!r} — {t(vi, en)} ({where}{box})")
    if queue.fields:
        n = len(queue.fields)
        click.echo(t(f"{n} trường cần kiểm tra.", f"{n} fields need review.") + "\n")
    for i in queue.pages:
        click.echo(
            f"[{i.doc_id}] {i.source_file} tr. {i.source_page}: "
            f"{i.mean_confidence:.1f} — {', '.join(i.reasons)}"
        )
        if i.disputed:
            pairs = ", ".join(f"{d.text}/{d.other}" for d in i.disputed[:8])
            more = " …" if len(i.disputed) > 8 else ""
            click.echo(
                t(
                    f"    hai bộ đọc khác nhau: {pairs}{more}",
                    f"    engines disagree: {pairs}{more}",
                )
            )
    n = len(queue.pages)
    click.echo(t(f"{n} trang cần kiểm tra.", f"{n} pages need review."))


def fixity(report: Any, checked: Mapping[str, str]) -> None:
    """`sohoa fixity`: the signatures checked again, then the originals' counts and names."""
    for rel, state in checked.items():
        click.echo(t(f"  chữ ký số {rel}: {state}", f"  signatures of {rel}: {state}"))
    click.echo(
        t(
            f"Đã kiểm tra {report.checked} bản gốc: thiếu {len(report.missing)}, "
            f"hỏng {len(report.corrupt)}, trang mồ côi {report.orphan_pages}.",
            f"Checked {report.checked} originals: {len(report.missing)} missing, "
            f"{len(report.corrupt)} corrupt, {report.orphan_pages} orphan pages.",
        )
    )
    for rel in report.missing:
        click.echo(t(f"  thiếu: {rel}", f"  missing: {rel}"))
    for rel in report.corrupt:
        click.echo(t(f"  hỏng: {rel}", f"  corrupt: {rel}"))


def status(obj: dict) -> None:
    """`sohoa status`, from the same dict `--json` prints (`views.status_view`)."""
    index = obj["index"]
    click.echo(
        t(
            f"Kho {obj['archive']}: {obj['batches']} lô, {obj['files']} tệp, {obj['pages']} "
            f"trang ({obj['pages_needing_review']} cần kiểm tra), {obj['documents']} văn bản, "
            f"{len(obj['failures'])} lỗi chưa xử lý.",
            f"Archive {obj['archive']}: {obj['batches']} batches, {obj['files']} files, "
            f"{obj['pages']} pages ({obj['pages_needing_review']} need review), "
            f"{obj['documents']} documents, {len(obj['failures'])} unresolved failures.",
        )
    )
    ok = index["ok"]
    click.echo(
        t(
            "Chỉ mục: " + ("khớp với kho." if ok else "lệch với kho, chạy `sohoa reindex`."),
            "Index: " + ("in step with the store." if ok else "out of step, run `sohoa reindex`."),
        )
    )
    if index["pending_documents"]:
        reasons = ", ".join(
            f"{name} {count}" for name, count in sorted(index["pending_by_reason"].items())
        )
        click.echo(
            t(
                f"Việc chờ cập nhật chỉ mục: {index['pending_documents']} văn bản "
                f"({reasons}); lệnh sohoa kế tiếp sẽ áp dụng.",
                f"Index jobs pending: {index['pending_documents']} documents "
                f"({reasons}); the next sohoa command applies them.",
            )
        )
