"""What the store keeps of each delivered file's digital signatures (one row per signature).

Signatures belong to a file's bytes, so they are keyed by its content hash, like pages: a
document shows the signatures of the files its pages come from, a re-cut keeps them, and
`fixity` re-checks them against the same bytes. A file whose signatures could not be read at
all keeps one row with `ordinal` 0 and the error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import ClassVar

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from archive_store.db import Archive
from archive_store.models import Base, DocumentPage, IndexJob, utcnow
from signing.verify import (
    BROKEN,
    NONE,
    FileSignatures,
    SignatureCheck,
    earliest_signing_date,
    overall_status,
)


class FileSignature(Base):
    """One signature of a delivered PDF (chữ ký số), as last checked."""

    __tablename__ = "file_signature"
    __table_args__ = (UniqueConstraint("sha256", "ordinal"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    """Content hash of the signed file (the preservation master, kept byte for byte)."""
    ordinal: Mapped[int] = mapped_column(Integer)
    """1-based, in the order the file's revisions were signed; 0 for "could not be read"."""
    status: Mapped[str] = mapped_column(String(16))
    """signing.verify: "hop-le", "chua-xac-minh" or "loi"."""
    signer_cn: Mapped[str] = mapped_column(Text, default="")
    signer_org: Mapped[str] = mapped_column(Text, default="")
    signing_time: Mapped[str | None] = mapped_column(String(40))
    """ISO 8601, as signing.verify.SignatureCheck.signing_time."""
    digest_algorithm: Mapped[str] = mapped_column(String(32), default="")
    intact: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    """Everything else the check found (SignatureCheck.as_json)."""
    error: Mapped[str] = mapped_column(Text, default="")
    trust_roots: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    _created: ClassVar[set[str]] = set()


def _ensure_table(archive: Archive) -> None:
    """Create the table in an archive made before it existed (once per database)."""
    key = archive.db_url
    if key not in FileSignature._created:
        FileSignature.__table__.create(archive.engine, checkfirst=True)  # type: ignore[attr-defined]
        FileSignature._created.add(key)


def save_signatures(archive: Archive, sha256: str, found: FileSignatures) -> None:
    """Replace what is stored of the file's signatures with `found` (one transaction, with the
    index jobs of the documents the file's pages are in: ky_so: follows a re-check)."""
    _ensure_table(archive)
    with archive.session() as s:
        s.execute(delete(FileSignature).where(FileSignature.sha256 == sha256))
        docs = s.scalars(
            select(DocumentPage.document_id).where(DocumentPage.sha256 == sha256).distinct()
        )
        for doc_id in docs:
            s.add(IndexJob(document_id=doc_id, reason="signatures"))
        if found.error:
            s.add(
                FileSignature(
                    sha256=sha256,
                    ordinal=0,
                    status=BROKEN,
                    error=found.error,
                    trust_roots=found.trust_roots,
                    details={},
                )
            )
        for n, c in enumerate(found.signatures, start=1):
            s.add(
                FileSignature(
                    sha256=sha256,
                    ordinal=n,
                    status=c.status,
                    signer_cn=c.signer_cn,
                    signer_org=c.signer_org,
                    signing_time=c.signing_time,
                    digest_algorithm=c.digest_algorithm,
                    intact=c.intact,
                    trusted=c.trusted,
                    details=c.as_json(),
                    error=c.error,
                    trust_roots=found.trust_roots,
                )
            )


def checked_files(archive: Archive, shas: Iterable[str]) -> set[str]:
    """Which of these files have had their signatures checked (rows, or none found)."""
    _ensure_table(archive)
    wanted = set(shas)
    if not wanted:
        return set()
    with archive.session() as s:
        rows = s.scalars(
            select(FileSignature.sha256).where(FileSignature.sha256.in_(wanted)).distinct()
        )
        return set(rows)


def file_signatures(archive: Archive, sha256: str) -> FileSignatures:
    """What is stored for one file (no rows: no signature)."""
    return files_signatures(archive, [sha256]).get(sha256, FileSignatures())


def files_signatures(archive: Archive, shas: Sequence[str]) -> dict[str, FileSignatures]:
    _ensure_table(archive)
    out: dict[str, FileSignatures] = {}
    if not shas:
        return out
    with archive.session() as s:
        rows = s.scalars(
            select(FileSignature)
            .where(FileSignature.sha256.in_(set(shas)))
            .order_by(FileSignature.sha256, FileSignature.ordinal)
        ).all()
    grouped: dict[str, list[FileSignature]] = {}
    for row in rows:
        grouped.setdefault(row.sha256, []).append(row)
    for sha, group in grouped.items():
        error = next((r.error for r in group if r.ordinal == 0), "")
        checks = tuple(_check_of(r) for r in group if r.ordinal > 0)
        out[sha] = FileSignatures(
            checks,
            error=error,
            trust_roots=group[0].trust_roots,
            checked_at=group[0].checked_at.isoformat() if group[0].checked_at else "",
        )
    return out


def _check_of(row: FileSignature) -> SignatureCheck:
    details = dict(row.details or {})
    details["problems"] = tuple(details.get("problems", ()))
    details["chain"] = tuple(details.get("chain", ()))
    known = SignatureCheck.__dataclass_fields__
    return SignatureCheck(**{k: v for k, v in details.items() if k in known})


def document_signatures(archive: Archive, doc_id: int) -> list[tuple[str, FileSignatures]]:
    """(file path in the batch, its signatures) for each file the document's pages come from,
    in page order; files without a signature included, with none."""
    _ensure_table(archive)
    with archive.session() as s:
        rows = s.execute(
            select(DocumentPage.sha256, DocumentPage.source_path)
            .where(DocumentPage.document_id == doc_id)
            .order_by(DocumentPage.ordinal)
        ).all()
    seen: dict[str, str] = {}
    for sha, path in rows:
        seen.setdefault(sha, path)
    found = files_signatures(archive, list(seen))
    return [(path, found.get(sha, FileSignatures())) for sha, path in seen.items()]


def document_status(archive: Archive, doc_id: int) -> str:
    """The document's signature status for search (ky_so:): "hop-le", "chua-xac-minh", "loi"
    or "khong"."""
    return documents_status(archive, [doc_id]).get(doc_id, NONE)


def documents_status(archive: Archive, doc_ids: Sequence[int]) -> dict[int, str]:
    _ensure_table(archive)
    if not doc_ids:
        return {}
    with archive.session() as s:
        rows = s.execute(
            select(DocumentPage.document_id, FileSignature.status)
            .join(FileSignature, FileSignature.sha256 == DocumentPage.sha256)
            .where(DocumentPage.document_id.in_(set(doc_ids)))
            .distinct()
        ).all()
    statuses: dict[int, set[str]] = {}
    for doc_id, status in rows:
        statuses.setdefault(doc_id, set()).add(status)
    out = {}
    for doc_id in doc_ids:
        found = statuses.get(doc_id, set())
        out[doc_id] = overall_status(
            [SignatureCheck(field_name="", status=st) for st in found], broken=BROKEN in found
        )
    return out


def signed_shas(archive: Archive) -> list[str]:
    """Every file with stored signature rows (for `fixity --signatures`)."""
    _ensure_table(archive)
    with archive.session() as s:
        return list(s.scalars(select(FileSignature.sha256).distinct()))


def document_signing_date(archive: Archive, doc_id: int) -> dt.date | None:
    """The day of the document's first sound signature (Vietnam time), or None: evidence for
    its date issued (ngay_ban_hanh)."""
    checks = [c for _, found in document_signatures(archive, doc_id) for c in found.signatures]
    return earliest_signing_date(checks)
