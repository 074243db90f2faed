"""Backups of an archive: consistent snapshots as BagIt bags kept side by side, verify, restore.

A target folder (one per medium: keep at least two, on independent media) holds backup sets
named `sohoa-<UTC time>`, each a complete BagIt bag (RFC 8493) restorable on its own:

    data/archive.db       SQLite's online backup of the database (or data/archive.pgdump,
                          pg_dump's custom format, for PostgreSQL)
    data/blobs/ab/cd/...  the blob store: originals byte for byte, and derived files
    manifest-sha256.txt   the SHA-256 of every file under data/
    bag-info.txt          when, from where, schema version, database kind, Payload-Oxum

A set is written under `<name>.partial` and renamed only once every file is written and
synced, so a backup killed part way leaves the earlier sets untouched and the partial one
marked as such (restore refuses it). Blobs are content-addressed and never change, so a blob
that the newest complete set already holds is hard-linked from it instead of copied: only
what that set lacks is read and written. The search index is not backed up: it is derived, and
`restore` rebuilds it from the restored store.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bagit
from sqlalchemy.engine import make_url

from archive_store.bag import write_tags
from archive_store.blobs import sha256_file
from archive_store.db import Archive, schema_version
from sohoa.errors import ArchiveError, MissingDependency

PREFIX = "sohoa-"
PARTIAL = ".partial"
_CHUNK = 1 << 20
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BackupReport:
    """What one backup wrote."""

    path: Path
    files: int
    """Files in the set (database and blobs)."""
    copied: int
    """Blobs read and written (new since the newest complete set)."""
    linked: int
    """Blobs hard-linked from the newest complete set."""
    bytes_copied: int
    seconds: float
    corrupt: tuple[str, ...] = ()
    """Blobs of the archive that no longer hash to their name (copied as they are: run
    `sohoa fixity` and restore those originals from an older backup)."""

    def as_json(self) -> dict:
        return {
            "path": str(self.path),
            "files": self.files,
            "copied": self.copied,
            "linked": self.linked,
            "bytes_copied": self.bytes_copied,
            "seconds": round(self.seconds, 2),
            "corrupt": list(self.corrupt),
        }


@dataclass(frozen=True)
class SetCheck:
    """One backup set as `verify` found it."""

    path: Path
    complete: bool
    """False for a set whose backup did not finish (`.partial`)."""
    problems: tuple[str, ...]
    """Files missing, changed or unexpected, each with what is wrong."""

    @property
    def ok(self) -> bool:
        return self.complete and not self.problems

    def as_json(self) -> dict:
        return {
            "path": str(self.path),
            "complete": self.complete,
            "ok": self.ok,
            "problems": list(self.problems),
        }


def backup(archive: Archive, target: Path) -> BackupReport:
    """A new backup set of the archive in `target`, taken while the archive is in use."""
    started = time.monotonic()
    try:
        target.mkdir(parents=True, exist_ok=True)
        name = PREFIX + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        work = target / (name + PARTIAL)
        data = work / "data"
        data.mkdir(parents=True)
        previous = _newest_complete(target)
        lines: list[tuple[str, str, int]] = []  # (sha256, path in the bag, size)
        # The database first: every blob it names was written before it (blobs are only ever
        # added, before the rows that name them), so the blobs copied next cover it.
        db_file = _snapshot_database(archive, data)
        lines.append(
            (sha256_file(db_file), db_file.relative_to(work).as_posix(), db_file.stat().st_size)
        )
        copied = linked = copied_bytes = 0
        corrupt: list[str] = []
        for blob in _blobs(archive.blobs.root):
            rel = blob.relative_to(archive.blobs.root)
            dest = data / "blobs" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            old = previous / "data" / "blobs" / rel if previous else None
            if old is not None and _same(blob, old):
                os.link(old, dest)
                sha, linked = _recorded(previous, rel) or sha256_file(dest), linked + 1
            else:
                sha = _copy(blob, dest)
                copied, copied_bytes = copied + 1, copied_bytes + dest.stat().st_size
                if _HEX.fullmatch(blob.name) and sha != blob.name:
                    corrupt.append(rel.as_posix())
            lines.append((sha, f"data/blobs/{rel.as_posix()}", dest.stat().st_size))
        write_tags(
            work,
            lines,
            {
                "External-Identifier": str(archive.root),
                "Sohoa-Schema-Version": str(schema_version(archive)),
                "Sohoa-Database": archive.engine.url.get_backend_name(),
            },
        )
        # Everything written reaches the disk before the rename: one sync of the file
        # system, where fsyncing each of thousands of blob folders took most of a backup
        # with nothing new.
        os.sync()
        final = target / name
        work.rename(final)
        _fsync_dir(target)
    except OSError as exc:
        raise ArchiveError(
            vi=f"Không ghi được bản sao lưu vào {target}: {exc.strerror or exc}. Kiểm tra ổ đĩa "
            "và chỗ trống rồi chạy lại; các bản sao lưu trước không bị ảnh hưởng.",
            en=f"Cannot write the backup into {target}: {exc.strerror or exc}. Check the drive "
            "and free space and run again; earlier backups are untouched.",
        ) from exc
    return BackupReport(
        final,
        len(lines),
        copied,
        linked,
        copied_bytes,
        time.monotonic() - started,
        tuple(corrupt),
    )


def verify(path: Path) -> list[SetCheck]:
    """Re-hash a backup set, or every set of a target folder, changing nothing."""
    sets = [path] if _is_set(path) else _sets(path)
    if not sets:
        raise ArchiveError(
            vi=f"{path} không chứa bản sao lưu nào của sohoa.",
            en=f"{path} holds no sohoa backup.",
        )
    return [_check(s) for s in sets]


def restore(source: Path, root: Path, db_url: str | None = None) -> tuple[Path, Archive]:
    """Restore a verified backup set (or a target's newest complete one) into a new archive.

    Refuses an incomplete or damaged set, naming the files at fault. Returns the set used and
    the restored archive (its index not yet rebuilt: the caller rebuilds it).
    """
    chosen = source if _is_set(source) else _newest_complete(source)
    if chosen is None:
        raise ArchiveError(
            vi=f"{source} không có bản sao lưu hoàn chỉnh nào để khôi phục.",
            en=f"{source} holds no complete backup to restore.",
        )
    check = _check(chosen)
    if not check.ok:
        why = "; ".join(check.problems[:10]) or "chưa hoàn tất / incomplete"
        raise ArchiveError(
            vi=f"Không khôi phục bản sao lưu {chosen}: {why}. Dùng một bản sao lưu khác "
            "(`sohoa backup --verify THƯ_MỤC`).",
            en=f"Not restoring the backup {chosen}: {why}. Use another backup "
            "(`sohoa backup --verify DIR`).",
        )
    if (root / "archive.db").exists() or any((root / "blobs").glob("*")):
        raise ArchiveError(
            vi=f"{root} đã có một kho lưu trữ: khôi phục vào một thư mục mới.",
            en=f"{root} already holds an archive: restore into a new folder.",
        )
    data = chosen / "data"
    try:
        for blob in _blobs(data / "blobs"):
            dest = root / "blobs" / blob.relative_to(data / "blobs")
            dest.parent.mkdir(parents=True, exist_ok=True)
            _copy(blob, dest)
        dump = data / "archive.pgdump"
        if dump.exists():
            _pg_restore(dump, db_url)
        else:
            if db_url and not db_url.startswith("sqlite"):
                raise ArchiveError(
                    vi="Bản sao lưu này là SQLite: khôi phục không kèm SOHOA_DB_URL.",
                    en="This backup is of SQLite: restore it without SOHOA_DB_URL.",
                )
            _copy(data / "archive.db", root / "archive.db")
            db_url = None
        os.sync()  # the restored files on disk before the archive is used
    except OSError as exc:
        raise ArchiveError(
            vi=f"Không ghi được vào {root}: {exc.strerror or exc}.",
            en=f"Cannot write into {root}: {exc.strerror or exc}.",
        ) from exc
    return chosen, Archive(root, db_url=db_url)


def _snapshot_database(archive: Archive, data: Path) -> Path:
    url = archive.engine.url
    if url.get_backend_name() == "sqlite":
        dest = data / "archive.db"
        source = sqlite3.connect(str(url.database))
        copy = sqlite3.connect(dest)
        try:
            with copy:
                source.backup(copy)  # SQLite's online backup: a consistent snapshot
        finally:
            copy.close()
            source.close()
        return dest
    dest = data / "archive.pgdump"
    _run_pg("pg_dump", "--format=custom", "--no-owner", f"--file={dest}", *_pg_args(archive.db_url))
    return dest


def _pg_restore(dump: Path, db_url: str | None) -> None:
    if not db_url or db_url.startswith("sqlite"):
        raise ArchiveError(
            vi="Bản sao lưu này là PostgreSQL: đặt SOHOA_DB_URL tới một cơ sở dữ liệu trống.",
            en="This backup is of PostgreSQL: set SOHOA_DB_URL to an empty database.",
        )
    _run_pg(
        "pg_restore", "--no-owner", "--exit-on-error", *_pg_args(db_url, schema=False), str(dump)
    )


def _pg_args(db_url: str, *, schema: bool = True) -> list[str]:
    """libpq's connection string for a SQLAlchemy URL; a search_path option (one schema of a
    shared database) becomes --schema (for pg_dump: the dump then recreates that schema)."""
    url = make_url(db_url)
    plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    args = [f"--dbname={plain}"]
    match = re.search(r"search_path=(\w+)", str(url.query.get("options", "")))
    if match and schema:
        args.append(f"--schema={match.group(1)}")
    return args


def _run_pg(program: str, *args: str) -> None:
    if shutil.which(program) is None:
        raise MissingDependency(
            vi=f"Cần chương trình {program}: apt-get install postgresql-client.",
            en=f"{program} is needed: apt-get install postgresql-client.",
        )
    done = subprocess.run([program, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise ArchiveError(
            vi=f"{program} thất bại: {done.stderr.strip()[:500]}",
            en=f"{program} failed: {done.stderr.strip()[:500]}",
        )


def _same(blob: Path, old: Path) -> bool:
    """Whether the earlier set's copy is this file: an original is named by its hash; a
    derived file is written once, so its size and time (kept by the copy) tell."""
    try:
        was = old.stat()
    except OSError:
        return False
    if _HEX.fullmatch(blob.name):
        return True
    now = blob.stat()
    return (now.st_size, now.st_mtime_ns) == (was.st_size, was.st_mtime_ns)


@functools.cache
def _manifest(bag: Path) -> dict[str, str]:
    """An earlier set's manifest: path in the bag -> SHA-256."""
    out = {}
    with (bag / "manifest-sha256.txt").open(encoding="utf-8") as f:
        for line in f:
            sha, _, rel = line.rstrip("\n").partition("  ")
            out[rel] = sha
    return out


