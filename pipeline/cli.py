"""The `sohoa` command line: each command parses, calls one library function, prints."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from archive_store import store
from pipeline import indexing, signatures
from pipeline.cli_common import (
    _print_json,
    archive_options,
    clearance_option,
    open_archive,
)
from pipeline.views import check_access, document_view, search_view
from sohoa.access import AccessLevel
from sohoa.errors import ExitCode
from sohoa.i18n import t


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sohoa")
def main() -> None:
    """sohoa: turn scan batches into a searchable Vietnamese archive.

    Example: sohoa ingest samples/batch && sohoa search "công tác kiểm tra"
    """


@main.command()
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=0, help="Worker processes (default: all cores).")
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Batch manifest (default: sohoa.toml in the batch folder).",
)
@click.option(
    "--scheduler",
    envvar="SOHOA_SCHEDULER",
    default=None,
    help="Dask scheduler (tcp://host:8786): read the pages on that cluster's workers, which "
    "share the archive's blob folder; the store is PostgreSQL (SOHOA_DB_URL) or local.",
)
@archive_options
def ingest(
    archive_dir: Path,
    as_json: bool,
    batch_dir: Path,
    workers: int,
    manifest: Path | None,
    scheduler: str | None,
) -> None:
    """OCR and store every scan under BATCH_DIR; run again to resume.

    Example: sohoa ingest /mnt/scans/hop-12 --workers 2
    Example: sohoa ingest /mnt/scans/hop-12 --scheduler tcp://10.0.0.5:8786
    """
    from pipeline.progress import ProgressBar
    from pipeline.run import IngestOptions
    from pipeline.run import ingest as run_ingest

    if workers < 0:
        raise click.BadParameter("must be 0 (all cores) or more", param_hint="--workers")
    archive = open_archive(archive_dir, create=True)
    bar = ProgressBar(enabled=not as_json)
    try:
        report = run_ingest(
            archive,
            batch_dir,
            IngestOptions(workers=workers, manifest=manifest, scheduler=scheduler),
            on_progress=bar,
        )
    finally:
        bar.close()
    if as_json:
        _print_json(report.as_json())
    else:
        _print_ingest_summary(report)
    if report.pages_failed:
        sys.exit(int(ExitCode.input_failed))


def _print_ingest_summary(report: Any) -> None:
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


@main.command()
@click.argument("doc_id", type=int)
@clearance_option
@archive_options
def show(archive_dir: Path, as_json: bool, doc_id: int, clearance: AccessLevel) -> None:
    """Show a document: metadata and the text of each page.

    Example: sohoa show 3 --json
    """
    archive = open_archive(archive_dir)
    record = store.document(archive, doc_id)
    check_access(record, clearance)
    view = signatures.add_to_view(archive, doc_id, document_view(record))
    if as_json:
        _print_json(view)
        return
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


@main.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, help="Documents to show.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "ngay", "-ngay"]),
    default="relevance",
    help="Order: relevance (default), ngay (date issued, oldest first) or -ngay (newest first).",
)
@click.option(
    "--engine",
    type=click.Choice(["tantivy", "whoosh"]),
    default=None,
    help="Search engine (default: the one the index was built with).",
)
@clearance_option
@archive_options
def search(
    archive_dir: Path,
    as_json: bool,
    query: str,
    limit: int,
    sort: str,
    engine: str | None,
    clearance: AccessLevel,
) -> None:
    """Search the full text (with or without diacritics) and metadata.

    Example: sohoa search '"công tác kiểm tra" loai:"Thông báo" nam:2023'
    """
    from pipeline.searching import search as run_search

    archive = open_archive(archive_dir)
    results = run_search(
        archive,
        query,
        clearance=int(clearance),
        limit=limit,
        sort=None if sort == "relevance" else sort,
        engine=engine,
        facets=as_json,
    )
    places = store.page_places(archive, [h.doc_id for h in results.hits])
    if as_json:
        _print_json(search_view(results, places))
        return
    click.echo(
        t(f"{results.total} văn bản khớp «{query}»", f"{results.total} documents match {query!r}")
    )
    for hit in results.hits:
        click.echo(f"\n[{hit.doc_id}] {hit.title}  ({hit.score:.2f})")
        for page in hit.pages:
            snippet = _highlight(page.snippet)
            click.echo(
                t(f"  tr. {page.page}", f"  p. {page.page}")
                + _place(places.get(hit.doc_id, []), page.page)
                + f": {snippet}"
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


@main.command()
@click.option("--batch", "batch_id", type=int, default=None, help="Only this batch (its id).")
@archive_options
def reextract(archive_dir: Path, as_json: bool, batch_id: int | None) -> None:
    """Cut the stored pages into documents and extract their metadata again (no OCR).

    The scan folders need not be there; people's corrections keep winning, and documents
    that still start on the same page keep their ids.

    Example: sohoa reextract --batch 3
    """
    from pipeline.progress import ProgressBar
    from pipeline.reextract import reextract as run_reextract

    bar = ProgressBar(enabled=not as_json)
    try:
        report = run_reextract(open_archive(archive_dir), batch_id, on_progress=bar)
    finally:
        bar.close()
    if as_json:
        _print_json(report.as_json())
        return
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


@main.command()
@click.option(
    "--engine",
    type=click.Choice(["tantivy", "whoosh"]),
    default=None,
    help="Engine of the new index (default: the current one, else tantivy).",
)
@click.option("--verify", is_flag=True, help="Only report missing or stale documents.")
@click.option("--repair", is_flag=True, help="Replace only the missing, stale and extra documents.")
@archive_options
def reindex(
    archive_dir: Path, as_json: bool, engine: str | None, verify: bool, repair: bool
) -> None:
    """Rebuild the search index from the store (no OCR), verify it, or repair what differs.

    Example: sohoa reindex --engine whoosh ; sohoa reindex --verify ; sohoa reindex --repair
    """
    archive = open_archive(archive_dir)
    if repair:
        documents, report, synced = indexing.repair(archive)
        if as_json:
            _print_json({**report.as_json(documents), "in_step": synced.in_step})
        else:
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
        if not synced.in_step:
            sys.exit(int(ExitCode.archive_error))
        return
    if verify:
        documents, report = indexing.verify(archive)
        obj = report.as_json(documents)
        if as_json:
            _print_json(obj)
        else:
            click.echo(
                t(
                    f"{documents} văn bản; thiếu trong chỉ mục: {len(report.missing)}, "
                    f"cũ: {len(report.stale)}, thừa: {len(report.extra)}.",
                    f"{documents} documents; missing from index: {len(report.missing)}, "
                    f"stale: {len(report.stale)}, extra: {len(report.extra)}.",
                )
            )
        if not report.ok:
            sys.exit(int(ExitCode.archive_error))
        return
    count = indexing.rebuild(archive, engine)
    if as_json:
        _print_json({"documents": count})
    else:
        click.echo(
            t(f"Đã xây dựng lại chỉ mục: {count} văn bản.", f"Index rebuilt: {count} documents.")
        )


@main.command()
@click.argument("doc_id", type=int)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    required=True,
    metavar="FIELD=VALUE",
    help="A corrected value (repeatable); an empty value clears the field.",
)
@click.option("--who", default=None, help="Who made the correction (default: your login).")
@archive_options
def edit(
    archive_dir: Path, as_json: bool, doc_id: int, assignments: tuple[str, ...], who: str | None
) -> None:
    """Correct a document's metadata; the correction wins over extraction and is logged.

    Example: sohoa edit 3 --set so_ky_hieu=10-ĐA/TU --set do_mat=Mật
    """
    from pipeline.corrections import correct, parse_assignments

    changes = parse_assignments(assignments)
    archive = open_archive(archive_dir)
    synced = correct(archive, doc_id, changes, who)
    if as_json:
        view = document_view(store.document(archive, doc_id, with_pages=False))
        _print_json({**view, "index": {"in_step": synced.in_step, "note": synced.note()}})
        return
    click.echo(
        t(
            f"Đã lưu {len(changes)} chỉnh sửa cho văn bản {doc_id}.",
            f"Saved {len(changes)} corrections for document {doc_id}.",
        )
    )
    click.echo(synced.note() or t("Tìm kiếm đã cập nhật theo.", "Search already shows the change."))


def _review_note(item: dict) -> str:
    """What `show` prints after a flagged field's value (" — cần kiểm tra: viết tay ...")."""
    if not item.get("needs_review"):
        return ""
    from extract.review import reason_text

    vi, en = reason_text(item.get("review_reason"))
    return t(f" — cần kiểm tra: {vi}", f" — needs review: {en}")


