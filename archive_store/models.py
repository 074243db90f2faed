"""SQLAlchemy 2 models of the archive: batches, source files, dossiers, documents, pages."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SCHEMA_VERSION = 3
"""1: a document was a page range of one file; 2: its pages are listed (DocumentPage), so a
document can run across the page images of a folder; 3: the index outbox (IndexJob), and what
lets a re-run skip unchanged work (SourceFile.mtime_ns, Batch.cut_key)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dt.datetime: DateTime(timezone=True)}


class Meta(Base):
    """Key/value facts about the store itself (schema version)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Batch(Base):
    """A scan batch: one folder a clerk ingested (usually a box or a dossier)."""

    __tablename__ = "batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    """Absolute path of the batch folder; running the same folder again resumes this batch."""
    name: Mapped[str] = mapped_column(String(256))
    manifest: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    cut_key: Mapped[str | None] = mapped_column(String(64))
    """What the last complete cut of the batch was made from (manifest, stored pages, the
    extraction code): a re-run that finds the same key has nothing to cut again."""
    files: Mapped[list[SourceFile]] = relationship(back_populates="batch")


class SourceFile(Base):
    """A scanned file as delivered, kept byte for byte in the blob store under its SHA-256."""

    __tablename__ = "source_file"
    __table_args__ = (UniqueConstraint("batch_id", "rel_path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True)
    rel_path: Mapped[str] = mapped_column(String(1024))
    """Path inside the batch folder, as the clerk sees it."""
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    """tiff, jpeg, png or pdf (from the file's bytes, not its name)."""
    pages: Mapped[int] = mapped_column(Integer)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    """The file's modification time when it was hashed: a re-run trusts the stored hash while
    size and time are unchanged, instead of reading the whole scan again."""
    batch: Mapped[Batch] = relationship(back_populates="files")


class Dossier(Base):
    """Hồ sơ: an archival file (dossier) with its code and title, usually from the manifest."""

    __tablename__ = "dossier"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    """Fonds, catalogue, box, retention, access regime... as given by the manifest."""


class Page(Base):
    """One scanned page and what its single OCR run gave.

    Keyed by the source file's content hash and the page within it, so a re-run or a duplicate
    scan never stores a page twice.
    """

    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("sha256", "source_page"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source_page: Mapped[int] = mapped_column(Integer)
    """1-based page (frame) within the scanned file."""
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[bytes] = mapped_column(LargeBinary)
    """Word boxes and confidences, compressed columns (archive_store.words)."""
    mean_confidence: Mapped[float] = mapped_column(Float)
    needs_review: Mapped[bool] = mapped_column(Boolean)
    review_reasons: Mapped[list] = mapped_column(JSON, default=list)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[int] = mapped_column(Integer)
    cleanup: Mapped[dict] = mapped_column(JSON)
    engine: Mapped[str] = mapped_column(String(128))
    ocr_seconds: Mapped[float] = mapped_column(Float)
    cleanup_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    """Loading and cleanup time before the OCR run (for the benchmark's cleanup share)."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Document(Base):
    """Văn bản: one document, a run of pages of one scanned file or of a folder's page images.

    Identified by its first page (the file's content hash and the page within it), so ids and
    the corrections attached to them stay put when a dossier is cut again.
    """

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("sha256", "first_page"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    """Content hash of the scanned file the document's first page comes from."""
    source_path: Mapped[str] = mapped_column(String(1024))
    """That file's path in the batch."""
    first_page: Mapped[int] = mapped_column(Integer)
    """The first page (1-based) within that file."""
    last_page: Mapped[int] = mapped_column(Integer)
    """The last page (1-based) within the file it lies in (see `pages` for every page)."""
    title: Mapped[str] = mapped_column(Text)
    extracted: Mapped[dict] = mapped_column(JSON, default=dict)
    """Metadata as extracted: field -> {value, confidence, page, region}."""
    access_level: Mapped[int] = mapped_column(Integer, default=0)
    """sohoa.access.AccessLevel of the document (độ mật, manifest or a person's correction)."""
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    pages: Mapped[list[DocumentPage]] = relationship(
        order_by="DocumentPage.ordinal", cascade="all, delete-orphan"
    )
    corrections: Mapped[list[Correction]] = relationship(
        back_populates="document", order_by="Correction.id"
    )


class DocumentPage(Base):
    """The pages of a document in reading order, each named by its place in a scanned file."""

    __tablename__ = "document_page"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal"),
        Index("ix_document_page_key", "sha256", "source_page"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    """1-based page within the document."""
    sha256: Mapped[str] = mapped_column(String(64))
    source_page: Mapped[int] = mapped_column(Integer)
    """1-based page within the scanned file."""
    source_path: Mapped[str] = mapped_column(String(1024))
    """The scanned file's path in the batch."""


class Correction(Base):
    """A metadata value set by a person; wins over extraction and survives re-extraction."""

    __tablename__ = "correction"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    document: Mapped[Document] = relationship(back_populates="corrections")


class Failure(Base):
    """An input that could not be stored: the file, the page, and why (both languages)."""

    __tablename__ = "failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True)
    rel_path: Mapped[str] = mapped_column(String(1024))
    source_page: Mapped[int | None] = mapped_column(Integer)
    reason_vi: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    """Set when a later run stored the page after all."""


class IndexJob(Base):
    """The index outbox: a document whose search-index entry must follow a change in the store.

    Written in the same transaction as the change (a document added, re-cut, removed, corrected
    or given another access level), so a change can never be committed without its job. The
    index applies the store's current state of the document (replaced, or deleted when it is
    gone) and then deletes the job; until then, searches exclude the document from anyone the
    store no longer lets see it. No foreign key: the job outlives a removed document.
    """

    __tablename__ = "index_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(16))
    """added, recut, removed, corrected (for `sohoa status`; the index reads the store)."""
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# The server's tables (users, sessions, tokens, audit) live in their own module; imported here
# so that every archive, of any version, gets them when opened.
from archive_store import account_models as _account_models  # noqa: E402, F401
