"""Content-addressed blob store: originals kept byte for byte under their SHA-256."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from sohoa.errors import ArchiveError

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, streamed (scans can be hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore:
    """Files under root/ab/cd/<sha256>; written once, atomically, never modified."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"BlobStore({str(self.root)!r})"

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put(self, source: Path, sha256: str) -> Path:
        """Copy `source` in under its hash unless it is already there; return the blob path.

        The copy goes to a temporary file in the target folder, is fsynced and then renamed, so a
        crash never leaves a partial blob under a real hash.
        """
        target = self.path_for(sha256)
        if target.is_file():
            return target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                    shutil.copyfileobj(src, out, _CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o444)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise storage_error(exc, target) from exc
        return target

    def verify(self, sha256: str) -> bool:
        """Fixity check: does the stored blob still hash to its name?"""
        path = self.path_for(sha256)
        return path.is_file() and sha256_file(path) == sha256


def storage_error(exc: OSError, path: Path) -> ArchiveError:
    """Turn an OS error while writing the archive into a message a clerk can act on."""
    if exc.errno == errno.ENOSPC:
        return ArchiveError(
            vi=f"Hết dung lượng đĩa khi ghi {path}. Giải phóng chỗ trống rồi chạy lại lệnh; "
            "các trang đã lưu được giữ nguyên và sẽ được bỏ qua.",
            en=f"Disk full while writing {path}. Free some space and run the command again; "
            "pages already stored are kept and skipped.",
        )
    return ArchiveError(
        vi=f"Không ghi được {path}: {exc.strerror}. Kiểm tra quyền ghi thư mục kho lưu trữ.",
        en=f"Cannot write {path}: {exc.strerror}. Check that the archive folder is writable.",
    )
