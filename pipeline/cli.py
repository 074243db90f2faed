"""The `sohoa` command line: each command parses, calls one library function, prints."""

from __future__ import annotations

import atexit
import gc
import os
import sys
from contextlib import closing
from pathlib import Path

import click

from pipeline.cli_common import archive_options, audited, clearance_option, emit, open_archive
from pipeline.cli_help import Group, Option, bilingual, option
from sohoa.access import AccessLevel
from sohoa.errors import ExitCode
from sohoa.i18n import t

# The interpreter's last garbage collection, as a command's process ends, walks every object
# the store, the index and the OCR code made (~0.15 s of CPU at each exit here) only to find
# them still in use; frozen, they are left to the process's end. What must be closed (the
# archive, the index, files) is closed by the command itself, never left to the collector.
atexit.register(gc.freeze)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="sohoa",
    cls=Option,
    help=bilingual("Hiện phiên bản rồi thoát.", "Show the version and exit."),
)
def main() -> None:
    """sohoa: biến các lô bản quét thành kho lưu trữ tiếng Việt tra cứu được.

    Ví dụ: sohoa ingest samples/batch && sohoa search "công tác kiểm tra"

    ---
    sohoa: turn scan batches into a searchable Vietnamese archive.

    Example: sohoa ingest samples/batch && sohoa search "công tác kiểm tra"
    """


WORKERS = bilingual(
    "Số tiến trình đọc (mặc định: mọi lõi).", "Worker processes (default: all cores)."
)