@main.command()
@click.option("--limit", type=click.IntRange(1), default=None, help="Fields and pages to list.")
@clearance_option
@archive_options
def review(archive_dir: Path, as_json: bool, limit: int | None, clearance: AccessLevel) -> None:
    """Metadata fields a person must check (handwritten, not found, unsure), with the page
    region to look at; then pages that need a look (low confidence, empty, ill-formed text).

    Only documents your clearance allows are listed.

    Example: sohoa review --limit 20 --clearance mat
    """
    from extract.review import reason_text
    from pipeline.review import fields_to_review, pages_to_review

    archive = open_archive(archive_dir)
    fields = fields_to_review(archive, limit, clearance)
    items = pages_to_review(archive, limit, clearance)
    if as_json:
        _print_json(
            {"fields": [f.as_json() for f in fields], "pages": [i.as_json() for i in items]}
        )
        return
    for f in fields:
        vi, en = reason_text(f.reason)
        where = f"{f.source_file} tr. {f.source_page}" if f.source_page else f"{f.source_file}"
        box = f" @{','.join(str(v) for v in f.region)}" if f.region else ""
        click.echo(f"[{f.doc_id}] {f.field} = {f.value!r} — {t(vi, en)} ({where}{box})")
    if fields:
        click.echo(
            t(f"{len(fields)} trường cần kiểm tra.", f"{len(fields)} fields need review.") + "\n"
        )
    for i in items:
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
    click.echo(t(f"{len(items)} trang cần kiểm tra.", f"{len(items)} pages need review."))


