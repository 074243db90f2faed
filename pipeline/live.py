"""Batches as they run: the store's progress with the speed and time left of their job.

What is stored and failed comes from the store (pipeline.batches), so it is right whoever runs
the batch (the server's job, `sohoa ingest` at a terminal, `sohoa watch`); the speed is the
pages the batch stored since its job started, per minute of the job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from archive_store import store
from archive_store.db import Archive
from archive_store.models import Page
from pipeline import jobs
from pipeline.batches import BatchProgress, batch_progress
from sohoa.i18n import t


@dataclass(frozen=True)
class LiveBatch:
    """One batch (or a job whose batch is not registered yet) with its speed."""

    name: str
    progress: BatchProgress | None
    """None while the job's first steps run (before the batch is in the store)."""
    job: jobs.Job | None
    """The newest server job of the batch's folder, if it was started from the server."""
    pages_per_minute: float | None
    seconds_left: float | None

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def as_json(self) -> dict:
        p = self.progress
        return {
            "batch_id": p.id if p else None,
            "name": self.name,
            "running": self.running,
            "pages_total": p.pages_total if p else 0,
            "pages_stored": p.pages_stored if p else 0,
            "pages_failed": len(p.failures) if p else 0,
            "documents": p.documents if p else 0,
            "done": p.done if p else 0.0,
            "pages_per_minute": None
            if self.pages_per_minute is None
            else round(self.pages_per_minute, 1),
            "seconds_left": None if self.seconds_left is None else round(self.seconds_left),
            "time_left": clock(self.seconds_left),
            "failures": p.as_json()["failures"] if p else [],
            "job": self.job.as_json() if self.job else None,
            "state": self.job.state if self.job else ("done" if p and p.done >= 1 else "stored"),
        }


def clock(seconds: float | None) -> str | None:
    """h:mm:ss or m:ss, as the terminal's progress bar writes it."""
    if seconds is None:
        return None
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def _stored_since(archive: Archive, shas: set[str], since: dt.datetime) -> int:
    if not shas:
        return 0
    with archive.reading() as s:
        count = 0
        ordered = sorted(shas)
        for i in range(0, len(ordered), store.IN_CHUNK):
            count += int(
                s.scalar(
                    select(func.count(Page.id)).where(
                        Page.sha256.in_(ordered[i : i + store.IN_CHUNK]), Page.created_at >= since
                    )
                )
                or 0
            )
        return count


def _speed(
    archive: Archive, batch_id: int, p: BatchProgress, job: jobs.Job
) -> tuple[float | None, float | None]:
    end = job.finished_at or dt.datetime.now(dt.UTC)
    minutes = (end - job.started_at).total_seconds() / 60
    if minutes <= 0:
        return None, None
    shas = {sha for _, sha, _ in store.batch_files(archive, batch_id)}
    # SQLite hands datetimes back without a zone; they are written in UTC.
    since = job.started_at
    if archive.engine.dialect.name == "sqlite":
        since = since.replace(tzinfo=None)
    rate = _stored_since(archive, shas, since) / minutes
    if not job.running:
        return rate, None
    left = max(0, p.pages_total - p.pages_stored - len(p.failures))
    return rate, (left / rate * 60 if rate > 0 else None)


def live_batches(archive: Archive, limit: int = 50) -> list[LiveBatch]:
    """The batches being run, then the others newest first (at most `limit` in all), each
    with its newest server job; a job whose batch is not registered yet comes first."""
    newest: dict[str, jobs.Job] = {}
    for found in jobs.list_jobs(archive, kind="ingest", limit=200):
        if found.real_folder and found.real_folder not in newest:
            newest[found.real_folder] = found
    out: list[LiveBatch] = []
    known = store.batches(archive)
    paths = {path for _, path, _ in known}
    for folder, waiting in newest.items():
        if folder not in paths:
            name = waiting.folder or folder.rsplit("/", 1)[-1]
            out.append(LiveBatch(name, None, waiting, None, None))

    def idle(path: str) -> bool:
        job = newest.get(path)
        return not (job and job.running)

    ordered = sorted(reversed(known), key=lambda b: idle(b[1]))  # stable: newest first within
    for batch_id, path, _ in ordered[: max(0, limit - len(out))]:
        p = batch_progress(archive, batch_id)
        job = newest.get(path)
        rate, left = _speed(archive, batch_id, p, job) if job else (None, None)
        out.append(LiveBatch(p.name, p, job, rate, left))
    return out


def state_label(item: LiveBatch) -> str:
    if item.job is not None:
        return jobs.state_label(item.job)
    return t("đã lưu", "stored")
