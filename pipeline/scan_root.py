"""The scan root: the one folder under which clerks pick batch folders from the server.

A clerk never types a server path. The server lists the folders under the root the admin
configured (`SOHOA_SCAN_ROOT`), and a folder asked for by its path relative to the root is
accepted only when it resolves to a folder inside the root: no absolute path, no `..`, no
symbolic link leading out of it, and no link inside the chosen folder to a file outside it
(discovery would read that file as a scan).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from archive_store import store
from archive_store.db import Archive
from pipeline.discover import natural_key
from sohoa.errors import ExitCode, SohoaError

MAX_COUNTED = 10_000
"""Files counted per folder in a listing (a listing stays quick on a huge share)."""


class OutsideScanRoot(SohoaError):
    """A folder that is not one the clerk may pick (answered 400, never a file outside)."""

    exit_code = ExitCode.usage


@dataclass(frozen=True)
class ScanFolder:
    """A folder under the scan root, as the clerk's listing shows it."""

    path: str
    """Relative to the scan root, forward slashes, NFC ("" is the root itself)."""
    name: str
    files: int
    """Files in it and its subfolders (at most MAX_COUNTED counted)."""
    subfolders: int
    batch_id: int | None
    """The batch this folder already is (ingested, or being ingested), if any."""

    def as_json(self) -> dict:
        return {
            "path": self.path, "name": self.name, "files": self.files,
            "subfolders": self.subfolders, "batch_id": self.batch_id,
        }  # fmt: skip


def _refuse(rel: str, why_vi: str, why_en: str) -> OutsideScanRoot:
    return OutsideScanRoot(
        vi=f"Thư mục {rel!r} không dùng được: {why_vi} Chỉ chọn thư mục nằm trong thư mục quét.",
        en=f"Folder {rel!r} cannot be used: {why_en} Pick a folder inside the scan root.",
    )


def no_scan_root() -> OutsideScanRoot:
    return OutsideScanRoot(
        vi="Máy chủ chưa có thư mục quét: quản trị viên đặt SOHOA_SCAN_ROOT rồi khởi động lại "
        "sohoa serve.",
        en="The server has no scan root: the admin sets SOHOA_SCAN_ROOT and restarts sohoa serve.",
    )


def resolve_folder(root: Path, rel: str) -> Path:
    """The folder `rel` (relative to the root) as a real path inside the root, or refused."""
    real_root = root.resolve()
    rel = unicodedata.normalize("NFC", rel.strip()).replace("\\", "/")
    if "\x00" in rel or len(rel) > 1024:
        raise _refuse(rel[:80], "tên không hợp lệ.", "not a valid name.")
    if rel.startswith("/") or PurePosixPath(rel).is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        raise _refuse(rel, "đường dẫn tuyệt đối.", "an absolute path.")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _refuse(rel, "có '..' (ra ngoài thư mục quét).", "it has '..' (leaves the root).")
    folder = real_root.joinpath(*parts)
    try:
        real = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        raise _refuse(rel, "không có thư mục này.", "no such folder.") from None
    if not real.is_relative_to(real_root):
        raise _refuse(rel, "liên kết dẫn ra ngoài thư mục quét.", "a link leads out of the root.")
    if not real.is_dir():
        raise _refuse(rel, "đây không phải thư mục.", "not a folder.")
    return real


def check_batch_folder(root: Path, rel: str) -> Path:
    """A folder a batch may be started from: inside the root, holding no link that leads out
    of it (a linked file would be read, and stored, as one of the batch's scans)."""
    folder = resolve_folder(root, rel)
    if folder == root.resolve():
        raise _refuse(rel, "đây là chính thư mục quét.", "it is the scan root itself.")
    real_root = root.resolve()
    for here, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(here, name)
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                inner = path.relative_to(real_root).as_posix()
                raise _refuse(
                    rel,
                    f"{inner} là liên kết ra ngoài thư mục quét.",
                    f"{inner} is a link out of the scan root.",
                )
    return folder


def list_folders(archive: Archive, root: Path, rel: str = "") -> list[ScanFolder]:
    """The folders directly under `rel` (the root by default), in natural order."""
    base = resolve_folder(root, rel) if rel.strip("/ ") else root.resolve()
    real_root = root.resolve()
    known = {path: batch_id for batch_id, path, _ in store.batches(archive)}
    out = []
    for entry in sorted(base.iterdir(), key=lambda p: natural_key(p.name)):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        real = entry.resolve()
        if not real.is_relative_to(real_root):
            continue  # a link out of the root is not offered at all
        files = subfolders = 0
        for here, dirs, names in os.walk(real):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            if here == str(real):
                subfolders = len(dirs)
            files += sum(not n.startswith(".") for n in names)
            if files >= MAX_COUNTED:
                break
        out.append(
            ScanFolder(
                path=unicodedata.normalize("NFC", entry.relative_to(real_root).as_posix()),
                name=unicodedata.normalize("NFC", entry.name),
                files=min(files, MAX_COUNTED),
                subfolders=subfolders,
                batch_id=known.get(str(real)),
            )
        )
    return out