@main.command()
@click.argument("doc_id", type=int, required=False)
@click.option("--dossier", default=None, help="Export every document of this dossier code.")
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write into.",
)
@click.option("--package", is_flag=True, help="A transfer package (BagIt, METS, PREMIS).")
@click.option("--phong", default=None, help="With --package: every dossier of this fonds.")
@clearance_option
@archive_options
def export(
    archive_dir: Path,
    as_json: bool,
    doc_id: int | None,
    dossier: str | None,
    to: Path,
    package: bool,
    phong: str | None,
    clearance: AccessLevel,
) -> None:
    """Export a document or a dossier: PDF/A copies, metadata as CSV and JSON (standard names).

    With --package: a transfer package of the dossier (or --phong: the fonds) for `sohoa import`.

    Example: sohoa export --dossier HS-2023-01 --to ra/ ; sohoa export 3 --to ra/ ;
    sohoa export --package --dossier HS-2023-01 --to ra/
    """
    from pipeline.export import export_document, export_dossier

    if package or phong is not None:
        from pipeline.cli_package import export_package

        archive = open_archive(archive_dir)
        return export_package(archive, as_json, doc_id, dossier, phong, to, clearance)
    if (doc_id is None) == (dossier is None):
        raise click.UsageError(
            t("Cho một DOC_ID hoặc --dossier MÃ.", "Give either a DOC_ID or --dossier CODE.")
        )
    archive = open_archive(archive_dir)
    if dossier is not None:
        result = export_dossier(archive, dossier, to, clearance)
    else:
        assert doc_id is not None
        result = export_document(archive, doc_id, to, clearance)
    if as_json:
        _print_json({"documents": list(result.documents), "files": [str(f) for f in result.files]})
    else:
        for f in result.files:
            click.echo(str(f))


