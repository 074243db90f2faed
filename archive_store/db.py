"""Opening the archive: its folder, the database (SQLite WAL or PostgreSQL) and the blob store."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exists, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archive_store.blobs import BlobStore
from archive_store.models import SCHEMA_VERSION, Base, Document, DocumentPage, Meta, Page
from sohoa.errors import ArchiveError


def default_archive_dir() -> Path:
    """$SOHOA_ARCHIVE, else ./kho."""
    return Path(os.environ.get("SOHOA_ARCHIVE") or "kho")


class Archive:
    """One archive: database, blob store and index folder under a root directory.

    The database is SQLite in WAL mode at <root>/archive.db, or the PostgreSQL server named by
    SOHOA_DB_URL (or `db_url`), so that several machines can share one store.
    """

    def __init__(self, root: Path, *, db_url: str | None = None, create: bool = True) -> None:
        self.root = root.resolve()
        if not create and not (self.root / "blobs").is_dir():
            raise ArchiveError(
                vi=f"Chưa có kho lưu trữ ở {self.root}. Chạy `sohoa ingest THƯ_MỤC_QUÉT` trước, "
                "hoặc chỉ đúng kho bằng --archive.",
                en=f"No archive at {self.root}. Run `sohoa ingest BATCH_DIR` first, "
                "or point to it with --archive.",
            )
        try:
            (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(
                vi=f"Không tạo được thư mục kho {self.root}: {exc.strerror}.",
                en=f"Cannot create the archive folder {self.root}: {exc.strerror}.",
            ) from exc
        self.blobs = BlobStore(self.root / "blobs")
        self.index_dir = self.root / "index"
        self.db_url = (
            db_url or os.environ.get("SOHOA_DB_URL") or f"sqlite:///{self.root}/archive.db"
        )
        self.engine = _make_engine(self.db_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(sohoa_read=True)
        self._sqlite = self.engine.url.get_backend_name() == "sqlite"
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        _ensure_schema(self.engine, self.db_url)

    def __repr__(self) -> str:
        return f"Archive(root={str(self.root)!r}, db={self.engine.url.render_as_string()!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed as one transaction when the block ends.

        On SQLite the transaction takes the write lock when it begins (BEGIN IMMEDIATE), so two
        processes writing at once wait for each other instead of one failing with "database is
        locked" when it turns from reading to writing.
        """
        with self._open(self._sessions) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads: it never waits for a writer (SQLite WAL, PostgreSQL)."""
        with self._open(self._read_sessions) as session:
            yield session

    @contextmanager
    def raw_reads(self) -> Iterator[RawReads]:
        """A read-only transaction on the driver's own connection, for the server's few small
        reads on every request (who is asking, what they may see), where SQLAlchemy's own
        work per statement costs ten times the statement. The SQL is the plain kind both
        databases read; `RawReads` writes the driver's placeholders."""
        pooled = self.engine.raw_connection()
        try:
            cursor = pooled.cursor()
            try:
                if self._sqlite:
                    cursor.execute("BEGIN")  # one snapshot for every statement (WAL)
                yield RawReads(cursor, self._sqlite)
            finally:
                pooled.rollback()
                cursor.close()
        except self.engine.dialect.loaded_dbapi.OperationalError as exc:
            raise self._failed(OperationalError(None, None, exc)) from exc
        finally:
            pooled.close()

    @contextmanager
    def _open(self, sessions: sessionmaker[Session]) -> Iterator[Session]:
        with sessions() as session:
            try:
                yield session
                session.commit()
            except OperationalError as exc:
                session.rollback()
                raise self._failed(exc) from exc
            except BaseException:
                session.rollback()
                raise

    def _failed(self, exc: OperationalError) -> ArchiveError:
        """A database that cannot be written (disk full, server gone) as a clerk can act on it;
        what was committed before is kept, so running the command again resumes."""
        where = self.engine.url.render_as_string(hide_password=True)
        if _locked(exc):
            return _busy(where)
        if "full" in str(exc.orig) or "No space left" in str(exc.orig):
            return ArchiveError(
                vi=f"Hết dung lượng đĩa khi ghi cơ sở dữ liệu {where}. Giải phóng chỗ trống rồi "
                "chạy lại lệnh; các trang đã lưu được giữ nguyên và sẽ được bỏ qua.",
                en=f"Disk full while writing the database {where}. Free some space and run the "
                "command again; pages already stored are kept and skipped.",
            )
        if self.engine.url.get_backend_name() == "sqlite":
            return ArchiveError(
                vi=f"Lỗi cơ sở dữ liệu {where}: {exc.orig}. Kiểm tra ổ đĩa và quyền ghi thư mục "
                "kho rồi chạy lại lệnh; các trang đã lưu được giữ nguyên.",
                en=f"Database error on {where}: {exc.orig}. Check the drive and write permission "
                "on the archive folder and run the command again; pages already stored are kept.",
            )
        return ArchiveError(
            vi=f"Lỗi cơ sở dữ liệu {where}: {exc.orig}. Kiểm tra máy chủ PostgreSQL hoặc ổ đĩa "
            "rồi chạy lại lệnh; các trang đã lưu được giữ nguyên.",
            en=f"Database error on {where}: {exc.orig}. Check the PostgreSQL server or the drive "
            "and run the command again; pages already stored are kept.",
        )

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RawReads:
    """Statements on a driver cursor: `?` placeholders, `in_(n)` for a list of n values;
    datetimes come back as datetimes (SQLite keeps them as text) via `when`."""

    def __init__(self, cursor: Any, sqlite: bool) -> None:
        self._cursor, self._sqlite = cursor, sqlite

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(sql if self._sqlite else sql.replace("?", "%s"), tuple(params))
        return list(self._cursor.fetchall())

    @staticmethod
    def in_(n: int) -> str:
        return "(" + ",".join("?" * n) + ")"

    @staticmethod
    def when(value: Any) -> dt.datetime:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


