"""Documents of a long run of page images are cut while the batch is read, not only at its end."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive_store import store
from archive_store.db import Archive
from indexer.backend import open_index
from pipeline import cutter, run
from pipeline.run import IngestOptions, Progress, ingest
from tests.conftest import render_lines, save_scan


def first_page(n: int) -> list[str]:
    """A document's first page, small: issuing body, number and symbol, type, subject."""
    return ["TỈNH ỦY BẮC GIANG", f"Số {n}-TB/TU", "THÔNG BÁO", f"Về việc kiểm tra số {n}"]


def batch_of(folder: Path, pages: list[list[str]]) -> Path:
    for i, lines in enumerate(pages, 1):
        save_scan(render_lines(lines), folder / f"trang-{i}.png")
    return folder


def test_closed_documents_are_stored_while_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cutter.Cutter, "STEP", 3)
    monkeypatch.setattr(cutter.Cutter, "INDEX_EVERY", 0.0)
    monkeypatch.setattr(run._PageSaver, "FLUSH_SECONDS", 0.0)  # each page stored as it comes
    pages = [first_page(n) for n in range(1, 11)]
    batch = batch_of(tmp_path / "hop", pages)
    seen: list[set[int]] = []
    found: list[int] = []
    with Archive(tmp_path / "kho") as archive:

        def watch(progress: Progress) -> None:
            if 0 < progress.done < progress.total:
                seen.append({d.id for d in store.iter_documents(archive, with_pages=False)})
                if archive.index_dir.exists():
                    index = open_index(archive.index_dir)
                    found.append(index.search("kiem tra", facets=False).total)
                    index.close()

        report = ingest(archive, batch, IngestOptions(workers=1), on_progress=watch)
        assert len(report.documents) == 10
        # Halfway through, the documents closed so far were there, and kept their ids.
        assert len(seen[5]) >= 3
        assert all(ids <= set(report.documents) for ids in seen)
        # ... and searchable.
        assert found and 0 < found[-1] < 10
        firsts = [store.document(archive, d).pages[0].source_path for d in report.documents]
    assert sorted(firsts) == sorted(f"trang-{i}.png" for i in range(1, 11))


def test_a_run_without_cues_is_cut_in_growing_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cutter.Cutter, "STEP", 2)
    calls: list[int] = []
    real = cutter.build_documents

    def counted(*args: object, closed_only: bool = False, **kwargs: object) -> cutter.Cut:
        if closed_only:
            calls.append(len(args[2].pages))  # type: ignore[attr-defined]
        return real(*args, closed_only=closed_only, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cutter, "build_documents", counted)
    pages = [[f"Trang {n} của biên bản"] for n in range(1, 13)]
    batch = batch_of(tmp_path / "hop", pages)
    with Archive(tmp_path / "kho") as archive:
        report = ingest(archive, batch, IngestOptions(workers=1))
        (doc,) = report.documents
        assert len(store.document(archive, doc).pages) == 12
    # Steps at 2, 4 and 8 pages read (each reads the open part again), then the whole run.
    assert calls == [2, 4, 8]
