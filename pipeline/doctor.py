"""`sohoa doctor`: is this machine and this archive fit to work, and what to run if not.

Each check says what it found and, when something is wrong, the command that fixes it. An error
stops work (a missing program, a store that cannot be opened, an original that no longer
matches its hash); a warning is worth acting on soon (little disk left for the archive's growth,
the index behind the store, no trust roots for signatures).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import random
import re
import shutil
import subprocess
from dataclasses import dataclass

from sqlalchemy import func, select

from archive_store import store
from archive_store.db import Archive, schema_version
from archive_store.models import SCHEMA_VERSION, Batch, SourceFile
from pipeline import indexing
from sohoa.errors import SohoaError
from sohoa.i18n import t

FIXITY_SAMPLE = 20
"""Originals re-hashed at random (the whole check is `sohoa fixity`, off-hours)."""
DAYS_OF_ROOM = 90
"""Free disk should hold at least this many days of the archive's growth."""


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    """ok, warning or error."""
    found: str
    fix: str = ""

    def as_json(self) -> dict:
        return {"name": self.name, "level": self.level, "found": self.found, "fix": self.fix}


def diagnose(archive: Archive) -> list[Check]:
    """Every check, in order: programs, store, disk, index, fixity sample, trust roots."""
    return [*_programs(), *_store(archive)]


def _programs() -> list[Check]:
    out = []
    tools = [
        ("tesseract", ["tesseract", "--version"], "tesseract-ocr tesseract-ocr-vie", "error"),
        ("pdftoppm", ["pdftoppm", "-v"], "poppler-utils", "error"),
        ("ghostscript", ["gs", "--version"], "ghostscript", "error"),
        ("qpdf", ["qpdf", "--version"], "qpdf", "error"),
        ("soffice", ["soffice", "--version"], "libreoffice-writer-nogui", "warning"),
        ("pg_dump", ["pg_dump", "--version"], "postgresql-client", "warning"),
    ]
    for name, cmd, package, level in tools:
        if shutil.which(cmd[0]) is None:
            out.append(
                Check(
                    name,
                    level,
                    t("không có", "missing"),
                    f"apt-get install {package}",
                )
            )
            continue
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        version = (done.stdout or done.stderr).strip().splitlines()[:1]
        out.append(Check(name, "ok", version[0] if version else "?"))
    try:
        from ocr.tesseract import check_tesseract

        out.append(Check("tesseract vie", "ok", check_tesseract("vie")))
    except SohoaError as exc:
        out.append(Check("tesseract vie", "error", exc.message(), "bash scripts/setup"))
    for package in ("asterocr", "onnxruntime", "pyhanko", "tantivy"):
        try:
            out.append(Check(package, "ok", importlib.metadata.version(package)))
        except importlib.metadata.PackageNotFoundError:
            out.append(
                Check(package, "error", t("chưa cài", "not installed"), "bash scripts/setup")
            )
    return out


def _store(archive: Archive) -> list[Check]:
    out = []
    try:
        version = schema_version(archive)
    except SohoaError as exc:
        return [Check("store", "error", exc.message(), "SOHOA_DB_URL / --archive")]
    where = archive.engine.url.render_as_string(hide_password=True)
    out.append(
        Check("store", "ok", t(f"{where}, lược đồ {version}", f"{where}, schema {version}"))
        if version == SCHEMA_VERSION
        else Check("store", "error", f"schema {version} != {SCHEMA_VERSION}", "upgrade sohoa")
    )
    out.append(_disk(archive))
    _, check = indexing.verify(archive)
    jobs = store.pending_jobs(archive)
    if check.ok and not jobs:
        out.append(Check("index", "ok", t("khớp với kho", "in step with the store")))
    else:
        found = t(
            f"thiếu {len(check.missing)}, cũ {len(check.stale)}, thừa {len(check.extra)}, "
            f"việc chờ {len(jobs.doc_ids)}",
            f"missing {len(check.missing)}, stale {len(check.stale)}, extra {len(check.extra)}, "
            f"jobs pending {len(jobs.doc_ids)}",
        )
        out.append(Check("index", "warning", found, "sohoa reindex --repair"))
    out.append(_fixity_sample(archive))
    out.append(_trust(archive))
    return out


