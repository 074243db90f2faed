"""The index is a cache that can never show what the store forbids, whatever fails in between.

Faults come from outside, as an admin meets them: another process holding the index writer,
the index folder made unwritable, a `kill -9` between the store's commit and the index update,
two ingests started together. Every command here is a real `sohoa` process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive_store import store
from archive_store.db import Archive
from indexer.backend import open_index
from tests.conftest import render_lines, save_scan

SECRET_WORDS = "nghiệm thu kho lưu trữ"
"""Words only document A holds (its page: 'Biên bản nghiệm thu kho lưu trữ tỉnh')."""
OTHER_WORDS = "đại hội chi bộ"

SOHOA = (sys.executable, "-m", "pipeline.cli")
ENV = {**os.environ, "SOHOA_LANG": "en", "OMP_THREAD_LIMIT": "1"}


def sohoa(*args: str, wait: float = 1.0, timeout: float = 300) -> tuple[int, str, str]:
    """Run a real `sohoa` process; `wait` is how long it waits for a busy index writer."""
    proc = subprocess.run(
        [*SOHOA, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**ENV, "SOHOA_INDEX_WAIT": str(wait)},
    )
    return proc.returncode, proc.stdout, proc.stderr


def search(archive: Path, query: str, *clearance: str) -> dict:
    code, out, err = sohoa("search", query, "--json", "--archive", str(archive), *clearance)
    assert code == 0, err
    return json.loads(out)


def make_batch(root: Path) -> Path:
    """One scanned file of two pages, cut by the manifest into documents A and B."""
    pages = [
        render_lines(["Biên bản nghiệm thu kho lưu trữ tỉnh", "ngày 3 tháng 4 năm 2023"]),
        render_lines(["Báo cáo đại hội chi bộ thôn Đông", "nhiệm kỳ 2020 - 2025"]),
    ]
    save_scan(pages, root / "hs.tif")
    (root / "sohoa.toml").write_text('[page_ranges]\n"hs.tif" = [[1, 1], [2, 2]]\n')
    return root


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("secrecy")
    batch = make_batch(root / "hop-9")
    code, out, err = sohoa("ingest", str(batch), "--archive", str(root / "kho"), "--json")
    assert code == 0, err
    assert len(json.loads(out)["documents"]) == 2
    return root / "kho", batch


@pytest.fixture
def archive(ingested: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the ingested archive (document A public and found by anyone)."""
    shutil.copytree(ingested[0], tmp_path / "kho")
    found = search(tmp_path / "kho", SECRET_WORDS)
    assert found["total"] == 1
    return tmp_path / "kho"


def doc_a(archive: Path) -> int:
    with Archive(archive) as a:
        (doc,) = [d.id for d in store.iter_documents(a) if "nghiệm thu" in d.pages[0].text]
        return doc


