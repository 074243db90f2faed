"""What every `sohoa` command shares: --archive, --json, -v, --clearance, and how errors end."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from archive_store.db import Archive, default_archive_dir
from sohoa.access import AccessLevel, parse_level
from sohoa.errors import ExitCode, SohoaError
from sohoa.i18n import t

__all__ = ["_print_json", "archive_options", "clearance_option", "open_archive"]


def open_archive(archive_dir: Path, *, create: bool = False) -> Archive:
    """The archive for this command, closed when the command ends."""
    archive = Archive(archive_dir, create=create)
    click.get_current_context().call_on_close(archive.close)
    return archive


def _print_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def archive_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--archive, --json and -v, shared by every command; errors become messages + exit codes."""

    @click.option(
        "--archive",
        "archive_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Archive folder (default $SOHOA_ARCHIVE, else ./kho).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
    @click.option("-v", "--verbose", is_flag=True, help="Show tracebacks on errors.")
    @functools.wraps(fn)
    def wrapper(archive_dir: Path | None, as_json: bool, verbose: bool, **kwargs: Any) -> Any:
        try:
            return fn(archive_dir=archive_dir or default_archive_dir(), as_json=as_json, **kwargs)
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


clearance_option = click.option(
    "--clearance",
    default="cong-khai",
    callback=_clearance,
    help="Your clearance: cong-khai (default), mat, toi-mat, tuyet-mat.",
)
