"""Imported by the OCR workers' fork server: the models loaded once, before any worker starts.

The process pool (pipeline/executor.py) forks its workers from one server process; what that
process has imported and loaded, every worker has from its first instruction, without paying
for it again: Python's imports (~1.6 s of CPU here), Tesseract's models and AsterOCR's (~0.9 s):
the page's, the line re-reader's, and the digits reader of the handwritten blanks.
"""

from __future__ import annotations

import contextlib
import os
import threading

# Any error here would kill the fork server, and every worker with it: the first page reports
# what is missing instead, with its file and page named. What the loading thread uses is
# imported here first, so the two threads never import the same module at once.
with contextlib.suppress(Exception):
    import asterocr  # noqa: F401
    import onnxruntime  # noqa: F401
    import tesserocr  # noqa: F401

    from ocr.engine import get_engine
    from ocr.page import warm_up
    from ocr.recognizers import get_recognizer
    from ocr.second_opinion import enabled
    from ocr.tesseract import check_tesseract


def _load() -> None:
    with contextlib.suppress(Exception):
        # The blanks written by hand are read in the worker too, second opinion or not.
        get_recognizer("asterocr")
        get_recognizer("tesseract-digits")
        if enabled():
            get_recognizer("tesseract-line")


def _before_fork() -> None:
    if threading.current_thread() is _loader:
        return
    _loader.join()
    with contextlib.suppress(Exception):
        warm_up()  # the page model is kept per thread: loaded in the thread that forks


# The tesseract program runs here, before the loading thread starts: the fork server's loop,
# once the imports are done, reaps every child of the server that ends, and would take the
# program's exit status from under the thread (a "waitpid returned unexpected pid" warning).
with contextlib.suppress(Exception):
    check_tesseract("vie")  # runs the program twice; the models' loaders then know tessdata

# The models load beside the server's other imports (the CLI's), and are all loaded before the
# first worker forks: a fork copies only the thread that forks.
_loader = threading.Thread(target=_load, name="sohoa-ocr-preload", daemon=True)
_loader.start()
os.register_at_fork(before=_before_fork)
# The page model meanwhile, in this thread, the one that forks (each Tesseract has its own
# API object, loaded in its own thread), instead of at the first fork after all the rest.
with contextlib.suppress(Exception):
    get_engine().load("vie")
