"""Long work started from the server, each run as a real `sohoa` process of its own.

A batch's ingest, a reindex, an index check or a fixity check can take hours, longer than a
request and longer than the server process may live. Each job is the very command a person
would type (`sohoa ingest FOLDER --json`, `sohoa reindex --verify --json`, ...), run by a
small keeper process (`python -m pipeline.jobs DIR`) in a session of its own, so a server that
restarts or crashes does not take it down. Its state lives beside the archive in
`<archive>/jobs/<id>/`: what was asked (job.json), the command's output (out.json, err.txt)
and how it ended (end.json).

While the keeper or the command lives, both hold an exclusive lock on the job's `lock` file
(one open file shared across the processes), so "still running" is known without trusting a
process id: no lock holder and no end record means the job was interrupted (the machine
rebooted, someone killed it). An interrupted ingest is resumed by starting the batch again:
ingest stores only what is not stored yet, as the CLI's does.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from archive_store.db import Archive
from sohoa.errors import ExitCode, NotFound, SohoaError
from sohoa.i18n import t

KINDS = ("ingest", "reindex", "verify", "fixity")
"""What a job may run: a batch, an index rebuild, an index check, a fixity check."""
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
_ERR_TAIL = 2000
"""Characters of a failed command's error output kept in its report."""


class JobRefused(SohoaError):
    exit_code = ExitCode.usage


@dataclass(frozen=True)
class Job:
    """A background job as its files say now."""

    id: str
    kind: str
    who: str
    """The user who started it."""
    started_at: dt.datetime
    state: str
    """running, done (the command ended with 0, or 3: some scans failed, the rest stored),
    failed (another exit code) or interrupted (ended without an end record)."""
    folder: str | None = None
    """For an ingest: the folder relative to the scan root, as the clerk picked it."""
    real_folder: str | None = None
    """For an ingest: the folder's real path (the batch is known by it in the store)."""
    exit_code: int | None = None
    finished_at: dt.datetime | None = None
    result: dict | None = None
    """The command's --json output, once it ended."""
    error: str | None = None
    """The end of the command's error output when it failed."""

    @property
    def running(self) -> bool:
        return self.state == "running"

    def as_json(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "who": self.who, "state": self.state,
            "started_at": _iso(self.started_at), "finished_at": _iso(self.finished_at),
            "folder": self.folder, "exit_code": self.exit_code, "result": self.result,
            "error": self.error,
        }  # fmt: skip


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def jobs_dir(archive: Archive) -> Path:
    return archive.root / "jobs"


def _command() -> list[str]:
    """The `sohoa` program of this installation (beside this Python), else the module."""
    beside = Path(sys.executable).parent / "sohoa"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("sohoa")
    return [found] if found else [sys.executable, "-m", "pipeline.cli"]


def _argv(archive: Archive, kind: str, folder: Path | None, workers: int | None) -> list[str]:
    if kind == "ingest":
        assert folder is not None
        extra = ["--workers", str(workers)] if workers else []
        return ["ingest", str(folder), *extra, "--json", "--archive", str(archive.root)]
    args = {"reindex": ["reindex"], "verify": ["reindex", "--verify"], "fixity": ["fixity"]}[kind]
    return [*args, "--json", "--archive", str(archive.root)]


