"""What every `sohoa` command shares: --archive, --json, -v, --clearance, how errors end, and
the audit record of what a local user read."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli_help import bilingual, option
from sohoa.access import AccessLevel, parse_level
from sohoa.errors import AccessDenied, ArchiveError, ExitCode, NotFound, SohoaError
from sohoa.i18n import t

if TYPE_CHECKING:
    from archive_store.db import Archive

# The store (SQLAlchemy) is imported by the commands that open it, not when `sohoa` starts:
# `sohoa ingest` starts its OCR workers first, and `--help` needs none of it.

__all__ = [
    "_print_json",
    "archive_options",
    "audited",
    "clearance_option",
    "emit",
    "open_archive",
]


def open_archive(archive_dir: Path, *, create: bool = False) -> Archive:
    """The archive for this command, closed when the command ends."""
    from archive_store.db import Archive

    archive = Archive(archive_dir, create=create)
    click.get_current_context().call_on_close(archive.close)
    return archive


def _print_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def emit(as_json: bool, obj: object, say: Callable[[], object]) -> None:
    """Print the library's JSON `obj` with --json, else the text for people (`say()`)."""
    if as_json:
        _print_json(obj)
    else:
        say()


def archive_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--archive, --json and -v, shared by every command; errors become messages + exit codes."""

    @option(
        "--archive",
        "archive_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=bilingual(
            "Thư mục kho (mặc định $SOHOA_ARCHIVE, nếu không có thì ./kho).",
            "Archive folder (default $SOHOA_ARCHIVE, else ./kho).",
        ),
    )
    @option("--json", "as_json", is_flag=True, help=bilingual("Chỉ in JSON.", "Print JSON only."))
    @option(
        "-v",
        "--verbose",
        is_flag=True,
        help=bilingual("Khi lỗi, in cả traceback.", "Show tracebacks on errors."),
    )
    @functools.wraps(fn)
    def wrapper(archive_dir: Path | None, as_json: bool, verbose: bool, **kwargs: Any) -> Any:
        if archive_dir is None:
            from archive_store.db import default_archive_dir

            archive_dir = default_archive_dir()
        try:
            return fn(archive_dir=archive_dir, as_json=as_json, **kwargs)
        except SohoaError as exc:
            if verbose:
                traceback.print_exc()
            click.echo(t("Lỗi: ", "Error: ") + exc.message(), err=True)
            sys.exit(int(exc.exit_code))
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`sohoa show 3 | head`): stop quietly, as `cat` would.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(128 + signal.SIGPIPE)
        except KeyboardInterrupt:
            click.echo(
                t(
                    "\nĐã dừng. Các trang đã lưu được giữ; chạy lại cùng lệnh để tiếp tục.",
                    "\nStopped. Stored pages are kept; run the same command again to resume.",
                ),
                err=True,
            )
            sys.exit(int(ExitCode.interrupted))
        except Exception as exc:
            if verbose:
                traceback.print_exc()
            click.echo(
                t(
                    f"Lỗi không mong đợi: {type(exc).__name__}: {exc}. Chạy lại với -v và báo lỗi.",
                    f"Unexpected error: {type(exc).__name__}: {exc}. Run with -v and report it.",
                ),
                err=True,
            )
            sys.exit(int(ExitCode.internal))

    return wrapper


def _clearance(_ctx: click.Context, _param: click.Parameter, value: str) -> AccessLevel:
    try:
        return parse_level(value)
    except SohoaError as exc:
        raise click.BadParameter(exc.message()) from exc


clearance_option = option(
    "--clearance",
    default="cong-khai",
    callback=_clearance,
    help=bilingual(
        "Mức được xem của bạn: cong-khai (mặc định), mat, toi-mat, tuyet-mat.",
        "Your clearance: cong-khai (default), mat, toi-mat, tuyet-mat.",
    ),
)


@contextmanager
def audited(
    archive: Archive, action: str, *, document_id: int | None = None, **detail: Any
) -> Iterator[dict[str, Any]]:
    """Record what the block reads in the audit trail (Nghị định 113/2025 Art. 22), as the
    server does: one record, committed before anything is printed, outcome `denied` or
    `missing` when the block refuses. The block may add to the yielded detail (a total).

    A store that cannot be written (a read-only mount, a read-only database user) does not
    stop the read: a warning on stderr says it went unrecorded.
    """
    found = dict(detail)
    try:
        yield found
    except AccessDenied:
        _record(archive, action, "denied", document_id, found)
        raise
    except NotFound:
        _record(archive, action, "missing", document_id, found)
        raise
    _record(archive, action, "ok", document_id, found)


def _record(
    archive: Archive, action: str, outcome: str, document_id: int | None, detail: dict
) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from archive_store import audit

    try:
        audit.record_local(archive, action, outcome, document_id=document_id, detail=detail)
    except (ArchiveError, SQLAlchemyError, OSError) as exc:
        cause = exc.__cause__ if isinstance(exc, ArchiveError) and exc.__cause__ else exc
        reason = getattr(cause, "orig", None) or cause
        click.echo(
            t(
                f"Cảnh báo: không ghi được nhật ký truy cập ({reason}); việc đọc này không được "
                "ghi lại.",
                f"Warning: could not write the audit trail ({reason}); this read is not recorded.",
            ),
            err=True,
        )
