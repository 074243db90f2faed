"""`sohoa doctor` and the retention report, on a real archive and real programs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive

SOHOA = (sys.executable, "-m", "pipeline.cli")
ENV = {**os.environ, "SOHOA_LANG": "en"}


def sohoa(*args: str) -> tuple[int, object]:
    proc = subprocess.run([*SOHOA, *args, "--json"], capture_output=True, text=True, env=ENV)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else proc.stderr


def archive_with_a_file(root: Path) -> tuple[Path, str]:
    scan = root / "a.tif"
    scan.write_bytes(b"II*\x00" + os.urandom(4096))
    with Archive(root / "kho") as archive:
        batch = store.upsert_batch(archive, root)
        sha = sha256_file(scan)
        archive.blobs.put(scan, sha)
        store.register_file(archive, batch, store.KnownFile("a.tif", sha, 4100, None, "tiff", 1))
    return root / "kho", sha


def test_doctor_names_each_problem_with_its_fix(tmp_path: Path) -> None:
    kho, sha = archive_with_a_file(tmp_path)
    code, checks = sohoa("doctor", "--archive", str(kho))
    assert isinstance(checks, list)
    by_name = {c["name"]: c for c in checks}
    assert code == 0, checks
    assert by_name["tesseract vie"]["level"] == "ok" and by_name["store"]["level"] == "ok"
    assert by_name["fixity"]["level"] == "ok" and by_name["index"]["level"] == "ok"
    assert by_name["trust roots"]["level"] == "warning"
    assert "integrity only" in by_name["trust roots"]["found"]
    # One byte of the original changed on disk: an error, with what to run.
    with Archive(kho) as archive:
        blob = archive.blobs.path_for(sha)
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[10] ^= 0xFF
    blob.write_bytes(bytes(data))
    code, checks = sohoa("doctor", "--archive", str(kho))
    assert isinstance(checks, list) and code == 5
    (fixity,) = [c for c in checks if c["name"] == "fixity"]
    assert fixity["level"] == "error" and "sohoa fixity" in fixity["fix"]


def test_retention_lists_dossiers_past_their_period_and_deletes_nothing(tmp_path: Path) -> None:
    with Archive(tmp_path / "kho") as archive:
        store.ensure_dossier(
            archive,
            "HS-01",
            "Hồ sơ hội nghị",
            {"thoi_gian": "2019-2020", "thoi_han_bao_quan": "10 năm"},
        )
        store.ensure_dossier(
            archive,
            "HS-02",
            "Hồ sơ đại hội",
            {"thoi_gian": "2020", "thoi_han_bao_quan": "Vĩnh viễn"},
        )
        store.ensure_dossier(archive, "HS-03", "Hồ sơ thiếu thời hạn", {"thoi_gian": "2018"})
        store.ensure_dossier(
            archive, "HS-04", "Hồ sơ còn hạn", {"thoi_gian": "2021", "thoi_han_bao_quan": "20 năm"}
        )
    code, due = sohoa("retention", "--on", "2031-01-01", "--archive", str(tmp_path / "kho"))
    assert code == 0 and isinstance(due, list)
    assert [(d["ho_so"], d["due"]) for d in due] == [("HS-01", "2031-01-01"), ("HS-03", None)]
    code, due = sohoa("retention", "--on", "2030-12-31", "--archive", str(tmp_path / "kho"))
    assert [d["ho_so"] for d in due] == ["HS-03"]  # type: ignore[union-attr]
    with Archive(tmp_path / "kho") as archive:
        assert len(store.dossiers(archive)) == 4