def _disk(archive: Archive) -> Check:
    """Free space against the archive's growth per day since its first batch."""
    free = shutil.disk_usage(archive.root).free
    with archive.reading() as s:
        first = s.scalar(select(func.min(Batch.created_at)))
        stored = int(s.scalar(select(func.sum(SourceFile.size))) or 0)
    if first is None or stored == 0:
        return Check("disk", "ok", t(f"còn trống {free / 1e9:.1f} GB", f"{free / 1e9:.1f} GB free"))
    if first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    days = max(1.0, (dt.datetime.now(dt.UTC) - first).total_seconds() / 86400)
    per_day = stored / days
    room = free / per_day if per_day else float("inf")
    found = t(
        f"còn trống {free / 1e9:.1f} GB, kho tăng {per_day / 1e9:.2f} GB/ngày: đủ {room:.0f} ngày",
        f"{free / 1e9:.1f} GB free, the archive grows {per_day / 1e9:.2f} GB a day: "
        f"{room:.0f} days of room",
    )
    if room < DAYS_OF_ROOM:
        return Check("disk", "warning", found, t("thêm dung lượng đĩa", "add disk space"))
    return Check("disk", "ok", found)


def _fixity_sample(archive: Archive) -> Check:
    with archive.reading() as s:
        files = sorted(set(s.scalars(select(SourceFile.sha256))))
    sample = random.sample(files, min(FIXITY_SAMPLE, len(files)))
    bad = [sha for sha in sample if not archive.blobs.has(sha) or not archive.blobs.verify(sha)]
    found = t(f"{len(sample)} bản gốc ngẫu nhiên", f"{len(sample)} random originals")
    if bad:
        return Check(
            "fixity",
            "error",
            found + t(f": {len(bad)} thiếu hoặc hỏng", f": {len(bad)} missing or corrupt"),
            "sohoa fixity ; sohoa restore",
        )
    return Check("fixity", "ok", found + t(": tốt", ": good"))


def _trust(archive: Archive) -> Check:
    from signing.trust import load_trust_roots, trust_dir, unreadable_roots

    folder = trust_dir(archive.root)
    roots = load_trust_roots(folder) if folder.is_dir() else ()
    broken = unreadable_roots(folder) if folder.is_dir() else ()
    if broken:
        return Check("trust roots", "warning", ", ".join(broken), f"{folder}: PEM/DER")
    if not roots:
        return Check(
            "trust roots",
            "warning",
            t(
                "chưa cài chứng thư gốc: chữ ký số chỉ được kiểm tính toàn vẹn",
                "none installed: digital signatures are checked for integrity only",
            ),
            t(
                f"chép chứng thư gốc vào {folder}, rồi sohoa fixity --signatures",
                f"copy the root certificates into {folder}, then sohoa fixity --signatures",
            ),
        )
    return Check("trust roots", "ok", t(f"{len(roots)} chứng thư gốc", f"{len(roots)} roots"))


def retention_due(archive: Archive, on: dt.date | None = None) -> list[dict]:
    """Dossiers whose retention period (thời hạn bảo quản) has run out by `on`, for the
    appraisal council; sohoa deletes nothing on its own.

    The period counts from the first of January of the year after the dossier's last year
    (thoi_gian "2019-2020" and "10 năm": due on 2031-01-01). "Vĩnh viễn" is never due; a dossier
    without its years or its period is listed apart, to be completed.
    """
    on = on or dt.date.today()
    out = []
    counts = store.dossier_document_counts(archive)
    for code, details in store.dossiers(archive):
        details = details or {}
        period = str(details.get("thoi_han_bao_quan") or "").strip()
        years = [int(y) for y in _years(str(details.get("thoi_gian") or ""))]
        entry = {
            "ho_so": code,
            "title": details.get("ho_so_title"),
            "thoi_gian": details.get("thoi_gian"),
            "thoi_han_bao_quan": period or None,
            "documents": counts.get(code, 0),
        }
        if period.lower().startswith("vĩnh viễn"):
            continue
        n = _period_years(period)
        if n is None or not years:
            note = t("thiếu năm hoặc thời hạn", "years or period missing")
            out.append({**entry, "due": None, "note": note})
            continue
        due = dt.date(max(years) + 1 + n, 1, 1)
        if due <= on:
            out.append({**entry, "due": due.isoformat(), "note": None})
    return out


def _years(text: str) -> list[str]:
    return re.findall(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", text)


def _period_years(text: str) -> int | None:
    match = re.match(r"\s*(\d{1,3})\s*năm", text.lower())
    return int(match.group(1)) if match else None