def start(
    archive: Archive,
    kind: str,
    who: str,
    *,
    folder: Path | None = None,
    rel_folder: str | None = None,
    workers: int | None = None,
) -> Job:
    """Start a job, or hand back the one of the same kind (and folder) still running.

    The caller has checked `folder` (for an ingest: pipeline.scan_root.check_batch_folder).
    """
    if kind not in KINDS:
        raise JobRefused(vi=f"Không có loại việc {kind!r}.", en=f"No job kind {kind!r}.")
    real = str(folder) if folder is not None else None
    for other in list_jobs(archive, kind=kind):
        if other.running and other.real_folder == real:
            return other
    now = dt.datetime.now(dt.UTC)
    job_id = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    home = jobs_dir(archive) / job_id
    home.mkdir(parents=True)
    spec = {
        "kind": kind, "who": who, "started_at": _iso(now), "folder": rel_folder,
        "real_folder": real, "argv": [*_command(), *_argv(archive, kind, folder, workers)],
    }  # fmt: skip
    _write(home / "job.json", spec)
    # The lock is taken here and handed down, so the job reads as running from this moment.
    lock = open(home / "lock", "w")  # noqa: SIM115 - closed below, kept open by the keeper
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        keeper = subprocess.Popen(
            [sys.executable, "-m", "pipeline.jobs", str(home), str(lock.fileno())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(lock.fileno(),), start_new_session=True, cwd=archive.root,
        )  # fmt: skip
    finally:
        lock.close()
    (home / "keeper.pid").write_text(f"{keeper.pid}\n")  # its process group: the job's processes
    # Reaped here once it ends (no zombie left behind while the server lives).
    threading.Thread(target=keeper.wait, name=f"sohoa-job-{job_id}", daemon=True).start()
    return job(archive, job_id)


def _write(path: Path, obj: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(obj, out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _held(lock_path: Path) -> bool:
    try:
        with open(lock_path, "a") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
            return False
    except OSError:
        return False


def _parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def job(archive: Archive, job_id: str) -> Job:
    """The job with this id as its files say now (404 for an unknown or malformed id)."""
    home = jobs_dir(archive) / job_id
    try:
        if not _ID.match(job_id):
            raise FileNotFoundError(job_id)
        spec = json.loads((home / "job.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(vi=f"Không có việc {job_id!r}.", en=f"No job {job_id!r}.") from None
    end: dict | None = None
    try:
        end = json.loads((home / "end.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        end = None
    result = error = None
    if end is None:
        state = "running" if _held(home / "lock") else "interrupted"
    else:
        state = "done" if end["exit_code"] in (0, int(ExitCode.input_failed)) else "failed"
    if end is not None:
        try:
            result = json.loads((home / "out.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = None
        if state == "failed" or result is None:
            try:
                text = (home / "err.txt").read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            error = text.strip()[-_ERR_TAIL:] or None
    return Job(
        id=job_id, kind=spec["kind"], who=spec["who"],
        started_at=_parse_time(spec["started_at"]) or dt.datetime.now(dt.UTC), state=state,
        folder=spec.get("folder"), real_folder=spec.get("real_folder"),
        exit_code=end["exit_code"] if end else None,
        finished_at=_parse_time(end["finished_at"]) if end else None,
        result=result, error=error,
    )  # fmt: skip


def list_jobs(archive: Archive, kind: str | None = None, limit: int = 100) -> list[Job]:
    """Jobs, newest first (at most `limit`), of one kind or all."""
    try:
        ids = sorted((p.name for p in jobs_dir(archive).iterdir() if _ID.match(p.name)),
                     reverse=True)  # fmt: skip
    except FileNotFoundError:
        return []
    out = []
    for job_id in ids:
        try:
            found = job(archive, job_id)
        except NotFound:
            continue  # being created right now
        if kind is None or found.kind == kind:
            out.append(found)
            if len(out) >= limit:
                break
    return out


def state_label(job: Job) -> str:
    """The job's state in the reader's language."""
    return {
        "running": t("đang chạy", "running"),
        "done": t("xong", "done"),
        "failed": t("lỗi", "failed"),
        "interrupted": t("bị ngắt, chạy lại để tiếp tục", "interrupted, start again to resume"),
    }[job.state]


def _keep(home: Path, lock_fd: int) -> int:
    """The keeper: run the job's command, then write how it ended."""
    spec = json.loads((home / "job.json").read_text(encoding="utf-8"))
    with open(home / "out.json", "wb") as out, open(home / "err.txt", "wb") as err:
        try:
            code = subprocess.call(
                spec["argv"], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                pass_fds=(lock_fd,),
            )  # fmt: skip
        except OSError as exc:
            err.write(f"{exc}\n".encode())
            code = int(ExitCode.internal)
    finished = dt.datetime.now(dt.UTC)
    _write(home / "end.json", {"exit_code": code, "finished_at": _iso(finished)})
    return code


if __name__ == "__main__":
    sys.exit(_keep(Path(sys.argv[1]), int(sys.argv[2])))
