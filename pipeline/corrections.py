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
from pipeline.publish import check_not_a_copy
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
) -> indexing.SyncReport:
    """Store the changes as corrections (who and when) with the document's index job, in one
    transaction, then bring the index in step; the report says whether search follows yet."""
    check_not_a_copy(archive)
    store.add_corrections(archive, doc_id, changes, who or getpass.getuser())
    return indexing.sync(archive)