@contextlib.contextmanager
def index_writer_held(archive: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the index writer, as a long ingest does."""
    code = (
        "import sys, time\n"
        "from indexer.backend import open_index\n"
        "index = open_index(sys.argv[1])\n"
        "index.replace([])  # takes the writer and keeps it\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(archive / "index")],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def assert_hidden_from_the_public(archive: Path) -> None:
    """No search without clearance returns, counts or snippets document A."""
    for query in (SECRET_WORDS, "nghiem thu", "kho OR chi"):
        found = search(archive, query)
        assert all(h["doc_id"] != doc_a(archive) for h in found["hits"]), query
        assert "nghiệm thu" not in json.dumps(found["hits"], ensure_ascii=False), query
    assert search(archive, SECRET_WORDS)["total"] == 0
    every = search(archive, "kho OR chi OR biên OR báo")
    assert every["total"] == 1  # document B only, in the count as in the facets
    assert sum(count for _, count in every["facets"].get("nam", [])) <= 1


def pending(archive: Path) -> int:
    code, out, err = sohoa("status", "--json", "--archive", str(archive))
    assert code == 0, err
    return int(json.loads(out)["index"]["pending_documents"])


def assert_in_step(archive: Path) -> None:
    code, out, err = sohoa("reindex", "--verify", "--json", "--archive", str(archive))
    assert code == 0 and json.loads(out)["ok"], out + err
    assert pending(archive) == 0


def test_a_document_marked_secret_while_the_index_is_busy_is_hidden_at_once(
    archive: Path,
) -> None:
    doc = doc_a(archive)
    with index_writer_held(archive):
        code, out, err = sohoa("edit", str(doc), "--set", "do_mat=Mật", "--archive", str(archive))
        # The correction is stored and the admin is told so, with what search will do.
        assert code == 0, err
        assert f"Saved 1 corrections for document {doc}." in out
        assert "Search follows as soon as the index is free" in out
        assert_hidden_from_the_public(archive)
        # Cleared users still find it: the store allows them.
        cleared = search(archive, SECRET_WORDS, "--clearance", "mat")
        assert [h["doc_id"] for h in cleared["hits"]] == [doc]
        assert pending(archive) == 1
        code, out, _ = sohoa("status", "--archive", str(archive))
        assert "Index jobs pending: 1 documents (corrected 1)" in out
    # The next command applies the job, once.
    assert_hidden_from_the_public(archive)
    assert_in_step(archive)
    code, out, err = sohoa("show", str(doc), "--json", "--archive", str(archive))
    assert code == 6  # access denied to the public, from the store


def test_an_index_folder_made_unwritable_never_leaves_the_document_visible(
    archive: Path,
) -> None:
    doc = doc_a(archive)
    with unwritable(archive / "index"):
        code, out, err = sohoa(
            "edit", str(doc), "--set", "do_mat=Tối mật", "--archive", str(archive)
        )
        assert code == 0, err
        assert "The store is saved; the search index has yet to take 1 documents" in out, out
        assert "Cannot write the index" in out
        assert_hidden_from_the_public(archive)
        assert search(archive, SECRET_WORDS, "--clearance", "mat")["total"] == 0
        assert search(archive, SECRET_WORDS, "--clearance", "toi-mat")["total"] == 1
        assert pending(archive) == 1
    assert_hidden_from_the_public(archive)
    assert_in_step(archive)


def test_kill_9_between_the_store_commit_and_the_index_update(archive: Path) -> None:
    doc = doc_a(archive)
    with index_writer_held(archive):
        # The edit commits, then waits for the writer; it is killed there.
        proc = subprocess.Popen(
            [*SOHOA, "edit", str(doc), "--set", "do_mat=Mật", "--archive", str(archive)],
            env={**ENV, "SOHOA_INDEX_WAIT": "120"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: pending(archive) == 1, proc)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        assert_hidden_from_the_public(archive)
    with Archive(archive) as a:
        assert store.document(a, doc, with_pages=False).corrections == {"do_mat": "Mật"}
    assert_hidden_from_the_public(archive)  # this search applied the job
    assert pending(archive) == 0
    assert_in_step(archive)


def test_a_recut_killed_before_the_index_update_leaves_no_removed_document(
    archive: Path, ingested: tuple[Path, Path], tmp_path: Path
) -> None:
    batch = shutil.copytree(ingested[1], tmp_path / "hop-9")
    (batch / "sohoa.toml").write_text('[page_ranges]\n"hs.tif" = [[1, 2]]\n')
    doc = doc_a(archive)
    with index_writer_held(archive):
        proc = subprocess.Popen(
            [*SOHOA, "ingest", str(batch), "--archive", str(archive)],
            env={**ENV, "SOHOA_INDEX_WAIT": "120"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The re-cut joins the two pages into A and removes B, then waits for the writer.
        wait_until(lambda: pending(archive) == 2, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # B is gone from the store: excluded although the index still holds it; A's index
        # entry (its first page only) does not hold these words yet.
        assert search(archive, OTHER_WORDS)["total"] == 0
        assert search(archive, OTHER_WORDS, "--clearance", "tuyet-mat")["total"] == 0
    found = search(archive, OTHER_WORDS)
    assert [h["doc_id"] for h in found["hits"]] == [doc]
    assert_in_step(archive)


@pytest.mark.parametrize("existing", [False, True], ids=["new-archive", "existing-archive"])
def test_two_ingests_started_together_both_succeed(tmp_path: Path, existing: bool) -> None:
    archive = tmp_path / "kho"
    batches = []
    for n in (1, 2):
        folder = tmp_path / f"hop-{n}"
        save_scan(render_lines([f"Biên bản số {n} của chi bộ"]), folder / "a.png")
        save_scan(render_lines([f"Công văn số {n} của Tỉnh ủy"]), folder / "b.png")
        batches.append(folder)
    if existing:
        first = tmp_path / "hop-0"
        save_scan(render_lines(["Thông báo của Ban Thường vụ"]), first / "a.png")
        assert sohoa("ingest", str(first), "--archive", str(archive))[0] == 0
    procs = [
        subprocess.Popen(
            [*SOHOA, "ingest", str(b), "--archive", str(archive), "--workers", "1", "--json"],
            env={**ENV, "SOHOA_INDEX_WAIT": "60"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for b in batches
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert json.loads(out)["pages_done"] == 2
    with Archive(archive) as a:
        assert store.status(a).pages == 4 + existing
    for n in (1, 2):
        assert search(archive, f'"Công văn số {n}"')["total"] == 1
    assert_in_step(archive)


def test_a_reextract_a_reindex_and_an_edit_at_once_all_succeed(archive: Path) -> None:
    doc = doc_a(archive)
    commands = [
        ["reextract", "--archive", str(archive)],
        ["reindex", "--archive", str(archive)],
        ["edit", str(doc), "--set", "do_mat=Mật", "--archive", str(archive)],
    ]
    procs = [
        subprocess.Popen(
            [*SOHOA, *args],
            env={**ENV, "SOHOA_INDEX_WAIT": "60"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (args, out, err)
    assert_hidden_from_the_public(archive)
    assert_in_step(archive)


def test_repair_replaces_only_what_differs(archive: Path) -> None:
    doc = doc_a(archive)
    index = open_index(archive / "index")
    index.delete([doc])  # an index restored from an older copy, say
    index.close()
    code, out, _ = sohoa("reindex", "--verify", "--json", "--archive", str(archive))
    assert code == 5 and json.loads(out)["missing"] == [doc]
    code, out, err = sohoa("reindex", "--repair", "--json", "--archive", str(archive))
    assert code == 0 and json.loads(out)["missing"] == [doc] and json.loads(out)["in_step"], err
    assert search(archive, SECRET_WORDS)["total"] == 1
    assert_in_step(archive)


def wait_until(condition: object, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the command ended before the fault could be injected"
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the command to commit")


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """The folder and the folders in it made unwritable (no file can be added or removed),
    even for root: immutable."""
    paths = [folder, *(p for p in folder.rglob("*") if p.is_dir())]
    if os.geteuid() == 0:
        flag = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
        assert flag.returncode == 0, f"chattr is needed to make a folder unwritable: {flag.stderr}"
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
    else:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