def _recorded(previous: Path | None, rel: Path) -> str | None:
    """The SHA-256 the earlier set recorded for a blob it holds (so it is not read again)."""
    if previous is None:
        return None
    return _manifest(previous).get(f"data/blobs/{rel.as_posix()}")


def _blobs(root: Path) -> Iterator[Path]:
    """Every file of a blob store, sorted, less files still being written (.incoming-, .use-)."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path


def _copy(source: Path, dest: Path) -> str:
    """Copy (the caller syncs the file system once at the end); returns the SHA-256 of what
    was read."""
    digest = hashlib.sha256()
    with source.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    stat = source.stat()
    os.utime(dest, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # how the next backup knows it
    return digest.hexdigest()


def _check(path: Path) -> SetCheck:
    if path.name.endswith(PARTIAL):
        return SetCheck(path, False, ("bản sao lưu chưa hoàn tất / the backup did not finish",))
    try:
        bagit.Bag(str(path)).validate(processes=min(4, os.cpu_count() or 1))
    except bagit.BagValidationError as exc:
        details = tuple(str(d) for d in exc.details) or (str(exc.message),)
        return SetCheck(path, True, details)
    except bagit.BagError as exc:
        return SetCheck(path, True, (str(exc),))
    return SetCheck(path, True, ())


def _is_set(path: Path) -> bool:
    """A backup set itself (complete or not), rather than a target folder holding sets."""
    return path.name.startswith(PREFIX) and path.is_dir()


def _sets(target: Path) -> list[Path]:
    if not target.is_dir():
        return []
    return sorted(p for p in target.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


def _newest_complete(target: Path) -> Path | None:
    done = [p for p in _sets(target) if not p.name.endswith(PARTIAL)]
    return done[-1] if done else None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