SQLITE_WAIT = 60.0
"""Seconds a SQLite connection waits for another process's write transaction to end."""


def _locked(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig) or "database table is locked" in str(exc.orig)


def _busy(where: str) -> ArchiveError:
    return ArchiveError(
        vi=f"Cơ sở dữ liệu {where} bị một tiến trình sohoa khác giữ quá {SQLITE_WAIT:.0f} giây. "
        "Chờ lệnh kia xong rồi chạy lại; những gì đã lưu được giữ nguyên.",
        en=f"The database {where} was held by another sohoa process for over "
        f"{SQLITE_WAIT:.0f} s. Wait for that command to end and run again; what was stored is "
        "kept.",
    )


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # The server's handler threads (up to 40) each hold a connection while they answer;
        # a pool of 5 would close the rest after each request and open them again, running
        # the pragmas below every time.
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_WAIT}, pool_size=16, max_overflow=32
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Transactions are begun by _sqlite_begin below, not by the driver.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # WAL lets searches read while ingest writes; FULL sync so a committed page
            # survives a power cut, not only a killed process.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A writer takes the lock up front, waiting (busy timeout) for the other writer: a
            # deferred transaction that reads first cannot wait when it then writes.
            read = conn.get_execution_options().get("sohoa_read", False)
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _ensure_schema(engine: Engine, url: str) -> None:
    safe_url = engine.url.render_as_string(hide_password=True)
    deadline = time.monotonic() + SQLITE_WAIT
    while True:
        try:
            _check_schema(engine, safe_url)
            return
        except OperationalError as exc:
            # Two commands opening a new SQLite archive at once: the second waits its turn.
            if not _locked(exc) or time.monotonic() > deadline:
                raise _cannot_open(engine, safe_url, exc) from exc
            time.sleep(0.2)
        except SQLAlchemyError as exc:
            raise ArchiveError(
                vi=f"Lỗi cơ sở dữ liệu {safe_url}: {exc}.",
                en=f"Database error on {safe_url}: {exc}.",
            ) from exc


