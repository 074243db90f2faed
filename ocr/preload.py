"""Imported by the OCR workers' fork server: the models loaded once, before any worker starts.

The process pool (pipeline/executor.py) forks its workers from one server process; what that
process has imported and loaded, every worker has from its first instruction, without paying
for it again: Python's imports (~1.6 s of CPU here), Tesseract's model and AsterOCR's (~0.9 s).
"""

from __future__ import annotations

import contextlib

# Any error here would kill the fork server, and every worker with it: the first page reports
# what is missing instead, with its file and page named.
with contextlib.suppress(Exception):
    from ocr.page import warm_up

    warm_up()