@main.command()
@click.option(
    "--signatures",
    "recheck",
    is_flag=True,
    help="Also check every signed PDF's digital signatures again (trust roots as installed now).",
)
@archive_options
def fixity(archive_dir: Path, as_json: bool, recheck: bool) -> None:
    """Check that every stored original still exists and still matches its SHA-256.

    Example: sohoa fixity --signatures --json
    """
    from archive_store.fixity import check_fixity

    archive = open_archive(archive_dir)
    report = check_fixity(archive)
    checked = signatures.recheck_report(archive) if recheck else {}
    if as_json:
        _print_json(
            {
                "checked": report.checked,
                "missing": list(report.missing),
                "corrupt": list(report.corrupt),
                "orphan_pages": report.orphan_pages,
                "ok": report.ok,
                **({"signatures": checked} if recheck else {}),
            }
        )
    else:
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
    if not report.ok:
        sys.exit(int(ExitCode.archive_error))


@main.command()
@archive_options
def status(archive_dir: Path, as_json: bool) -> None:
    """Batches, pages, documents, failures and index state of the archive.

    Example: sohoa status --json
    """
    archive = open_archive(archive_dir)
    st = store.status(archive)
    _, check = indexing.verify(archive)
    jobs = store.pending_jobs(archive)
    obj = {
        "archive": str(archive.root),
        "batches": st.batches,
        "files": st.files,
        "pages": st.pages,
        "pages_needing_review": st.pages_needing_review,
        "documents": st.documents,
        "failures": [
            {"file": f.rel_path, "page": f.source_page, "reason": t(f.reason_vi, f.reason_en)}
            for f in store.failures(archive)
        ],
        "index": {
            "ok": check.ok,
            "missing": len(check.missing),
            "stale": len(check.stale),
            "extra": len(check.extra),
            "pending_jobs": sum(jobs.reasons.values()),
            "pending_documents": len(jobs.doc_ids),
            "pending_by_reason": jobs.reasons,
        },
    }
    if as_json:
        _print_json(obj)
        return
    click.echo(
        t(
            f"Kho {obj['archive']}: {st.batches} lô, {st.files} tệp, {st.pages} trang "
            f"({st.pages_needing_review} cần kiểm tra), {st.documents} văn bản, "
            f"{st.failures} lỗi chưa xử lý.",
            f"Archive {obj['archive']}: {st.batches} batches, {st.files} files, {st.pages} pages "
            f"({st.pages_needing_review} need review), {st.documents} documents, "
            f"{st.failures} unresolved failures.",
        )
    )
    click.echo(
        t(
            "Chỉ mục: " + ("khớp với kho." if check.ok else "lệch với kho, chạy `sohoa reindex`."),
            "Index: "
            + ("in step with the store." if check.ok else "out of step, run `sohoa reindex`."),
        )
    )
    if jobs:
        click.echo(
            t(
                f"Việc chờ cập nhật chỉ mục: {len(jobs.doc_ids)} văn bản "
                f"({_reasons(jobs.reasons)}); lệnh sohoa kế tiếp sẽ áp dụng.",
                f"Index jobs pending: {len(jobs.doc_ids)} documents "
                f"({_reasons(jobs.reasons)}); the next sohoa command applies them.",
            )
        )


def _reasons(reasons: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(reasons.items()))


# The server and its people (serve, user, token, audit) live in their own module.
from pipeline.cli_admin import COMMANDS as _ADMIN_COMMANDS  # noqa: E402

for _command in _ADMIN_COMMANDS:
    main.add_command(_command)

# Keeping the archive (backup, restore) lives in its own module too.
from pipeline.cli_keep import COMMANDS as _KEEP_COMMANDS  # noqa: E402

for _command in _KEEP_COMMANDS:
    main.add_command(_command)

# Transfer packages (import; export --package calls into it too).
from pipeline.cli_package import COMMANDS as _PACKAGE_COMMANDS  # noqa: E402

for _command in _PACKAGE_COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
