"""Office documents (.docx, .doc, .odt) turned into PDF by LibreOffice headless, for their pages.

A document that never was paper arrives as a word-processor file; sohoa keeps it as delivered
(the original) and reads its pages and text from the PDF LibreOffice makes of it (Debian's
libreoffice-writer-nogui), whose text layer is then read like any born-digital PDF. One
conversion a file, in a LibreOffice profile of its own so that conversions never share state.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from sohoa.errors import InputError, MissingDependency

OFFICE_SUFFIXES = {".docx": "docx", ".doc": "doc", ".odt": "odt"}
CONVERT_TIMEOUT_S = 300
"""A conversion that takes longer than this is stuck on a broken file."""

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODT_MIME = b"application/vnd.oasis.opendocument.text"


def office_kind(path: Path) -> str | None:
    """ "docx", "doc" or "odt" when the file is such a document (by its name and its bytes:
    a .docx or .odt is a zip holding the document, a .doc an OLE compound file), else None."""
    kind = OFFICE_SUFFIXES.get(Path(path).suffix.lower())
    if kind is None:
        return None
    try:
        with Path(path).open("rb") as f:
            head = f.read(8)
    except OSError:
        return None
    if kind == "doc":
        return kind if head == _OLE else None
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if kind == "docx":
                return kind if "word/document.xml" in names else None
            return kind if "mimetype" in names and z.read("mimetype").strip() == _ODT_MIME else None
    except (zipfile.BadZipFile, OSError, KeyError):
        return None


def soffice() -> str:
    """The LibreOffice program; MissingDependency names the apt package when it is not there."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise MissingDependency(
            vi="Chưa cài LibreOffice, cần để đọc tệp .docx/.doc/.odt: "
            "apt-get install libreoffice-writer-nogui (hoặc chạy scripts/setup).",
            en="LibreOffice is not installed; it is needed to read .docx/.doc/.odt files: "
            "apt-get install libreoffice-writer-nogui (or run scripts/setup).",
        )
    return found


def convert_to_pdf(path: Path, out: Path, *, name: str | None = None) -> Path:
    """Convert the document at `path` to the PDF `out`; InputError names the file (`name`, its
    path in the batch) when LibreOffice cannot."""
    shown = name or Path(path).name
    program = soffice()
    with tempfile.TemporaryDirectory(prefix="sohoa-lo-") as tmp:
        work = Path(tmp)
        # LibreOffice picks its converter by the file's extension.
        src = work / ("in" + Path(path).suffix.lower())
        shutil.copyfile(path, src)
        cmd = [
            program,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(src),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=CONVERT_TIMEOUT_S, text=True)
        except subprocess.TimeoutExpired as exc:
            raise InputError(
                vi=f"{shown}: LibreOffice không chuyển được tệp sang PDF trong "
                f"{CONVERT_TIMEOUT_S} giây; tệp có thể bị hỏng, hãy mở và lưu lại.",
                en=f"{shown}: LibreOffice did not convert the file to PDF within "
                f"{CONVERT_TIMEOUT_S} s; the file may be damaged: open and save it again.",
            ) from exc
        made = work / "out" / "in.pdf"
        if done.returncode != 0 or not made.is_file() or made.stat().st_size == 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise InputError(
                vi=f"{shown}: LibreOffice không chuyển được tài liệu sang PDF ({detail[0]}); "
                "tệp có thể bị hỏng hoặc có mật khẩu: hãy mở và lưu lại.",
                en=f"{shown}: LibreOffice could not convert the document to PDF ({detail[0]}); "
                "the file may be damaged or password-protected: open and save it again.",
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), out)
    return out
