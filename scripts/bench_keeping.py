"""Benchmark of keeping an archive: backup, incremental backup, verify, restore and publish."""

# .venv/bin/python scripts/bench_keeping.py --pages 10000
#
# Builds an archive of N pages (JPEG page images of about 150 KB, 1240x1754 px, five pages a
# document; their text and word boxes set without OCR, as a finished run leaves them), then
# times, in one run: a full backup, a backup with nothing new, `--verify` of one set, a restore
# (index rebuilt, fixity checked), a first publish (page images made) and a publish with
# nothing new. Every fifth document is Mật, so the copy holds 80% of the pages.

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_store import backup, store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.records import PageRef
from ocr.types import Word
from pipeline import indexing, keeping
from pipeline.publish import publish
from scripts.bench_secrecy import page_result

PER_DOCUMENT = 5


def build(root: Path, pages: int) -> Archive:
    batch = root / "hop"
    batch.mkdir(parents=True)
    rng = np.random.default_rng(5)
    base = np.full((1754, 1240), 235, dtype=np.uint8)
    base[200:1600:40, 100:1140] = 40  # lines of "text"
    archive = Archive(root / "kho")
    batch_id = store.upsert_batch(archive, batch)
    refs: list[PageRef] = []
    for n in range(1, pages + 1):
        page = base.copy()
        page += rng.integers(0, 12, page.shape, dtype=np.uint8)
        path = batch / f"trang-{n:05d}.jpg"
        Image.fromarray(page).save(path, quality=85, dpi=(150, 150))
        sha = sha256_file(path)
        archive.blobs.put(path, sha)
        store.register_file(
            archive,
            batch_id,
            store.KnownFile(path.name, sha, path.stat().st_size, None, "jpeg", 1),
        )
        text = f"Trang {n} của hồ sơ lưu trữ tỉnh ủy về công tác kiểm tra đảng viên"
        words = tuple(
            Word(w, 100 + 60 * i, 200, 55, 30, 95.0, 0) for i, w in enumerate(text.split())
        )
        store.save_page(archive, sha, 1, page_result(text, words, (1240, 1754)))
        refs.append(PageRef(sha, 1, path.name))
    docs = [
        store.NewDocument(
            tuple(refs[i : i + PER_DOCUMENT]),
            f"Văn bản {i // PER_DOCUMENT + 1}",
            {},
            1 if (i // PER_DOCUMENT) % 5 == 4 else 0,
        )
        for i in range(0, len(refs), PER_DOCUMENT)
    ]
    store.replace_documents(archive, batch_id, refs, docs)
    indexing.rebuild(archive)
    return archive


def timed(fn: object, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)  # type: ignore[operator]
    return round(time.perf_counter() - start, 2), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--dir", type=Path, help="where to build (default: a temporary folder)")
    args = parser.parse_args()
    where = Path(tempfile.mkdtemp(prefix="bench-keeping-", dir=args.dir))
    try:
        build_s, archive = timed(build, where, args.pages)
        assert isinstance(archive, Archive)
        blobs_mb = sum(f.stat().st_size for f in archive.blobs.root.rglob("*")) / 1e6
        full_s, full = timed(backup.backup, archive, where / "sao-luu")
        again_s, again = timed(backup.backup, archive, where / "sao-luu")
        assert isinstance(full, backup.BackupReport) and isinstance(again, backup.BackupReport)
        verify_s, _ = timed(backup.verify, again.path)
        restore_s, _ = timed(keeping.restore, again.path, where / "kho-moi")
        publish_s, first = timed(publish, archive, where / "ban-cong-bo")
        republish_s, _ = timed(publish, archive, where / "ban-cong-bo")
        archive.close()
        result = {
            "pages": args.pages,
            "blobs_mb": round(blobs_mb, 1),
            "build_s": build_s,
            "backup_s": full_s,
            "backup_nothing_new_s": again_s,
            "backup_nothing_new_copied": again.copied,
            "verify_s": verify_s,
            "restore_s": restore_s,
            "publish_s": publish_s,
            "published_pages": first.pages,  # type: ignore[attr-defined]
            "publish_nothing_new_s": republish_s,
        }
    finally:
        shutil.rmtree(where, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
        return
    r = result
    print(
        f"{r['pages']} pages ({r['blobs_mb']} MB of originals): backup {r['backup_s']} s, "
        f"again with nothing new {r['backup_nothing_new_s']} s "
        f"({r['backup_nothing_new_copied']} files copied), verify {r['verify_s']} s, "
        f"restore (index rebuilt, fixity) {r['restore_s']} s, publish {r['publish_s']} s "
        f"({r['published_pages']} pages), publish with nothing new {r['publish_nothing_new_s']} s"
    )


if __name__ == "__main__":
    main()
