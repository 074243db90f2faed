"""The network copy holds no byte of what may not be published, before and after a change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

from archive_store import store
from archive_store.db import Archive
from tests.conftest import render_lines, save_scan

SOHOA = (sys.executable, "-m", "pipeline.cli")
ENV = {**os.environ, "SOHOA_LANG": "en", "OMP_THREAD_LIMIT": "1"}


def sohoa(*args: str) -> dict:
    proc = subprocess.run([*SOHOA, *args], capture_output=True, text=True, env=ENV, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if "--json" in args else {}


def traces(folder: Path, phrase: str) -> list[str]:
    """Every file under the folder whose bytes hold the phrase (any normal form, any case)."""
    forms = set()
    for text in (phrase, phrase.lower(), phrase.upper()):
        for form in ("NFC", "NFD"):
            forms.add(unicodedata.normalize(form, text).encode())
    return [
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and any(f in p.read_bytes() for f in forms)
    ]


def test_a_document_reclassified_secret_leaves_no_trace_in_the_published_copy(
    tmp_path: Path,
) -> None:
    batch = tmp_path / "hop-5"
    save_scan(
        render_lines(["Báo cáo công trình thủy lợi", "của xã Tân Sơn năm 2023"]), batch / "a.png"
    )
    save_scan(
        render_lines(["Biên bản kiểm kê kho vật tư", "tại đồn biên phòng Hữu Nghị"]),
        batch / "b.png",
    )
    save_scan(
        render_lines(["Kế hoạch bảo vệ mục tiêu", "trạm radar Đèo Cả phía nam"]), batch / "c.png"
    )
    (batch / "sohoa.toml").write_text("moi_tep_mot_van_ban = true\n")
    archive = tmp_path / "kho"
    sohoa("ingest", str(batch), "--archive", str(archive), "--json")
    with Archive(archive) as a:
        docs = {d.source_path: d for d in store.iter_documents(a)}
    public, reclassified, secret = (docs[n] for n in ("a.png", "b.png", "c.png"))
    # What OCR read of the two others' second lines: the phrases that must never leak.
    later = reclassified.pages[0].text.splitlines()[-1].strip()
    never = secret.pages[0].text.splitlines()[-1].strip()
    sohoa("edit", str(secret.id), "--set", "do_mat=Mật", "--archive", str(archive))
    copy = tmp_path / "ban-cong-bo"
    first = sohoa("publish", "--to", str(copy), "--archive", str(archive), "--json")
    assert first["published"] == 2 and first["pages"] == 2
    assert traces(archive, never), "the phrase is in the internal archive (the check can see it)"
    assert traces(copy, later), "a published document's text is in the copy"
    assert traces(copy, never) == []
    # Reclassified Mật, published again: gone from every file of the copy.
    sohoa("edit", str(reclassified.id), "--set", "do_mat=Mật", "--archive", str(archive))
    again = sohoa("publish", "--to", str(copy), "--archive", str(archive), "--json")
    assert again["published"] == 1 and again["removed"] == 1 and again["pages"] == 1
    assert traces(copy, later) == [] and traces(copy, never) == []
    # The copy is an archive of its own: its search finds the public document only.
    found = sohoa("search", "thủy lợi", "--archive", str(copy), "--json")
    assert [h["title"] for h in found["hits"]] and found["total"] == 1
    assert sohoa("search", later, "--archive", str(copy), "--json")["total"] == 0
    with Archive(copy) as c:
        (only,) = list(store.iter_documents(c))
        assert only.title == public.title and store.status(c).pages == 1
        # Page images, never originals: no original scan's hash is in the copy.
        assert not any(c.blobs.has(d.sha256) for d in docs.values())
    # The copy is read-only: what is changed there would be lost at the next publish.
    edit = subprocess.run(
        [*SOHOA, "edit", "1", "--set", "so_ky_hieu=1/TB", "--archive", str(copy)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert edit.returncode == 5 and "is a published copy" in edit.stderr
    # Nothing new: nothing rewritten.
    third = sohoa("publish", "--to", str(copy), "--archive", str(archive), "--json")
    assert (third["added"], third["updated"], third["removed"]) == (0, 0, 0)
