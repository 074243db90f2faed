"""The `sohoa` commands that keep the archive: backup (and its verification), restore, publish,
watch, doctor, retention."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline import keep_text
from pipeline.cli_common import archive_options, emit, open_archive
from pipeline.cli_help import bilingual, command, option
from sohoa.errors import ExitCode
from sohoa.i18n import t


@command()
@option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=bilingual(
        "Thư mục đích (mỗi vật mang tin một thư mục); bộ sao lưu mới nằm cạnh các bộ trước.",
        "Target folder (one per medium); the new backup set goes beside the earlier ones.",
    ),
)
@option(
    "--verify",
    "verify",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=bilingual(
        "Thay vào đó, băm lại một bộ sao lưu, hoặc mọi bộ trong một thư mục đích.",
        "Re-hash a backup set, or every set in a target folder, instead.",
    ),
)
@archive_options
def backup(archive_dir: Path, as_json: bool, to: Path | None, verify: Path | None) -> None:
    """Sao lưu kho ngay khi đang dùng: một bộ BagIt gồm cơ sở dữ liệu và các tệp blob.

    Chỉ chép những gì bộ mới nhất trong thư mục còn thiếu; phần còn lại là liên kết cứng.

    Ví dụ: sohoa backup --to /mnt/sao-luu-1 ; sohoa backup --verify /mnt/sao-luu-1

    ---
    Back up the archive while it is in use: a BagIt set of the database and the blobs.

    Only what the newest set in the folder lacks is copied; the rest is hard-linked.

    Example: sohoa backup --to /mnt/sao-luu-1 ; sohoa backup --verify /mnt/sao-luu-1
    """
    from archive_store import backup as backups

    if (to is None) == (verify is None):
        raise click.UsageError(
            t("Cho --to THƯ_MỤC hoặc --verify THƯ_MỤC.", "Give --to DIR or --verify DIR.")
        )
    if verify is not None:
        checks = backups.verify(verify)
        emit(as_json, [c.as_json() for c in checks], lambda: keep_text.backups_checked(checks))
        if not all(c.ok for c in checks):
            sys.exit(int(ExitCode.archive_error))
        return
    assert to is not None
    report = backups.backup(open_archive(archive_dir), to)
    emit(as_json, report.as_json(), lambda: keep_text.backed_up(report))
    if report.corrupt:
        sys.exit(int(ExitCode.archive_error))


@command()
@click.argument("source", type=click.Path(file_okay=False, path_type=Path))
@archive_options
def restore(archive_dir: Path, as_json: bool, source: Path) -> None:
    """Kiểm tra một bộ sao lưu rồi khôi phục nó vào một kho mới (--archive), dựng lại chỉ mục.

    SOURCE là một bộ sao lưu, hoặc một thư mục đích (lấy bộ đầy đủ mới nhất của nó).

    Ví dụ: sohoa restore /mnt/sao-luu-1 --archive /srv/kho-moi

    ---
    Verify a backup and restore it into a new archive (--archive), index rebuilt.

    SOURCE is a backup set, or a target folder (its newest complete set is taken).

    Example: sohoa restore /mnt/sao-luu-1 --archive /srv/kho-moi
    """
    import os

    from pipeline.keeping import restore as run_restore

    report = run_restore(source, archive_dir, os.environ.get("SOHOA_DB_URL"))
    emit(as_json, report.as_json(), lambda: keep_text.restored(report))
    if not report.ok:
        sys.exit(int(ExitCode.archive_error))


@command()
@option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help=bilingual(
        "Thư mục của bản công bố (tạo ở lần chạy đầu, cập nhật theo ở các lần sau).",
        "The network copy's folder (made on the first run, brought in step after).",
    ),
)
@archive_options
def publish(archive_dir: Path, as_json: bool, to: Path) -> None:
    """Ghi bản công bố lên mạng: chỉ văn bản công khai của hồ sơ công khai, không gì khác.

    Ảnh trang ở độ phân giải để đọc (không bao giờ là bản gốc), chữ, khung từ, siêu dữ liệu và
    chỉ mục riêng; văn bản không còn được công bố sẽ không để lại dấu vết ở lần chạy sau.

    Ví dụ: sohoa publish --to /srv/ban-cong-bo

    ---
    Publish the network copy: only công khai documents of public dossiers, nothing else.

    Page images at reading resolution (never the originals), text, word boxes, metadata and an
    index of its own; a document no longer publishable leaves no trace at the next run.

    Example: sohoa publish --to /srv/ban-cong-bo
    """
    from pipeline.publish import publish as run_publish

    report = run_publish(open_archive(archive_dir), to)
    emit(as_json, report.as_json(), lambda: keep_text.published(report))


@command()
@click.argument("scan_root", type=click.Path(file_okay=False, path_type=Path))
@option("--settle", type=float, default=60.0,
        help=bilingual("Số giây một thư mục phải đứng yên không đổi.",
                       "Seconds a folder must stay unchanged."))  # fmt: skip
@option("--marker", default=None,
        help=bilingual("Tệp mà phần mềm quét ghi ra khi quét xong.",
                       "A file the scanning software writes when done."))  # fmt: skip
@option("--interval", type=float, default=10.0,
        help=bilingual("Số giây giữa hai lượt xem.", "Seconds between passes."))  # fmt: skip
@option("--workers", type=int, default=0,
        help=bilingual("Số tiến trình đọc (mặc định: mọi lõi).",
                       "Worker processes (default: all cores)."))  # fmt: skip
@option("--once", is_flag=True,
        help=bilingual("Một lượt rồi dừng (cho cron hoặc kiểm thử).",
                       "One pass, then stop (for cron or a test)."))  # fmt: skip
@option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=bilingual(
        "Tệp nhật ký (mặc định <kho>/watch.log).", "Log file (default <archive>/watch.log)."
    ),
)
@archive_options
def watch(
    archive_dir: Path,
    as_json: bool,
    scan_root: Path,
    settle: float,
    marker: str | None,
    interval: float,
    workers: int,
    once: bool,
    log_file: Path | None,
) -> None:
    """Nạp từng thư mục lô mới trong SCAN_ROOT khi nó đã đủ, mỗi thư mục một lần.

    Thư mục là đủ khi có tệp --marker, hoặc không đổi trong --settle giây.

    Ví dụ: sohoa watch /mnt/may-quet --settle 120 --archive /srv/kho

    ---
    Ingest each new batch folder under SCAN_ROOT once it is complete, each once.

    A folder is complete when it holds --marker, or has not changed for --settle seconds.

    Example: sohoa watch /mnt/may-quet --settle 120 --archive /srv/kho
    """
    import logging

    from pipeline.run import IngestOptions
    from pipeline.watch import Watcher

    archive = open_archive(archive_dir, create=True)
    logging.basicConfig(
        filename=log_file or archive.root / "watch.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    watcher = Watcher(
        archive, scan_root, IngestOptions(workers=workers), settle=settle, marker=marker
    )
    watcher.run(interval, passes=1 if once else None)


@command()
@archive_options
def doctor(archive_dir: Path, as_json: bool) -> None:
    """Kiểm tra các chương trình, kho, chỗ trống trên đĩa, chỉ mục, một mẫu toàn vẹn và các
    chứng thư gốc.

    Mỗi vấn đề kèm lệnh sửa nó; mã thoát 5 khi có một lỗi.

    Ví dụ: sohoa doctor

    ---
    Check the programs, the store, disk room, the index, a fixity sample and trust roots.

    Each problem comes with the command that fixes it; exit code 5 when any is an error.

    Example: sohoa doctor
    """
    from pipeline.doctor import diagnose

    checks = diagnose(open_archive(archive_dir))
    emit(as_json, [c.as_json() for c in checks], lambda: keep_text.diagnosed(checks))
    if any(c.level == "error" for c in checks):
        sys.exit(int(ExitCode.archive_error))


@command()
@option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help=bilingual(
        "Ngày dùng để xét (mặc định hôm nay), YYYY-MM-DD.",
        "The day to judge by (default today), YYYY-MM-DD.",
    ),
)
@archive_options
def retention(archive_dir: Path, as_json: bool, on: object) -> None:
    """Các hồ sơ đã hết thời hạn bảo quản, để Hội đồng xác định giá trị xem xét (không xóa gì).

    Ví dụ: sohoa retention --on 2031-01-01 --json

    ---
    Dossiers whose retention period has run out, for the appraisal council (nothing deleted).

    Example: sohoa retention --on 2031-01-01 --json
    """
    import datetime as dt

    from pipeline.doctor import retention_due

    day = on.date() if isinstance(on, dt.datetime) else None
    due = retention_due(open_archive(archive_dir), day)
    emit(as_json, due, lambda: keep_text.retention(due))


COMMANDS = [backup, restore, publish, watch, doctor, retention]
