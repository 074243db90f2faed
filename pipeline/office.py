"""Triage of Office documents: keep the original as delivered, read its pages from a PDF of it.

The original (.docx, .doc, .odt) is kept byte for byte in the blob store and registered as a
file of the batch with no pages of its own; LibreOffice's PDF of it is kept beside it, named
`<file>.pdf` in the batch (`bao-cao.docx.pdf`), and its pages are read like any born-digital
PDF's (their text layer, ocr/textlayer.py). A re-run with the same original reuses the PDF.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from archive_store import store
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from ocr.loader import inspect_scan
from ocr.office import convert_to_pdf, office_kind
from pipeline.planning import ScanFile

RENDITION_SUFFIX = ".pdf"


def is_office(path: Path) -> bool:
    return office_kind(path) is not None


def take(
    archive: Archive, batch_id: int, rel: str, path: Path, known: dict[str, store.KnownFile]
) -> ScanFile:
    """Keep the original and its PDF, register both; the PDF is the file whose pages are read.

    Raises InputError (naming `rel`) when LibreOffice cannot convert the document, and
    MissingDependency when LibreOffice is not installed.
    """
    kind = office_kind(path) or "office"
    stat = path.stat()
    sha = sha256_file(path)
    rendition = rel + RENDITION_SUFFIX
    before, before_pdf = known.get(rel), known.get(rendition)
    if (
        before is not None
        and before_pdf is not None
        and before.sha256 == sha
        and archive.blobs.path_for(before_pdf.sha256).is_file()
    ):
        pdf_sha, pdf_size, pages = before_pdf.sha256, before_pdf.size, before_pdf.pages
    else:
        with tempfile.TemporaryDirectory(prefix="sohoa-office-") as tmp:
            pdf = convert_to_pdf(path, Path(tmp) / "rendition.pdf", name=rel)
            pages = inspect_scan(pdf).pages
            pdf_sha, pdf_size = sha256_file(pdf), pdf.stat().st_size
            archive.blobs.put(pdf, pdf_sha)
    archive.blobs.put(path, sha)
    store.resolve_file_failures(archive, batch_id, rel)
    # The original has no pages of its own: its pages are the rendition's.
    store.register_file(
        archive, batch_id, store.KnownFile(rel, sha, stat.st_size, stat.st_mtime_ns, kind, 0)
    )
    store.register_file(
        archive, batch_id, store.KnownFile(rendition, pdf_sha, pdf_size, None, "pdf", pages)
    )
    return ScanFile(rendition, pdf_sha, pages)
