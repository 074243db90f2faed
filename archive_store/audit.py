"""The audit trail: who did what, when, from where, with what outcome; hash-chained.

Each record carries the SHA-256 of the one before and its own hash over every field, and the
records are numbered without gaps; the newest number and hash are also kept in `meta`. So a row
edited, deleted or inserted by hand in the database breaks the chain and `sohoa audit verify`
names the first record at fault. Appends are serialized (SQLite: the write lock taken at
BEGIN; PostgreSQL: a transaction-level advisory lock), so several server processes sharing one
store keep one chain.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from archive_store.account_models import AuditRecord
from archive_store.accounts import iso, now, utc
from archive_store.db import Archive
from archive_store.models import Meta

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
_PG_LOCK = 0x50A0A0D1  # the advisory lock number of the audit chain


@dataclass(frozen=True)
class Event:
    """One thing to record: an access, a sign-in, a change, a denial."""

    action: str
    """sign_in, sign_out, search, document, page, page_image, words, pdf, export, correction,
    iiif_manifest, iiif_search, review, batches, user_add, user_set, token_add, token_revoke,
    audit_read, ..."""
    user: str
    outcome: str = "ok"
    """ok, denied (not allowed, answered 404 or 403), failed, throttled."""
    document_id: int | None = None
    client: str = ""
    user_agent: str = ""
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    seq: int
    at: dt.datetime
    user: str
    action: str
    outcome: str
    document_id: int | None
    client: str
    user_agent: str
    detail: dict

    def as_json(self) -> dict:
        return {
            "seq": self.seq, "at": iso(self.at), "user": self.user, "action": self.action,
            "outcome": self.outcome, "document_id": self.document_id, "client": self.client,
            "user_agent": self.user_agent, "detail": self.detail,
        }  # fmt: skip


def _hash(prev: str, seq: int, at: dt.datetime, e: Event | AuditRecord) -> str:
    if isinstance(e, AuditRecord):
        fields = [e.user_name, e.action, e.outcome, e.document_id, e.client, e.user_agent, e.detail]
    else:
        fields = [e.user, e.action, e.outcome, e.document_id, e.client, e.user_agent, e.detail]
    body = json.dumps(
        [prev, seq, utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), *fields],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip
    return hashlib.sha256(body.encode()).hexdigest()


_CHAIN_END = select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
_RECORDS, _META = cast(Table, AuditRecord.__table__), cast(Table, Meta.__table__)
_INSERT = insert(_RECORDS)
_SET_HEAD = update(_META).where(_META.c.key == HEAD_KEY).values(value=bindparam("v"))
_ADD_HEAD = insert(_META).values(key=HEAD_KEY, value=bindparam("v"))


def append_in(s: Session, event: Event) -> int:
    """Append `event` inside the caller's write transaction (so a change and its record commit
    together); returns its number."""
    return append_all_in(s, [event])[0]


def append_all_in(s: Session, events: Sequence[Event]) -> list[int]:
    """Append `events`, in order, inside the caller's write transaction; their numbers.

    The chain's end is read once and the records are written in one statement: a server's
    group of searches then costs one read, one insert and one update, not an ORM flush each
    (Core statements: the ORM's work per statement was most of a group's cost, 1.2 ms of CPU
    for two records, now 0.5 ms).
    """
    if not events:
        return []
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    s.flush()  # records the caller added itself come first
    conn = s.connection()  # Core statements from here: the ORM's work per statement is
    last = conn.execute(_CHAIN_END).first()  # most of a group's cost on a busy server
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    rows, seqs = [], []
    for event in events:
        at = now()
        detail = json.loads(json.dumps(event.detail, ensure_ascii=False, default=str))
        clean = Event(
            event.action[:32], event.user[:64], event.outcome[:16], event.document_id,
            event.client[:64], event.user_agent[:256], detail,
        )  # fmt: skip
        digest = _hash(prev, seq, at, clean)
        rows.append({
            "seq": seq, "at": at, "user_name": clean.user, "action": clean.action,
            "outcome": clean.outcome, "document_id": clean.document_id, "client": clean.client,
            "user_agent": clean.user_agent, "detail": detail, "prev_hash": prev, "hash": digest,
        })  # fmt: skip
        seqs.append(seq)
        seq, prev = seq + 1, digest
    conn.execute(_INSERT, rows)  # one INSERT for the group
    head = f"{seqs[-1]}:{prev}"
    if not conn.execute(_SET_HEAD, {"v": head}).rowcount:
        conn.execute(_ADD_HEAD, {"v": head})
    return seqs


def record(archive: Archive, event: Event) -> int:
    """Append one event in its own transaction."""
    with archive.session() as s:
        return append_in(s, event)


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    ok: bool
    bad_seq: int | None = None
    problem: str = ""
    """What is wrong, in English and Vietnamese ("vi / en")."""

    def as_json(self) -> dict:
        return {"checked": self.checked, "ok": self.ok, "bad_seq": self.bad_seq,
                "problem": self.problem}  # fmt: skip


def verify(archive: Archive, chunk: int = 2000) -> ChainCheck:
    """Walk the whole chain: numbering, each record's link and hash, and the head in meta."""
    prev, expected, checked = GENESIS, 1, 0
    with archive.reading() as s:
        head = s.get(Meta, HEAD_KEY)
        head_value = head.value if head else None
    while True:
        with archive.reading() as s:
            rows = list(
                s.scalars(
                    select(AuditRecord)
                    .where(AuditRecord.seq >= expected)
                    .order_by(AuditRecord.seq)
                    .limit(chunk)
                )
            )
        if not rows:
            break
        for r in rows:
            if r.seq != expected:
                return ChainCheck(checked, False, expected, "record missing / thiếu bản ghi")
            if r.prev_hash != prev:
                return ChainCheck(checked, False, r.seq, "link broken / liên kết bị phá")
            if _hash(prev, r.seq, r.at, r) != r.hash:
                return ChainCheck(checked, False, r.seq, "record changed / bản ghi bị sửa")
            prev, expected, checked = r.hash, expected + 1, checked + 1
    with archive.reading() as s:
        # A record below 1 or a row hidden from the walk above (e.g. seq 0) was added by hand.
        strays = s.scalar(select(AuditRecord.seq).where(AuditRecord.seq < 1).limit(1))
    if strays is not None:
        return ChainCheck(checked, False, strays, "record added / bản ghi bị thêm")
    want = f"{checked}:{prev}" if checked else None
    if head_value != want:
        return ChainCheck(
            checked, False, checked + 1 if checked else None,
            "newest records removed / bản ghi mới nhất bị xóa",
        )  # fmt: skip
    return ChainCheck(checked, True)


