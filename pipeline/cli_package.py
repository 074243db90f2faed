"""The `sohoa` commands of transfer packages: `export --package` (its body) and `import`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archive_store.db import Archive
from pipeline.cli_common import _print_json, archive_options, audited, open_archive
from pipeline.cli_help import command
from sohoa.access import AccessLevel
from sohoa.errors import ExitCode
from sohoa.i18n import t


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
    if as_json:
        _print_json(report.as_json())
        return
    click.echo(
        t(
            f"Đã ghi gói {report.path}: {len(report.documents)} văn bản, {report.files} tệp "
            f"({report.bytes / 1e6:.1f} MB).",
            f"Wrote the package {report.path}: {len(report.documents)} documents, "
            f"{report.files} files ({report.bytes / 1e6:.1f} MB).",
        )
    )
    if report.left_out:
        click.echo(
            t(
                f"Để lại {report.left_out} văn bản trên mức mật {clearance.label} của bạn "
                "(dùng --clearance để đóng gói chúng).",
                f"Left out {report.left_out} documents above your clearance {clearance.label} "
                "(use --clearance to pack them).",
            )
        )
    for rel in report.originals_left_out:
        click.echo(
            t(
                f"  bản gốc không đóng gói (có trang không được đi kèm): {rel}",
                f"  original not packed (it holds pages that may not go): {rel}",
            )
        )


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
    if as_json:
        _print_json(report.as_json())
    else:
        click.echo(
            t(
                f"Đã nhập {report.package} vào {report.archive}: {len(report.documents)} văn bản "
                f"({report.documents_added} mới), {report.files_added} bản gốc mới, "
                f"{report.pages_added} trang mới, {report.corrections_added} chỉnh sửa mới; "
                f"kiểm tra toàn vẹn: {'tốt' if report.fixity_ok else 'CÓ LỖI'}.",
                f"Imported {report.package} into {report.archive}: {len(report.documents)} "
                f"documents ({report.documents_added} new), {report.files_added} new originals, "
                f"{report.pages_added} new pages, {report.corrections_added} new corrections; "
                f"fixity: {'good' if report.fixity_ok else 'PROBLEMS'}.",
            )
        )
        for source, new, code in report.documents:
            click.echo(
                t(f"  {code}: văn bản {source} -> {new}", f"  {code}: document {source} -> {new}")
            )
        if report.left_out:
            click.echo(
                t(
                    f"Gói để lại {report.left_out} văn bản (trên mức mật của người đóng gói).",
                    f"The package left out {report.left_out} documents (above the packer's "
                    "clearance).",
                )
            )
        for rel in report.originals_missing:
            click.echo(
                t(
                    f"  gói không mang bản gốc {rel} (nó có trang không được đi kèm): chỉ có "
                    "chữ và siêu dữ liệu của các trang đó; `sohoa fixity` sẽ báo thiếu.",
                    f"  the package does not carry the original {rel} (it holds pages that "
                    "may not go): only those pages' text and metadata; `sohoa fixity` reports "
                    "it missing.",
                )
            )
        if report.index_note:
            click.echo(report.index_note)
    if not report.fixity_ok:
        sys.exit(int(ExitCode.archive_error))


COMMANDS = [import_]