def _cannot_open(engine: Engine, safe_url: str, exc: OperationalError) -> ArchiveError:
    if _locked(exc):
        return _busy(safe_url)
    if engine.url.get_backend_name() == "sqlite":
        return ArchiveError(
            vi=f"Không mở được cơ sở dữ liệu {safe_url}: {exc.orig}. Kiểm tra ổ đĩa và quyền "
            "ghi thư mục kho.",
            en=f"Cannot open the database {safe_url}: {exc.orig}. Check the drive and write "
            "permission on the archive folder.",
        )
    return ArchiveError(
        vi=f"Không mở được cơ sở dữ liệu {safe_url}: {exc.orig}. Kiểm tra máy chủ "
        "PostgreSQL đang chạy và SOHOA_DB_URL đúng.",
        en=f"Cannot open the database {safe_url}: {exc.orig}. Check that the PostgreSQL "
        "server is running and SOHOA_DB_URL is right.",
    )


def _check_schema(engine: Engine, safe_url: str) -> None:
    """Create missing tables, record or upgrade the schema version."""
    _create_tables(engine)
    with Session(engine) as session:
        # Locked (PostgreSQL) or begun IMMEDIATE (SQLite): one process upgrades, the others wait.
        row = session.get(Meta, "schema_version", with_for_update=True)
        if row is None:
            session.add(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()  # another process wrote it first
        elif int(row.value) < SCHEMA_VERSION:
            _upgrade(session, row)
        elif int(row.value) > SCHEMA_VERSION:
            raise ArchiveError(
                vi=f"Kho {safe_url} được tạo bởi phiên bản sohoa mới hơn "
                f"(lược đồ {row.value}). Hãy cập nhật sohoa.",
                en=f"The archive {safe_url} was written by a newer sohoa "
                f"(schema {row.value}). Upgrade sohoa.",
            )


def _upgrade(session: Session, row: Meta) -> None:
    """Bring an archive written by an older sohoa up to this schema, in one transaction."""
    version = int(row.value)
    if version == 1:
        # Version 1 kept a document as a page range of one file: list those pages.
        pages = (
            select(
                Document.id,
                Page.source_page - Document.first_page + 1,
                Page.sha256,
                Page.source_page,
                Document.source_path,
            )
            .join(
                Page,
                (Page.sha256 == Document.sha256)
                & (Page.source_page >= Document.first_page)
                & (Page.source_page <= Document.last_page),
            )
            .where(~exists().where(DocumentPage.document_id == Document.id))
        )
        session.execute(
            insert(DocumentPage).from_select(
                ["document_id", "ordinal", "sha256", "source_page", "source_path"], pages
            )
        )
    if version <= 2:
        # The outbox table is new (created above); the columns are added to existing tables.
        _add_column(session, "source_file", "mtime_ns", "BIGINT")
        _add_column(session, "batch", "cut_key", "VARCHAR(64)")
    row.value = str(SCHEMA_VERSION)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another process upgraded it at the same moment


def _add_column(session: Session, table: str, column: str, sql_type: str) -> None:
    have = {c["name"] for c in inspect(session.connection()).get_columns(table)}
    if column not in have:
        session.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


def _create_tables(engine: Engine) -> None:
    """Create missing tables; tolerate another process creating them at the same moment."""
    import archive_store.signatures  # noqa: F401  (its table, new in archives of any version)

    for attempt in range(10):
        try:
            Base.metadata.create_all(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            if "already exists" not in str(exc) and "duplicate" not in str(exc).lower():
                raise
            if attempt == 9:
                raise
            time.sleep(0.1 * (attempt + 1))


def schema_version(archive: Archive) -> int:
    with archive.reading() as session:
        return int(session.scalar(select(Meta.value).where(Meta.key == "schema_version")) or 0)
