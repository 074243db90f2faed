"""Cutting a batch's streams into documents while their pages come in."""

from __future__ import annotations

import time
from collections.abc import Sequence

from archive_store.db import Archive
from pipeline import indexing
from pipeline.discover import PageTask
from pipeline.documents import Cut, Stream, build_documents
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
        self.removed: list[int] = []
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
        self._unindexed: set[int] = set()  # stored since the last index update
        self._gone: set[int] = set()  # removed since then
        self._indexed_at = time.monotonic()

    def page_in(self, task: PageTask) -> None:
        """A page was stored, or failed: cut what is due."""
        i, k = self._where[task.sha256, task.source_page]
        waiting = self._waiting[i]
        waiting.discard(k)
        if not waiting:
            self._cut(i, self.streams[i])
            self._whole.add(i)
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
        for i, stream in enumerate(self.streams):
            if i not in self._whole:
                self._cut(i, stream)

    def _cut(self, i: int, stream: Stream, *, closed_only: bool = False) -> Cut:
        cut = build_documents(
            self.archive,
            self.batch_id,
            stream,
            self.manifest,
            self.dossier_id,
            closed_only=closed_only,
        )
        self.refused += cut.refused
        self.removed += cut.removed
        self._unindexed.update(cut.ids)
        self._unindexed.difference_update(cut.removed)
        self._gone.update(cut.removed)
        if time.monotonic() - self._indexed_at >= self.INDEX_EVERY:
            # The end of the run indexes the whole batch; this only makes it searchable sooner.
            indexing.update(self.archive, sorted(self._unindexed), removed=sorted(self._gone))
            self._unindexed.clear()
            self._gone.clear()
            self._indexed_at = time.monotonic()
        return cut
