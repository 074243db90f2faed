"""The `sohoa` commands of transfer packages: `export --package` (its body) and `import`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline import keep_text
from pipeline.cli_common import archive_options, audited, emit, open_archive
from pipeline.cli_help import command
from sohoa.access import AccessLevel
from sohoa.errors import ExitCode
from sohoa.i18n import t

if TYPE_CHECKING:
    from archive_store.db import Archive


def export_package(
    archive: Archive,
    as_json: bool,
    doc_id: int | None,
    dossier: str | None,
    phong: str | None,
    to: Path,
    clearance: AccessLevel,
) -> None:
    """`sohoa export --package --dossier CODE | --phong CODE --to DIR`."""
    from pipeline.package import export_package as write_package

    if doc_id is not None or (dossier is None) == (phong is None):
        raise click.UsageError(
            t(
                "--package cần --dossier MÃ hoặc --phong MÃ (không kèm DOC_ID).",
                "--package needs --dossier CODE or --phong CODE (and no DOC_ID).",
            )
        )
    asked: dict[str, Any] = {
        "package": True,
        "dossier": dossier,
        "phong": phong,
        "clearance": clearance.slug,
    }
    with audited(archive, "export", **asked) as detail:
        report = write_package(archive, to, clearance, dossier=dossier, phong=phong)
        detail["documents"] = list(report.documents)
    emit(as_json, report.as_json(), lambda: keep_text.packed(report, clearance))


@command("import")
@click.argument("package", type=click.Path(file_okay=False, exists=True, path_type=Path))
@archive_options
def import_(archive_dir: Path, as_json: bool, package: Path) -> None:
    """Kiểm tra một gói giao nộp (BagIt) rồi đọc nó vào kho, không OCR.

    Gói hỏng hoặc thiếu bị từ chối, kèm tên các tệp; nhập lại lần nữa không lưu gì hai lần. Mã
    văn bản của gói được đối chiếu sang mã của kho này (in ra).

    Ví dụ: sohoa import /mnt/usb/ho-so-HS-2023-01 --archive /srv/kho

    ---
    Verify a transfer package (BagIt) and read it into the archive, without OCR.

    A damaged or incomplete package is refused, naming the files; importing it again stores
    nothing twice. The package's document ids map to this archive's (printed).

    Example: sohoa import /mnt/usb/ho-so-HS-2023-01 --archive /srv/kho
    """
    from pipeline.package_import import import_package, verify_package

    meta = verify_package(package)  # before the archive is even made: a refusal writes nothing
    report = import_package(open_archive(archive_dir, create=True), package, meta)
    emit(as_json, report.as_json(), lambda: keep_text.imported(report))
    if not report.fixity_ok:
        sys.exit(int(ExitCode.archive_error))


COMMANDS = [import_]
