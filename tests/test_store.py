"""The archive store on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select, text, update

from archive_store import store
from archive_store.blobs import BlobStore, sha256_file, storage_error
from archive_store.db import Archive, schema_version
from archive_store.models import SCHEMA_VERSION, DocumentPage, IndexJob, Meta
from archive_store.records import PageRef
from archive_store.words import decode_words, encode_words
from ocr.types import CleanupReport, PageResult, Word
from sohoa.errors import ArchiveError, NotFound

WORDS = (
    Word("Số", 10, 20, 30, 12, 96.5, 0),
    Word("10-ĐA/TU", 45, 20, 90, 12, 88.25, 0),
    Word("quyết", 10, 40, 40, 12, 71.0, 1),
)


def page(text: str = "Tỉnh ủy Bắc Giang", words: tuple[Word, ...] = WORDS) -> PageResult:
    return PageResult(
        text=text,
        words=words,
        mean_confidence=85.0,
        needs_review=False,
        width=2480,
        height=3508,
        dpi=300,
        cleanup=CleanupReport(rotated=180, deskew_deg=1.5, steps=("deskew",)),
        engine="tesseract 5.3.0 vie",
        ocr_seconds=1.2,
    )


def test_words_round_trip_compactly() -> None:
    blob = encode_words(WORDS)
    assert decode_words(blob) == tuple(
        Word(w.text, w.left, w.top, w.width, w.height, round(w.conf, 1), w.line) for w in WORDS
    )
    assert decode_words(encode_words(())) == ()
    many = tuple(Word(f"từ{i}", i, i, 20, 10, 90.0, i // 10) for i in range(400))
    assert len(encode_words(many)) < 400 * 12  # hOCR spends ~150 bytes a word


def test_a_page_is_stored_once_whatever_the_reruns(archive: Archive) -> None:
    assert store.save_page(archive, "ab" * 32, 1, page()) is True
    assert store.save_page(archive, "ab" * 32, 1, page("khác")) is False
    assert store.stored_pages(archive, "ab" * 32) == {1}
    assert store.page_text(archive, "ab" * 32, 1) == "Tỉnh ủy Bắc Giang"
    text, words = store.page_content(archive, "ab" * 32, 1)
    assert text == "Tỉnh ủy Bắc Giang" and words[1].text == "10-ĐA/TU"
    assert store.status(archive).pages == 1


def test_failures_are_recorded_once_and_resolved_when_the_page_is_stored(
    archive: Archive,
) -> None:
    batch = store.upsert_batch(archive, Path("/tmp/hop-1"))
    store.register_file(archive, batch, store.KnownFile("a.tif", "cd" * 32, 10, None, "tiff", 2))
    store.record_failure(archive, batch, "a.tif", 2, "hỏng", "broken")
    store.record_failure(archive, batch, "a.tif", 2, "hỏng lần hai", "broken again")
    assert [f.reason_vi for f in store.failures(archive, batch)] == ["hỏng lần hai"]
    store.save_page(archive, "cd" * 32, 2, page())
    assert store.failures(archive, batch) == []
    assert store.upsert_batch(archive, Path("/tmp/hop-1"), {"hop": "12"}) == batch
    assert store.batches(archive) == [(batch, "/tmp/hop-1", {"hop": "12"})]
    # A later run without a manifest: the batch has none any more.
    assert store.upsert_batch(archive, Path("/tmp/hop-1")) == batch
    assert store.batches(archive) == [(batch, "/tmp/hop-1", None)]


def test_documents_keep_their_ids_and_corrections_win(archive: Archive) -> None:
    batch = store.upsert_batch(archive, Path("/tmp/hop-2"))
    sha = "ef" * 32
    for n in (1, 2, 3):
        store.save_page(archive, sha, n, page(f"trang {n}"))
    refs = [PageRef(sha, n, "hs.tif") for n in (1, 2, 3)]
    docs = [
        store.NewDocument(
            tuple(refs[:2]), "Đề án 10-ĐA/TU", {"so": {"value": "10", "confidence": 0.9}}, 0
        ),
        store.NewDocument((refs[2],), "Thông báo", {}, 1),
    ]
    ids = store.replace_documents(archive, batch, refs, docs).ids
    store.add_correction(archive, ids[0], "so", "11", "thu.nguyen")
    again = store.replace_documents(archive, batch, refs, docs).ids
    assert again == ids
    rec = store.document(archive, ids[0])
    assert [p.text for p in rec.pages] == ["trang 1", "trang 2"]
    assert rec.metadata()["so"] == "11"
    assert rec.extracted["so"] == {"value": "10", "confidence": 0.9}
    assert [d.id for d in store.iter_documents(archive, chunk=1)] == ids
    with pytest.raises(NotFound):
        store.document(archive, 999)


def test_a_document_runs_across_page_images_and_is_cut_again_in_place(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "IN_CHUNK", 2)  # the files are looked up two at a time
    batch = store.upsert_batch(archive, Path("/tmp/hop-4"))
    refs = [PageRef(f"{n:02d}" * 32, 1, f"hs/{n:02d}.jpg") for n in range(1, 6)]
    for n, ref in enumerate(refs, 1):
        store.save_page(archive, ref.sha256, 1, page(f"trang {n}"))
    first = store.replace_documents(
        archive,
        batch,
        refs,
        [
            store.NewDocument(tuple(refs[:3]), "Đề án", {}, 0),
            store.NewDocument(tuple(refs[3:]), "Thông báo", {}, 0),
        ],
    ).ids
    rec = store.document(archive, first[0])
    assert [(p.source_path, p.source_page, p.text) for p in rec.pages] == [
        ("hs/01.jpg", 1, "trang 1"),
        ("hs/02.jpg", 1, "trang 2"),
        ("hs/03.jpg", 1, "trang 3"),
    ]
    assert rec.source_runs() == [("hs/01.jpg", 1, 1), ("hs/02.jpg", 1, 1), ("hs/03.jpg", 1, 1)]
    # Cut again: the first document now ends earlier, a new one starts on page 3 and the
    # second one, which started on page 4, is gone with its listed pages.
    again = store.replace_documents(
        archive,
        batch,
        refs,
        [
            store.NewDocument(tuple(refs[:2]), "Đề án", {}, 0),
            store.NewDocument(tuple(refs[2:]), "Báo cáo", {}, 0),
        ],
    )
    assert again.removed == [first[1]]
    assert again.ids[0] == first[0] and first[1] not in again.ids
    assert [p.text for p in store.document(archive, again.ids[0]).pages] == ["trang 1", "trang 2"]
    assert len(store.document(archive, again.ids[1]).pages) == 3
    assert store.status(archive).documents == 2
    with archive.session() as s:
        assert s.scalar(select(func.count(DocumentPage.id))) == 5


def test_an_archive_of_schema_1_gets_its_documents_pages_listed(archive: Archive) -> None:
    batch = store.upsert_batch(archive, Path("/tmp/hop-5"))
    sha = "ab" * 32
    refs = [PageRef(sha, n, "hs.tif") for n in (1, 2, 3)]
    for ref in refs:
        store.save_page(archive, sha, ref.source_page, page(f"trang {ref.source_page}"))
    ids = store.replace_documents(
        archive,
        batch,
        refs,
        [store.NewDocument(tuple(refs[:2]), "A", {}, 0), store.NewDocument((refs[2],), "B", {}, 0)],
    ).ids
    # What version 1 wrote: documents as page ranges, no document_page table.
    with archive.session() as s:
        s.execute(delete(DocumentPage))
        s.execute(text("drop table document_page"))
        s.execute(update(Meta).where(Meta.key == "schema_version").values(value="1"))
    with Archive(archive.root, db_url=archive.db_url) as upgraded:
        assert schema_version(upgraded) == SCHEMA_VERSION
        assert [p.text for p in store.document(upgraded, ids[0]).pages] == ["trang 1", "trang 2"]
        assert [p.text for p in store.document(upgraded, ids[1]).pages] == ["trang 3"]
        assert store.document(upgraded, ids[1]).pages[0].source_path == "hs.tif"


def test_an_archive_of_schema_2_gets_the_outbox_and_keeps_its_files(archive: Archive) -> None:
    batch = store.upsert_batch(archive, Path("/tmp/hop-6"))
    store.register_file(archive, batch, store.KnownFile("a.tif", "cd" * 32, 10, 123, "tiff", 2))
    # What version 2 wrote: no outbox, no hashing time, no cut key.
    with archive.session() as s:
        s.execute(text("drop table index_job"))
        s.execute(text("alter table source_file drop column mtime_ns"))
        s.execute(text("alter table batch drop column cut_key"))
        s.execute(update(Meta).where(Meta.key == "schema_version").values(value="2"))
    with Archive(archive.root, db_url=archive.db_url) as upgraded:
        assert schema_version(upgraded) == SCHEMA_VERSION == 3
        (known,) = store.known_files(upgraded, batch).values()
        assert (known.sha256, known.mtime_ns) == ("cd" * 32, None)  # hashed again next run
        assert store.batch_cut_key(upgraded, batch) is None
        assert not store.pending_jobs(upgraded)


def test_every_document_change_writes_its_index_job_in_the_same_transaction(
    archive: Archive,
) -> None:
    batch = store.upsert_batch(archive, Path("/tmp/hop-7"))
    sha = "ef" * 32
    refs = [PageRef(sha, n, "hs.tif") for n in (1, 2)]
    for ref in refs:
        store.save_page(archive, sha, ref.source_page, page(f"trang {ref.source_page}"))
    two = [store.NewDocument((refs[0],), "A", {}, 0), store.NewDocument((refs[1],), "B", {}, 0)]
    a, b = store.replace_documents(archive, batch, refs, two).ids
    assert store.pending_jobs(archive).reasons == {"added": 2}
    store.clear_jobs(archive, store.pending_jobs(archive).job_ids)
    # The same cut again changes nothing: no job.
    store.replace_documents(archive, batch, refs, two)
    assert not store.pending_jobs(archive)
    # Cut as one document: A re-cut, B removed.
    one = [store.NewDocument(tuple(refs), "A", {}, 0)]
    store.replace_documents(archive, batch, refs, one)
    assert store.pending_jobs(archive).reasons == {"recut": 1, "removed": 1}
    store.add_corrections(archive, a, {"do_mat": "Mật", "so_ky_hieu": "5/TB"}, "an")
    jobs = store.pending_jobs(archive)
    assert set(jobs.doc_ids) == {a, b} and jobs.reasons["corrected"] == 1
    # The store decides: A is Mật now (its correction), B is gone.
    assert store.hidden_while_pending(archive, 0) == {a, b}
    assert store.hidden_while_pending(archive, 1) == {b}
    assert store.visible(archive, [a, b], 0) == set() and store.visible(archive, [a, b], 1) == {a}
    # A correction that cannot be stored stores nothing, not even its job.
    with pytest.raises(NotFound):
        store.add_corrections(archive, 999, {"so_ky_hieu": "1"}, "an")
    with archive.session() as s:
        assert s.scalar(select(func.count(IndexJob.id))) == 3


def test_blobs_are_content_addressed_read_only_and_verified(tmp_path: Path) -> None:
    src = tmp_path / "scan.tif"
    src.write_bytes(b"II*\x00 not really a tiff")
    blobs = BlobStore(tmp_path / "blobs")
    sha = sha256_file(src)
    target = blobs.put(src, sha)
    assert target.read_bytes() == src.read_bytes()
    assert target == blobs.path_for(sha) and target.parent.name == sha[2:4]
    assert blobs.put(src, sha) == target
    assert blobs.verify(sha)
    assert not list(target.parent.glob(".incoming-*"))


def test_a_full_disk_is_reported_with_what_to_do(tmp_path: Path) -> None:
    err = storage_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "x")
    assert isinstance(err, ArchiveError)
    assert "Hết dung lượng đĩa" in err.vi and "chạy lại" in err.vi


def test_a_full_database_disk_is_reported_and_keeps_what_was_stored(tmp_path: Path) -> None:
    with Archive(tmp_path / "kho") as archive:
        # SQLite's page limit stands in for a full disk: the same SQLITE_FULL error.
        limit = _pages(archive) + 120  # room for about two of these pages
        archive.engine.dispose()
        event.listen(
            archive.engine,
            "connect",
            lambda conn, _: conn.execute(f"PRAGMA max_page_count={limit}"),
        )
        big = page("x" * 200_000)
        stored = 0
        with pytest.raises(ArchiveError) as caught:
            for n in range(1, 50):
                store.save_page(archive, "ab" * 32, n, big)
                stored += 1
        assert "Hết dung lượng đĩa" in caught.value.vi and "chạy lại" in caught.value.vi
        assert stored >= 1
    with Archive(tmp_path / "kho") as archive:
        assert store.stored_pages(archive, "ab" * 32) == set(range(1, stored + 1))


def _pages(archive: Archive) -> int:
    with archive.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)


def test_a_postgres_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError) as info:
        Archive(tmp_path / "kho", db_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert "PostgreSQL" in info.value.vi


def test_fixity_finds_missing_and_corrupt_originals(archive: Archive, tmp_path: Path) -> None:
    from archive_store.fixity import check_fixity

    batch = store.upsert_batch(archive, tmp_path)
    for name, content in [("a.png", b"\x89PNG a"), ("b.png", b"\x89PNG b"), ("c.png", b"c")]:
        src = tmp_path / name
        src.write_bytes(content)
        sha = sha256_file(src)
        archive.blobs.put(src, sha)
        store.register_file(
            archive, batch, store.KnownFile(name, sha, len(content), None, "png", 1)
        )
    assert check_fixity(archive).ok
    archive.blobs.path_for(sha256_file(tmp_path / "a.png")).unlink()
    corrupt = archive.blobs.path_for(sha256_file(tmp_path / "b.png"))
    corrupt.chmod(0o644)
    corrupt.write_bytes(b"bit rot")
    report = check_fixity(archive)
    assert (report.checked, report.missing, report.corrupt) == (3, ("a.png",), ("b.png",))
    assert not report.ok
