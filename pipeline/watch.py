"""Watching a scanner station's folder: each new batch folder is ingested once it is complete.

A batch folder under the scan root is ready when the scanning software has written its marker
file into it (`--marker`), or, without a marker, once nothing in it has changed for `settle`
seconds (no file added, grown or touched). After each ingest the watcher records what the
folder held when the ingest began (`<archive>/watch-state.json`), so a restarted watcher
ingests nothing twice, and a folder that changes afterwards (pages added, a page rescanned,
even during the ingest) is ingested again, which stores only what is new.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive_store.db import Archive
from pipeline.run import IngestOptions, ingest
from sohoa.errors import SohoaError

log = logging.getLogger("sohoa.watch")


@dataclass(frozen=True)
class Snapshot:
    """What a folder holds, as far as knowing whether it is still being written."""

    files: int
    size: int
    newest: float
    """Latest modification time of a file or folder in it (seconds since the epoch)."""


def snapshot(folder: Path) -> Snapshot:
    files = size = 0
    newest = folder.stat().st_mtime
    for path in folder.rglob("*"):
        try:
            stat = path.stat()
        except OSError:  # removed while looked at: still being written
            return Snapshot(-1, -1, time.time())
        newest = max(newest, stat.st_mtime)
        if path.is_file():
            files, size = files + 1, size + stat.st_size
    return Snapshot(files, size, newest)


class Watcher:
    """One pass at a time over the scan root's batch folders (its immediate subfolders)."""

    def __init__(
        self,
        archive: Archive,
        root: Path,
        options: IngestOptions,
        *,
        settle: float = 60.0,
        marker: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settle < 0:
            raise ValueError("--settle must be 0 seconds or more")
        self.archive, self.root, self.options = archive, root, options
        self.settle, self.marker, self.clock = settle, marker, clock
        self._seen: dict[Path, tuple[Snapshot, float]] = {}  # folder -> (snapshot, since)

    def run(self, interval: float, passes: int | None = None) -> None:
        """Pass over the root every `interval` seconds (`passes` times, or until stopped)."""
        done = 0
        while passes is None or done < passes:
            self.scan_once()
            done += 1
            if passes is None or done < passes:
                time.sleep(interval)

    def scan_once(self) -> list[Path]:
        """Ingest every folder that is ready and not ingested since it last changed."""
        ingested: list[Path] = []
        if not self.root.is_dir():
            log.error("scan root %s is not a folder", self.root)
            return ingested
        done = self._state()
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if folder.name.startswith("."):
                continue
            shot = snapshot(folder)
            key = str(folder.resolve())
            if done.get(key) == [shot.files, shot.size, shot.newest]:
                continue  # ingested, and unchanged since
            if not self._ready(folder, shot):
                continue
            ingested.append(folder)
            if self._ingest(folder):
                done[key] = [shot.files, shot.size, shot.newest]
                self._save_state(done)
        return ingested

    def _ready(self, folder: Path, shot: Snapshot) -> bool:
        if self.marker is not None:
            return (folder / self.marker).exists()
        now = self.clock()
        before = self._seen.get(folder)
        if before is None or before[0] != shot:
            self._seen[folder] = (shot, now)
            if before is None:
                log.info("new folder %s: waiting until it stops changing", folder)
            return self.settle == 0 and shot.newest <= now - self.settle
        return now - before[1] >= self.settle and now - shot.newest >= self.settle

    @property
    def _state_file(self) -> Path:
        return self.archive.root / "watch-state.json"

    def _state(self) -> dict[str, list]:
        try:
            return dict(json.loads(self._state_file.read_text()))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error("%s unreadable (%s): folders will be checked again", self._state_file, exc)
            return {}

    def _save_state(self, state: dict[str, list]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.archive.root, prefix=".watch-")
        with os.fdopen(fd, "w") as out:
            json.dump(state, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self._state_file)

    def _ingest(self, folder: Path) -> bool:
        """Ingest the folder; False when the run stopped (it is tried again next pass)."""
        log.info("ingesting %s", folder)
        try:
            report = ingest(self.archive, folder, self.options)
        except SohoaError as exc:
            log.error("%s: %s", folder, exc.message())
            return False
        log.info(
            "%s: %d pages stored, %d already there, %d failed, %d documents",
            folder,
            report.pages_done,
            report.pages_skipped,
            report.pages_failed,
            len(report.documents),
        )
        for failure in report.failures:
            log.warning("%s: %s", folder, failure.reason_vi)
        self._seen.pop(folder, None)
        return True
