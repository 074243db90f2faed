"""What the commands that keep the archive print for people (backup, restore, publish, doctor,
retention, transfer packages); `--json` prints the library's own JSON instead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from sohoa.access import AccessLevel
from sohoa.i18n import t


def backed_up(report: Any) -> None:
    click.echo(
        t(
            f"Đã sao lưu vào {report.path}: {report.files} tệp, {report.copied} chép mới "
            f"({report.bytes_copied / 1e6:.1f} MB), {report.linked} liên kết từ bản trước, "
            f"{report.seconds:.1f} giây.",
            f"Backed up into {report.path}: {report.files} files, {report.copied} copied "
            f"({report.bytes_copied / 1e6:.1f} MB), {report.linked} linked from the last set, "
            f"{report.seconds:.1f} s.",
        )
    )
    for rel in report.corrupt:
        click.echo(t(f"  bản gốc hỏng: {rel}", f"  corrupt original: {rel}"))


def backups_checked(checks: Sequence[Any]) -> None:
    for c in checks:
        state = t("tốt", "good") if c.ok else t("HỎNG", "BAD")
        click.echo(f"{c.path}: {state}")
        for problem in c.problems:
            click.echo(f"  {problem}")


def restored(report: Any) -> None:
    st = report.status
    click.echo(
        t(
            f"Đã khôi phục {report.source} vào {report.archive}: {st.pages} trang, "
            f"{st.documents} văn bản, chỉ mục {report.documents_indexed} văn bản; "
            f"kiểm tra toàn vẹn: {'tốt' if report.ok else 'có lỗi'}.",
            f"Restored {report.source} into {report.archive}: {st.pages} pages, "
            f"{st.documents} documents, index {report.documents_indexed} documents; "
            f"fixity: {'good' if report.ok else 'problems found'}.",
        )
    )


def published(report: Any) -> None:
    click.echo(
        t(
            f"Bản công bố {report.path}: {report.published} văn bản, {report.pages} trang "
            f"(thêm {report.added}, cập nhật {report.updated}, gỡ {report.removed}), "
            f"{report.seconds:.1f} giây.",
            f"Published copy {report.path}: {report.published} documents, {report.pages} pages "
            f"({report.added} added, {report.updated} updated, {report.removed} removed), "
            f"{report.seconds:.1f} s.",
        )
    )


def diagnosed(checks: Sequence[Any]) -> None:
    marks = {"ok": "✓", "warning": "!", "error": "✗"}
    for c in checks:
        fix = t(f"  → sửa: {c.fix}", f"  → fix: {c.fix}") if c.fix else ""
        click.echo(f"{marks[c.level]} {c.name}: {c.found}{fix}")


def retention(due: Sequence[dict]) -> None:
    for d in due:
        when = d["due"] or "?"
        click.echo(
            f"{d['ho_so']}  {d['title'] or ''}  {d['thoi_gian'] or '?'}  "
            f"{d['thoi_han_bao_quan'] or '?'}  {when}  ({d['documents']})"
            + (f"  {d['note']}" if d["note"] else "")
        )
    click.echo(
        t(
            f"{len(due)} hồ sơ hết hoặc thiếu thời hạn bảo quản; sohoa không xóa gì.",
            f"{len(due)} dossiers past or missing their retention period; sohoa deletes nothing.",
        )
    )


def packed(report: Any, clearance: AccessLevel) -> None:
    """`sohoa export --package`: the package written, what was left out and why."""
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


def imported(report: Any) -> None:
    """`sohoa import`: what came in, how the ids map, what the package did not carry."""
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
                f"The package left out {report.left_out} documents (above the packer's clearance).",
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
