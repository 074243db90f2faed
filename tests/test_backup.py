"""Backups that restore: killed part way, a byte changed, restored archives that match."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import render_lines, save_scan

SOHOA = (sys.executable, "-m", "pipeline.cli")
ENV = {**os.environ, "SOHOA_LANG": "en", "OMP_THREAD_LIMIT": "1"}
QUERIES = ("kiểm tra", "kiem tra", '"chi bộ"', "đảng viên", "mat")


def sohoa(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([*SOHOA, *args], capture_output=True, text=True, env=ENV, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def as_json(*args: str) -> dict | list:
    code, out, err = sohoa(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def what_it_shows(archive: Path) -> dict:
    """Fixity, status and a set of searches: what a restored archive must answer alike."""
    status = as_json("status", "--archive", str(archive))
    assert isinstance(status, dict)
    fixity = as_json("fixity", "--archive", str(archive))
    assert isinstance(fixity, dict)
    searches = {}
    for q in QUERIES:
        found = as_json("search", q, "--archive", str(archive), "--clearance", "tuyet-mat")
        assert isinstance(found, dict)
        # The same hits; their order by relevance may differ by a hair, as the original's
        # index statistics still count entries it replaced.
        searches[q] = (found["total"], sorted((h["doc_id"], h["title"]) for h in found["hits"]))
    del status["archive"]
    return {"status": status, "fixity": fixity, "searches": searches}


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("backup")
    batch = root / "hop-4"
    save_scan(render_lines(["Báo cáo kiểm tra đảng viên", "của chi bộ thôn Đông"]), batch / "a.png")
    save_scan(
        [render_lines(["MẬT", "Kết luận kiểm tra", "tài chính chi bộ"]), render_lines(["Trang 2"])],
        batch / "b.tif",
    )
    code, _, err = sohoa("ingest", str(batch), "--archive", str(root / "kho"))
    assert code == 0, err
    # Originals enough that a backup takes a moment (a real archive's blobs are GBs).
    blobs = root / "kho" / "blobs" / "zz" / "zz"
    blobs.mkdir(parents=True)
    for n in range(20):
        (blobs / f"derived-{n:03d}.bin").write_bytes(os.urandom(1_000_000))
    return root / "kho"


def test_a_backup_restores_an_archive_that_answers_alike(original: Path, tmp_path: Path) -> None:
    target = tmp_path / "sao-luu"
    first = as_json("backup", "--to", str(target), "--archive", str(original))
    assert isinstance(first, dict) and first["copied"] >= 22 and first["linked"] == 0
    # Nothing changed: the next set copies nothing and links every blob.
    second = as_json("backup", "--to", str(target), "--archive", str(original))
    assert isinstance(second, dict) and second["copied"] == 0 and second["linked"] >= 22
    assert len(list(target.iterdir())) == 2
    checks = as_json("backup", "--verify", str(target), "--archive", str(original))
    assert isinstance(checks, list) and [c["ok"] for c in checks] == [True, True]
    report = as_json("restore", str(target), "--archive", str(tmp_path / "kho-moi"))
    assert isinstance(report, dict) and report["fixity"]["ok"]
    assert report["source"] == second["path"]
    assert what_it_shows(tmp_path / "kho-moi") == what_it_shows(original)


def test_a_backup_killed_part_way_leaves_the_others_and_is_refused(
    original: Path, tmp_path: Path
) -> None:
    target = tmp_path / "sao-luu"
    assert sohoa("backup", "--to", str(target), "--archive", str(original))[0] == 0
    (earlier,) = target.iterdir()
    # A new blob, so the next set has something to copy, and a kill while it does.
    (original / "blobs" / "zz" / "zz" / "late.bin").write_bytes(os.urandom(30_000_000))
    proc = subprocess.Popen(
        [*SOHOA, "backup", "--to", str(target), "--archive", str(original)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(target.glob("*.partial/data/blobs/*")):
        assert proc.poll() is None and time.monotonic() < deadline, "the backup ended first"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (partial,) = target.glob("*.partial")
    code, out, _ = sohoa("backup", "--verify", str(target), "--json", "--archive", str(original))
    checks = {c["path"]: c for c in json.loads(out)}
    assert code == 5
    assert checks[str(earlier)]["ok"] and not checks[str(partial)]["complete"]
    code, _, err = sohoa("restore", str(partial), "--archive", str(tmp_path / "kho-x"))
    assert code == 5 and "the backup did not finish" in err
    # A new backup, then a restore of it, match the original.
    assert sohoa("backup", "--to", str(target), "--archive", str(original))[0] == 0
    report = as_json("restore", str(target), "--archive", str(tmp_path / "kho-moi"))
    assert isinstance(report, dict) and report["fixity"]["ok"]
    assert what_it_shows(tmp_path / "kho-moi") == what_it_shows(original)
    (original / "blobs" / "zz" / "zz" / "late.bin").unlink()


def test_one_byte_changed_in_a_backup_is_found_and_refuses_the_restore(
    original: Path, tmp_path: Path
) -> None:
    target = tmp_path / "sao-luu"
    assert sohoa("backup", "--to", str(target), "--archive", str(original))[0] == 0
    (bag,) = target.iterdir()
    victim = next(p for p in sorted((bag / "data" / "blobs").rglob("*")) if p.is_file())
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    code, out, _ = sohoa("backup", "--verify", str(bag), "--json", "--archive", str(original))
    assert code == 5
    (check,) = json.loads(out)
    rel = victim.relative_to(bag).as_posix()
    assert any(rel in problem for problem in check["problems"]), check
    code, _, err = sohoa("restore", str(bag), "--archive", str(tmp_path / "kho-moi"))
    assert code == 5 and rel in err
    assert not (tmp_path / "kho-moi" / "archive.db").exists()


def test_restore_never_writes_over_an_archive(original: Path, tmp_path: Path) -> None:
    target = tmp_path / "sao-luu"
    assert sohoa("backup", "--to", str(target), "--archive", str(original))[0] == 0
    shutil.copytree(original, tmp_path / "kho-co-san")
    code, _, err = sohoa("restore", str(target), "--archive", str(tmp_path / "kho-co-san"))
    assert code == 5 and "already holds an archive" in err


def test_a_postgresql_archive_is_dumped_and_restored(pg_url: str, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from archive_store import backup, store
    from archive_store.db import Archive
    from archive_store.records import PageRef
    from pipeline.keeping import restore
    from tests.test_store import page

    with Archive(tmp_path / "kho", db_url=pg_url) as archive:
        batch = store.upsert_batch(archive, tmp_path / "hop")
        sha = "ab" * 32
        refs = [PageRef(sha, 1, "a.tif")]
        store.save_page(archive, sha, 1, page("Nghị quyết của Ban Thường vụ Tỉnh ủy"))
        store.replace_documents(archive, batch, refs, [store.NewDocument(tuple(refs), "A", {}, 0)])
        report = backup.backup(archive, tmp_path / "sao-luu")
        assert (report.path / "data" / "archive.pgdump").is_file()
    # Into another database of the same server, as on a new machine.
    server = create_engine(pg_url.split("?")[0], isolation_level="AUTOCOMMIT")
    name = f"r_{tmp_path.name[-8:].lower().replace('-', '_')}"
    with server.connect() as conn:
        conn.execute(text(f"drop database if exists {name}"))
        conn.execute(text(f"create database {name}"))
    try:
        target = pg_url.replace("/test?", f"/{name}?")
        restored = restore(report.path, tmp_path / "kho-moi", target)
        assert restored.status.documents == 1 and restored.status.pages == 1
        with Archive(tmp_path / "kho-moi", db_url=target) as again:
            (doc,) = list(store.iter_documents(again))
            assert doc.pages[0].text == "Nghị quyết của Ban Thường vụ Tỉnh ủy"
    finally:
        with server.connect() as conn:
            conn.execute(text(f"drop database if exists {name} with (force)"))
        server.dispose()
