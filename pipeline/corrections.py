"""People's corrections of document metadata: validated, stored apart, logged, reindexed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import unicodedata

from archive_store import store
from archive_store.db import Archive
from extract.metadata import DocumentMetadata
from pipeline import indexing
from sohoa.access import parse_level
from sohoa.errors import ExitCode, SohoaError

FIELDS = tuple(f.name for f in dataclasses.fields(DocumentMetadata))
"""The metadata fields a person may correct (those extraction produces)."""


class BadCorrection(SohoaError):
    exit_code = ExitCode.usage


def parse_assignments(assignments: tuple[str, ...]) -> dict[str, str | None]:
    """`field=value` pairs from the command line; an empty value clears the field."""
    changes: dict[str, str | None] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in FIELDS:
            raise BadCorrection(
                vi=f"--set {item!r}: cần dạng TRƯỜNG=GIÁ_TRỊ với TRƯỜNG là một trong: "
                f"{', '.join(FIELDS)}.",
                en=f"--set {item!r}: expected FIELD=VALUE with FIELD one of: {', '.join(FIELDS)}.",
            )
        changes[name] = _check(name, unicodedata.normalize("NFC", value.strip())) or None
    return changes


def _check(name: str, value: str) -> str:
    if not value:
        return value
    if name == "ngay_ban_hanh":
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise BadCorrection(
                vi=f"--set ngay_ban_hanh={value!r}: ngày cần dạng NĂM-THÁNG-NGÀY, "
                "ví dụ 2022-01-28.",
                en=f"--set ngay_ban_hanh={value!r}: dates are YYYY-MM-DD, e.g. 2022-01-28.",
            ) from None
    if name == "do_mat":
        return parse_level(value).label
    return value


def correct(
    archive: Archive, doc_id: int, changes: dict[str, str | None], who: str | None = None
) -> None:
    """Store each change as a correction (who and when), then update the document's index entry."""
    who = who or getpass.getuser()
    store.document(archive, doc_id, with_pages=False)  # NotFound before anything is written
    for name, value in changes.items():
        store.add_correction(archive, doc_id, name, value, who)
    indexing.update(archive, [doc_id])