@main.command()
@click.argument("batch_dir", type=click.Path(path_type=Path))
@option("--workers", type=int, default=0, help=WORKERS)
@option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=bilingual(
        "Tệp mô tả lô (mặc định: sohoa.toml trong thư mục lô).",
        "Batch manifest (default: sohoa.toml in the batch folder).",
    ),
)
@option(
    "--scheduler",
    envvar="SOHOA_SCHEDULER",
    default=None,
    help=bilingual(
        "Bộ điều phối Dask (tcp://máy:8786): đọc các trang trên các máy của cụm đó, dùng chung "
        "thư mục blobs của kho; kho là PostgreSQL (SOHOA_DB_URL) hoặc cục bộ.",
        "Dask scheduler (tcp://host:8786): read the pages on that cluster's workers, which "
        "share the archive's blob folder; the store is PostgreSQL (SOHOA_DB_URL) or local.",
    ),
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
    """Nhận dạng chữ (OCR) và lưu mọi bản quét trong BATCH_DIR; chạy lại để làm tiếp.

    Ví dụ: sohoa ingest /mnt/scans/hop-12 --workers 2
    Ví dụ: sohoa ingest /mnt/scans/hop-12 --scheduler tcp://10.0.0.5:8786

    ---
    OCR and store every scan under BATCH_DIR; run again to resume.

    Example: sohoa ingest /mnt/scans/hop-12 --workers 2
    Example: sohoa ingest /mnt/scans/hop-12 --scheduler tcp://10.0.0.5:8786
    """
    from ocr.loader import DEFAULT_MAX_PIXELS
    from pipeline.executor import ProcessExecutor, make_executor
    from pipeline.head_start import first_pages, page_key, page_work

    lang, max_pixels = "vie", DEFAULT_MAX_PIXELS

    if workers < 0:
        raise click.BadParameter(
            t("phải là 0 (mọi lõi) hoặc lớn hơn", "must be 0 (all cores) or more"),
            param_hint="--workers",
        )
    # The OCR workers' fork server imports and loads its models, and the workers start on the
    # batch's first pages, while this process imports the store, the cut and the index (this
    # module imports none of them: ~0.5 s) and keeps the originals.
    executor = make_executor(workers or os.cpu_count() or 1, scheduler)
    if isinstance(executor, ProcessExecutor):
        early = first_pages(batch_dir, archive_dir, executor.max_in_flight)
        executor.head_start(page_work(lang, max_pixels), early, page_key)

    from pipeline import cli_text
    from pipeline.progress import ProgressBar
    from pipeline.run import IngestOptions
    from pipeline.run import ingest as run_ingest

    options = IngestOptions(
        workers=workers, manifest=manifest, scheduler=scheduler, lang=lang, max_pixels=max_pixels
    )
    with closing(ProgressBar(enabled=not as_json)) as bar:
        try:
            archive = open_archive(archive_dir, create=True)
        except BaseException:
            executor.close()
            raise
        report = run_ingest(archive, batch_dir, options, bar, executor)
    emit(as_json, report.as_json(), lambda: cli_text.ingest(report))
    if report.pages_failed:
        sys.exit(int(ExitCode.input_failed))


@main.command()
@click.argument("doc_id", type=int)
@clearance_option
@archive_options
def show(archive_dir: Path, as_json: bool, doc_id: int, clearance: AccessLevel) -> None:
    """Hiện một văn bản: siêu dữ liệu và chữ của từng trang.

    Ví dụ: sohoa show 3 --json

    ---
    Show a document: metadata and the text of each page.

    Example: sohoa show 3 --json
    """
    from pipeline import cli_text
    from pipeline.views import shown_document

    archive = open_archive(archive_dir)
    with audited(archive, "document", document_id=doc_id, clearance=clearance.slug):
        view = shown_document(archive, doc_id, clearance)
    emit(as_json, view, lambda: cli_text.document(view))


@main.command()
@click.argument("query")
@option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=10,
    help=bilingual("Số văn bản hiện ra.", "Documents to show."),
)
@option(
    "--sort",
    type=click.Choice(["relevance", "ngay", "-ngay"]),
    default="relevance",
    help=bilingual(
        "Thứ tự: relevance (mặc định, khớp nhất trước), ngay (ngày ban hành, cũ trước) hoặc "
        "-ngay (mới trước).",
        "Order: relevance (default), ngay (date issued, oldest first) or -ngay (newest first).",
    ),
)
@option(
    "--engine",
    type=click.Choice(["tantivy", "whoosh"]),
    default=None,
    help=bilingual(
        "Bộ máy tìm kiếm (mặc định: bộ đã dựng chỉ mục).",
        "Search engine (default: the one the index was built with).",
    ),
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
    """Tìm trong toàn văn (có dấu hoặc không dấu) và siêu dữ liệu.

    Ví dụ: sohoa search '"công tác kiểm tra" loai:"Thông báo" nam:2023'

    ---
    Search the full text (with or without diacritics) and metadata.

    Example: sohoa search '"công tác kiểm tra" loai:"Thông báo" nam:2023'
    """
    from pipeline import cli_text
    from pipeline.searching import find
    from pipeline.views import search_view

    archive = open_archive(archive_dir)
    with audited(archive, "search", query=query, clearance=clearance.slug) as detail:
        found = find(
            archive, query, clearance=int(clearance), limit=limit, engine=engine,
            sort=None if sort == "relevance" else sort, facets=as_json, places=True,
        )  # fmt: skip
        detail["total"] = found.results.total
    results, places = found.results, found.places
    emit(as_json, search_view(results, places), lambda: cli_text.search(results, places))


@main.command()
@option(
    "--batch",
    "batch_id",
    type=int,
    default=None,
    help=bilingual("Chỉ lô này (mã số của lô).", "Only this batch (its id)."),
)
@archive_options
def reextract(archive_dir: Path, as_json: bool, batch_id: int | None) -> None:
    """Cắt lại các trang đã lưu thành văn bản và trích xuất lại siêu dữ liệu (không OCR).

    Không cần các thư mục quét; chỉnh sửa của người vẫn thắng, và văn bản vẫn bắt đầu ở cùng
    trang thì giữ mã số.

    Ví dụ: sohoa reextract --batch 3

    ---
    Cut the stored pages into documents and extract their metadata again (no OCR).

    The scan folders need not be there; people's corrections keep winning, and documents
    that still start on the same page keep their ids.

    Example: sohoa reextract --batch 3
    """
    from pipeline import cli_text
    from pipeline.progress import ProgressBar
    from pipeline.reextract import reextract as run_reextract

    with closing(ProgressBar(enabled=not as_json)) as bar:
        report = run_reextract(open_archive(archive_dir), batch_id, on_progress=bar)
    emit(as_json, report.as_json(), lambda: cli_text.reextracted(report))


@main.command()
@option(
    "--engine",
    type=click.Choice(["tantivy", "whoosh"]),
    default=None,
    help=bilingual(
        "Bộ máy của chỉ mục mới (mặc định: bộ đang dùng, nếu không có thì tantivy).",
        "Engine of the new index (default: the current one, else tantivy).",
    ),
)
@option(
    "--verify",
    is_flag=True,
    help=bilingual(
        "Chỉ báo các văn bản thiếu hoặc cũ trong chỉ mục.",
        "Only report missing or stale documents.",
    ),
)
@option(
    "--repair",
    is_flag=True,
    help=bilingual(
        "Chỉ thay các văn bản thiếu, cũ và thừa.",
        "Replace only the missing, stale and extra documents.",
    ),
)
@archive_options
def reindex(
    archive_dir: Path, as_json: bool, engine: str | None, verify: bool, repair: bool
) -> None:
    """Dựng lại chỉ mục tìm kiếm từ kho (không OCR), kiểm tra nó, hoặc sửa chỗ lệch.

    Ví dụ: sohoa reindex --engine whoosh ; sohoa reindex --verify ; sohoa reindex --repair

    ---
    Rebuild the search index from the store (no OCR), verify it, or repair what differs.

    Example: sohoa reindex --engine whoosh ; sohoa reindex --verify ; sohoa reindex --repair
    """
    from pipeline import cli_text, indexing

    archive = open_archive(archive_dir)
    if repair:
        documents, report, synced = indexing.repair(archive)
        obj = {**report.as_json(documents), "in_step": synced.in_step}
        emit(as_json, obj, lambda: cli_text.repaired(documents, report, synced))
        if not synced.in_step:
            sys.exit(int(ExitCode.archive_error))
    elif verify:
        documents, report = indexing.verify(archive)
        emit(as_json, report.as_json(documents), lambda: cli_text.verified(documents, report))
        if not report.ok:
            sys.exit(int(ExitCode.archive_error))
    else:
        count = indexing.rebuild(archive, engine)
        emit(as_json, {"documents": count}, lambda: cli_text.rebuilt(count))


@main.command()
@click.argument("doc_id", type=int)
@option(
    "--set",
    "assignments",
    multiple=True,
    required=True,
    metavar="FIELD=VALUE",
    help=bilingual(
        "Một giá trị đã sửa (lặp lại được); giá trị rỗng xóa trường.",
        "A corrected value (repeatable); an empty value clears the field.",
    ),
)
@option(
    "--who",
    default=None,
    help=bilingual(
        "Người sửa (mặc định: tên đăng nhập của bạn).",
        "Who made the correction (default: your login).",
    ),
)
@archive_options
def edit(
    archive_dir: Path, as_json: bool, doc_id: int, assignments: tuple[str, ...], who: str | None
) -> None:
    """Sửa siêu dữ liệu của một văn bản; bản sửa thắng giá trị trích xuất và được ghi lại.

    Ví dụ: sohoa edit 3 --set so_ky_hieu=10-ĐA/TU --set do_mat=Mật

    ---
    Correct a document's metadata; the correction wins over extraction and is logged.

    Example: sohoa edit 3 --set so_ky_hieu=10-ĐA/TU --set do_mat=Mật
    """
    from pipeline import cli_text
    from pipeline.corrections import correct, parse_assignments
    from pipeline.views import corrected_view

    changes = parse_assignments(assignments)
    archive = open_archive(archive_dir)
    # The fields only, as the server records them: the values are in the corrections table.
    with audited(archive, "correction", document_id=doc_id, fields=sorted(changes)):
        synced = correct(archive, doc_id, changes, who)
    emit(
        as_json,
        corrected_view(archive, doc_id, synced),
        lambda: cli_text.corrected(doc_id, len(changes), synced),
    )


@main.command()
@option(
    "--limit",
    type=click.IntRange(1),
    default=None,
    help=bilingual("Số trường và số trang liệt kê.", "Fields and pages to list."),
)
@clearance_option
@archive_options
def review(archive_dir: Path, as_json: bool, limit: int | None, clearance: AccessLevel) -> None:
    """Các trường siêu dữ liệu người phải kiểm tra (viết tay, không tìm thấy, không chắc),
    kèm vùng trang cần xem; rồi các trang cần xem (tin cậy thấp, trống, chữ sai dạng).

    Chỉ liệt kê văn bản mà mức được xem của bạn cho phép.

    Ví dụ: sohoa review --limit 20 --clearance mat

    ---
    Metadata fields a person must check (handwritten, not found, unsure), with the page
    region to look at; then pages that need a look (low confidence, empty, ill-formed text).

    Only documents your clearance allows are listed.

    Example: sohoa review --limit 20 --clearance mat
    """
    from pipeline import cli_text
    from pipeline.review import review_queue

    archive = open_archive(archive_dir)
    with audited(archive, "review", clearance=clearance.slug) as detail:
        queue = review_queue(archive, limit, clearance)
        detail.update(fields=len(queue.fields), pages=len(queue.pages))
    emit(as_json, queue.as_json(), lambda: cli_text.review(queue))


@main.command()
@click.argument("doc_id", type=int, required=False)
@option(
    "--dossier",
    default=None,
    help=bilingual("Xuất mọi văn bản của hồ sơ mã này.", "Export every document of this dossier."),
)
@option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help=bilingual("Thư mục ghi vào.", "Folder to write into."),
)
@option(
    "--package",
    is_flag=True,
    help=bilingual(
        "Một gói giao nộp (BagIt, METS, PREMIS).", "A transfer package (BagIt, METS, PREMIS)."
    ),
)
@option(
    "--phong",
    default=None,
    help=bilingual(
        "Với --package: mọi hồ sơ của phông này.", "With --package: every dossier of this fonds."
    ),
)
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
    """Xuất một văn bản hoặc một hồ sơ: bản PDF/A, siêu dữ liệu dạng CSV và JSON (tên trường
    theo tiêu chuẩn).

    Với --package: gói giao nộp của hồ sơ (hoặc --phong: cả phông) cho `sohoa import`.

    Ví dụ: sohoa export --dossier HS-2023-01 --to ra/ ; sohoa export 3 --to ra/ ;
    sohoa export --package --dossier HS-2023-01 --to ra/

    ---
    Export a document or a dossier: PDF/A copies, metadata as CSV and JSON (standard names).

    With --package: a transfer package of the dossier (or --phong: the fonds) for `sohoa import`.

    Example: sohoa export --dossier HS-2023-01 --to ra/ ; sohoa export 3 --to ra/ ;
    sohoa export --package --dossier HS-2023-01 --to ra/
    """
    from pipeline import cli_text
    from pipeline.export import export_document, export_dossier

    if package or phong is not None:
        from pipeline.cli_package import export_package

        return export_package(open_archive(archive_dir), as_json, doc_id, dossier, phong, to,
                              clearance)  # fmt: skip
    if (doc_id is None) == (dossier is None):
        raise click.UsageError(
            t("Cho một DOC_ID hoặc --dossier MÃ.", "Give either a DOC_ID or --dossier CODE.")
        )
    archive = open_archive(archive_dir)
    asked = {"dossier": dossier} if dossier is not None else {}
    with audited(archive, "export", document_id=doc_id, clearance=clearance.slug, **asked) as d:
        if dossier is not None:
            result = export_dossier(archive, dossier, to, clearance)
            d["documents"] = list(result.documents)
        else:
            assert doc_id is not None
            result = export_document(archive, doc_id, to, clearance)
    emit(as_json, result.as_json(), lambda: cli_text.files(result.files))