def entries(
    archive: Archive,
    *,
    user: str | None = None,
    since: dt.datetime | None = None,
    document_id: int | None = None,
    limit: int = 1000,
) -> Iterator[Entry]:
    """Records matching the filters, newest last (at most `limit`, the newest ones)."""
    with archive.reading() as s:
        q = select(AuditRecord)
        if user is not None:
            q = q.where(AuditRecord.user_name == user)
        if since is not None:
            q = q.where(AuditRecord.at >= since)
        if document_id is not None:
            q = q.where(AuditRecord.document_id == document_id)
        rows = list(s.scalars(q.order_by(AuditRecord.seq.desc()).limit(limit)))
    for r in reversed(rows):
        yield Entry(
            r.seq, utc(r.at), r.user_name, r.action, r.outcome, r.document_id, r.client,
            r.user_agent, dict(r.detail or {}),
        )  # fmt: skip


_STOP: tuple[Event, Future[int]] = (Event("stop", ""), Future())


class Recorder:
    """Appends events for many threads of one process, several per transaction (group commit).

    `record` returns once its event is committed, so nothing is shown before its record is
    durable; events that arrive while one transaction commits go together in the next, which
    keeps a busy server from queueing on the database lock and on one disk flush per event.
    """

    def __init__(self, archive: Archive, most: int = 256) -> None:
        self._archive = archive
        self._most = most
        self._queue: queue.SimpleQueue[tuple[Event, Future[int]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._lock: int | None = None

    def record(self, event: Event) -> int:
        """Append the event; returns its sequence number once it is committed."""
        return self.submit(event).result()

    def submit(self, event: Event) -> Future[int]:
        """Queue the event; the future is done (its sequence number) once it is committed, or
        failed with the reason it could not be. An async caller awaits it without a thread."""
        done: Future[int] = Future()
        self._queue.put((event, done))
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="sohoa-audit", daemon=True
                    )
                    self._thread.start()
        return done

    def close(self) -> None:
        """Stop the writer thread once the events queued before are written."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """On SQLite, the server processes' writers take turns on a file lock before they take
        the database's: one waiting in the kernel is woken the moment the other's commit ends,
        where SQLite's busy handler sleeps 1, 2, 5, 10, ... ms between tries (a busy server's
        second process waited up to 1.4 s, each search waiting with it). PostgreSQL queues
        the writers itself (the advisory lock in append_all_in)."""
        if self._lock is None:
            yield
            return
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def _run(self) -> None:
        if self._archive.engine.url.get_backend_name() == "sqlite":
            try:
                self._lock = os.open(self._archive.root / ".audit.lock", os.O_RDWR | os.O_CREAT)
            except OSError:  # a folder that cannot be written: the database's lock alone
                self._lock = None
        try:
            self._write_batches()
        finally:
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None

    def _write_batches(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._most:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                with self._turn(), self._archive.session() as s:
                    seqs = append_all_in(s, [event for event, _ in batch])
            except BaseException as exc:  # the callers fail closed: nothing shown unrecorded
                for _, done in batch:
                    done.set_exception(exc)
            else:
                for (_, done), seq in zip(batch, seqs, strict=True):
                    done.set_result(seq)
            if stop:
                return


def local_user() -> str:
    """Who runs a command at the archive machine: `local:<OS login>` (the CLI trusts it)."""
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in the environment nor in the passwd file
        return f"local:uid-{os.getuid()}"


def record_local(
    archive: Archive,
    action: str,
    outcome: str = "ok",
    *,
    document_id: int | None = None,
    detail: dict | None = None,
) -> int:
    """A command run at the archive machine, in the server's chain: one record, in its own
    transaction, committed before the command prints what it read."""
    event = Event(action, local_user(), outcome, document_id, client="cli",
                  detail={**(detail or {}), "via": "cli"})  # fmt: skip
    return record(archive, event)
