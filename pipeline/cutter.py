"""Cutting a batch's streams into documents while their pages come in."""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

import extract
from archive_store import store
from archive_store.db import Archive
from extract.header import Blank, BlankReading
from pipeline import documents, handwriting, indexing
from pipeline.discover import PageTask
from pipeline.documents import Cut, Stream, build_documents
from pipeline.handwriting import BlankReadings
from pipeline.manifest import Manifest


class Cutter:
    """Cuts each stream into documents as its pages come in.

    A stream is cut whole once its last page is in. Before that, a long run of page images is
    cut in steps over the pages read in a row so far, storing the documents that the next one
    has closed: they are in the store during the batch and survive a crash. The steps grow with
    the open part (32, 64, 128... pages), so a run without cues costs O(pages) reads, not
    O(pages²). What was cut goes into the search index every INDEX_EVERY seconds, so a long
    batch is searchable as it goes. Streams with nothing left to read are cut at the end too:
    an earlier run may have stopped before cutting them, or the manifest may have changed.
    """

    STEP = 32
    INDEX_EVERY = 60.0
    """Seconds between index updates during a run: documents cut so far become searchable."""

    def __init__(
        self,
        archive: Archive,
        batch_id: int,
        streams: Sequence[Stream],
        manifest: Manifest | None,
        dossier_id: int | None,
        tasks: Sequence[PageTask],
    ) -> None:
        self.archive, self.batch_id, self.streams = archive, batch_id, streams
        self.manifest, self.dossier_id = manifest, dossier_id
        self.refused = 0
        self._where = {
            r.key: (i, k) for i, st in enumerate(streams) for k, r in enumerate(st.pages)
        }
        self._waiting: list[set[int]] = [set() for _ in streams]
        for task in tasks:
            i, k = self._where[task.sha256, task.source_page]
            self._waiting[i].add(k)
        self._in_a_row = [0] * len(streams)  # pages before it are all in
        self._open_at = [0] * len(streams)  # where the document still open starts
        self._tried_at = [0] * len(streams)  # _in_a_row at the last step
        self._whole: set[int] = set()  # streams cut whole in this run
        self._indexed_at = time.monotonic()
        # What the workers read in the blanks of this run's pages, by page, until cut whole.
        self._blanks: dict[tuple[str, int], dict[Blank, BlankReading]] = {}

    def blanks_read(self, task: PageTask, blanks: BlankReadings) -> None:
        """What a worker read in a page's blanks (pipeline.reading), for the cut to use."""
        if blanks:
            self._blanks[task.sha256, task.source_page] = dict(blanks)

    def page_in(self, task: PageTask) -> None:
        """A page was stored, or failed: cut what is due."""
        i, k = self._where[task.sha256, task.source_page]
        waiting = self._waiting[i]
        waiting.discard(k)
        if not waiting:
            self._cut(i, self.streams[i])
            self._whole.add(i)
            for ref in self.streams[i].pages:
                self._blanks.pop(ref.key, None)
            return
        stream, row = self.streams[i], self._in_a_row[i]
        while row < len(stream.pages) and row not in waiting:
            row += 1
        self._in_a_row[i] = row
        # The next step waits for as many new pages as the open part held at the last one.
        step = max(self.STEP, self._tried_at[i] - self._open_at[i])
        if not stream.fixed and row - self._tried_at[i] >= step:
            self._tried_at[i] = row
            part = Stream(stream.name, stream.pages[self._open_at[i] : row])
            cut = self._cut(i, part, closed_only=True)
            if cut.open_at is not None:
                self._open_at[i] += cut.open_at

    def finish(self) -> None:
        """Cut what this run did not cut yet, unless the batch is as its last complete cut
        found it (same manifest, stored pages and extraction code): a re-run with nothing
        new cuts nothing."""
        key = cut_key(self.archive, self.streams, self.manifest)
        if not self._whole and store.batch_cut_key(self.archive, self.batch_id) == key:
            return
        for i, stream in enumerate(self.streams):
            if i not in self._whole:
                self._cut(i, stream)
        store.set_batch_cut_key(self.archive, self.batch_id, key)

    def _cut(self, i: int, stream: Stream, *, closed_only: bool = False) -> Cut:
        cut = build_documents(
            self.archive,
            self.batch_id,
            stream,
            self.manifest,
            self.dossier_id,
            closed_only=closed_only,
            blanks=self._blanks,
        )
        self.refused += cut.refused
        if time.monotonic() - self._indexed_at >= self.INDEX_EVERY:
            # The store's outbox holds what the cut changed; this only makes it searchable
            # sooner. A busy index is not waited for here: the end of the run catches up.
            indexing.sync(self.archive, wait=0.0)
            self._indexed_at = time.monotonic()
        return cut


def cut_key(archive: Archive, streams: Sequence[Stream], manifest: Manifest | None) -> str:
    """A digest of everything a batch's cut depends on: the manifest, the streams' pages and
    which of them are stored, and the code that cuts and extracts."""
    stored = store.stored_pages_of(archive, {r.sha256 for st in streams for r in st.pages})
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(json.dumps(manifest.as_dict() if manifest else None, sort_keys=True).encode())
    for stream in streams:
        digest.update(f"\x00{stream.name}\x00{stream.fixed}".encode())
        for r in stream.pages:
            mark = "+" if r.source_page in stored[r.sha256] else "-"
            digest.update(f"{r.sha256}:{r.source_page}:{r.source_path}{mark}\n".encode())
    return digest.hexdigest()


@functools.cache
def _code_digest() -> str:
    """The source of the cutting and extraction code: a new sohoa cuts again."""
    files = sorted(Path(extract.__file__ or "").parent.glob("*.py"))
    files += [Path(m.__file__ or "") for m in (documents, handwriting)]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()