@main.command()
@option(
    "--signatures",
    "recheck",
    is_flag=True,
    help=bilingual(
        "Kiểm tra lại cả chữ ký số của mọi PDF có ký (theo các chứng thư gốc đang cài).",
        "Also check every signed PDF's digital signatures again (trust roots as installed now).",
    ),
)
@archive_options
def fixity(archive_dir: Path, as_json: bool, recheck: bool) -> None:
    """Kiểm tra mọi bản gốc đã lưu còn đó và vẫn khớp SHA-256 của nó.

    Ví dụ: sohoa fixity --signatures --json

    ---
    Check that every stored original still exists and still matches its SHA-256.

    Example: sohoa fixity --signatures --json
    """
    from archive_store.fixity import check_fixity
    from pipeline import cli_text, signatures

    archive = open_archive(archive_dir)
    report = check_fixity(archive)
    checked = signatures.recheck_report(archive) if recheck else {}
    obj = {**report.as_json(), **({"signatures": checked} if recheck else {})}
    emit(as_json, obj, lambda: cli_text.fixity(report, checked))
    if not report.ok:
        sys.exit(int(ExitCode.archive_error))


@main.command()
@archive_options
def status(archive_dir: Path, as_json: bool) -> None:
    """Các lô, trang, văn bản, lỗi và trạng thái chỉ mục của kho.

    Ví dụ: sohoa status --json

    ---
    Batches, pages, documents, failures and index state of the archive.

    Example: sohoa status --json
    """
    from pipeline import cli_text
    from pipeline.views import status_view

    obj = status_view(open_archive(archive_dir))
    emit(as_json, obj, lambda: cli_text.status(obj))


# The server and its people (serve, user, token, audit) live in their own module.
from pipeline.cli_admin import COMMANDS as _ADMIN_COMMANDS  # noqa: E402

# Keeping the archive (backup, restore, publish, watch, doctor, retention) too.
from pipeline.cli_keep import COMMANDS as _KEEP_COMMANDS  # noqa: E402

# Transfer packages (import; export --package calls into it too).
from pipeline.cli_package import COMMANDS as _PACKAGE_COMMANDS  # noqa: E402

for _command in (*_ADMIN_COMMANDS, *_KEEP_COMMANDS, *_PACKAGE_COMMANDS):
    main.add_command(_command)

if __name__ == "__main__":
    main()
