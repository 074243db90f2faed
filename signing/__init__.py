"""Digital signatures of delivered PDFs: found, checked (pyHanko) against the archive's trust roots.

A package of its own because it is neither OCR (it reads whole files, not pages) nor the store
(it never touches the database): ingest, `show`, the export and `fixity` all use it, and the
store keeps what it found (archive_store.signatures).
"""
