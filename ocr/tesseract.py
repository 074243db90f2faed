"""The Tesseract program: is it installed (which version, which languages), and one run per page."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image

from ocr.types import Word
from sohoa.errors import MissingDependency

TESSERACT_TIMEOUT_S = 600
"""A page that takes Tesseract longer than this is stuck; the worker moves on."""

_LANG_PACKAGE = {"vie": "tesseract-ocr-vie", "eng": "tesseract-ocr-eng", "osd": "tesseract-ocr-osd"}

_checked: dict[str, str] = {}
_tessdata: list[Path] = []


class TesseractFailed(RuntimeError):
    """Tesseract ran but did not produce a result for this image (crash, timeout, bad image)."""


def _missing_program() -> MissingDependency:
    return MissingDependency(
        "Chưa cài Tesseract OCR: hãy chạy `sudo apt-get install tesseract-ocr tesseract-ocr-vie`"
        " (hoặc scripts/setup) rồi chạy lại.",
        "Tesseract OCR is not installed: run `sudo apt-get install tesseract-ocr"
        " tesseract-ocr-vie` (or scripts/setup) and run again.",
    )


def _missing_lang(lang: str) -> MissingDependency:
    package = _LANG_PACKAGE.get(lang, f"tesseract-ocr-{lang}")
    return MissingDependency(
        f"Tesseract chưa có mô hình ngôn ngữ '{lang}': hãy chạy `sudo apt-get install {package}`"
        " rồi chạy lại.",
        f"Tesseract has no '{lang}' language model: run `sudo apt-get install {package}`"
        " and run again.",
    )


def _run_cli(*args: str) -> str:
    try:
        done = subprocess.run(
            [pytesseract.pytesseract.tesseract_cmd, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise _missing_program() from exc
    return done.stdout + done.stderr


def check_tesseract(lang: str = "vie") -> str:
    """Tesseract's version (e.g. "5.3.0") once it is known to read `lang` ("vie", "vie+eng").

    Raises MissingDependency naming the apt package to install. Cached per process after the
    first success, so workers can call it for every page.
    """
    if lang in _checked:
        return _checked[lang]
    first = _run_cli("--version").strip().splitlines()
    if not first or not first[0].lower().startswith("tesseract"):
        raise _missing_program()
    version = first[0].split()[-1].lstrip("v")
    listing = _run_cli("--list-langs")
    listed = listing.split()
    for one in lang.split("+"):
        if one not in listed:
            raise _missing_lang(one)
    found = re.search(r'languages in "([^"]+)"', listing)
    if found and not _tessdata:
        _tessdata.append(Path(found.group(1)))
    _checked[lang] = version
    return version


def tessdata_dir() -> Path:
    """The folder holding the language models the tesseract program uses."""
    if os.environ.get("TESSDATA_PREFIX"):
        return Path(os.environ["TESSDATA_PREFIX"])
    if not _tessdata:
        check_tesseract("osd" if "osd" in _run_cli("--list-langs").split() else "eng")
    if not _tessdata:
        raise _missing_program()
    return _tessdata[0]


def detect_orientation(image: np.ndarray, dpi: int) -> tuple[int, float] | None:
    """Tesseract's orientation detection (OSD): the clockwise turn that sets the page upright
    and its confidence, or None when OSD is not installed or finds too little text.

    An extra Tesseract call (~0.2 s at 150 dpi); the cleanup asks only when the page's own
    diacritics cannot tell up from down (pages of figures, foreign text).
    """
    try:
        check_tesseract("osd")
    except MissingDependency:
        return None
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        found = pytesseract.image_to_osd(
            Image.fromarray(image),
            config=f"--psm 0 --dpi {int(dpi) or 300}",
            output_type=pytesseract.Output.DICT,
            timeout=60,
        )
    except (pytesseract.TesseractError, RuntimeError):
        return None
    return int(found["rotate"]) % 360, float(found["orientation_conf"])


def _write_input(image: Image.Image | np.ndarray, folder: Path) -> Path:
    """Save the image uncompressed: PNG's deflate would cost more than a fast OCR run."""
    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    if pil.mode not in ("1", "L", "RGB"):
        pil = pil.convert("RGB")
    path = folder / ("page.pbm" if pil.mode == "1" else "page.pnm")
    pil.save(path, format="PPM")
    return path


DEFAULT_PSM = 4
"""Page segmentation "single column of text of variable sizes": administrative documents are one
column under a two-column header. Measured on the sample batch it reads every page at least as
well as the automatic mode 3, and it keeps short isolated marks ("MẬT", "KHẨN") that mode 3
drops as noise, which access control depends on."""


SKIP_WORK = {"tessedit_do_invert": "0"}
"""Tesseract settings that skip work: no search for inverted text (light letters on a dark
ground, which the documents of an archive do not print) in each line Tesseract is unsure of:
~5% of its time on the real office scans, the same text on the rendered pages, and on the
real ones a difference only in seal and signature noise (README, "Measured figures")."""


def skip_work_config() -> str:
    """SKIP_WORK as options of the tesseract program."""
    return " ".join(f"-c {name}={value}" for name, value in SKIP_WORK.items())


def run_tesseract(
    image: Image.Image | np.ndarray, *, lang: str = "vie", dpi: int = 300, psm: int = DEFAULT_PSM
) -> tuple[str, list[Word]]:
    """OCR one page image in exactly one Tesseract run: the text and the words with boxes.

    Both outputs (txt and tsv) come from the same run, so the stored words are exactly the ones
    the text was made from. Text and words are returned as Tesseract wrote them (no
    normalization). Raises MissingDependency when Tesseract or `lang` is missing and
    TesseractFailed when the run fails.
    """
    # Tesseract's OpenMP threads fight the process pool for cores; one thread per process is
    # faster in total. The executor sets it too; this covers every other caller.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    with tempfile.TemporaryDirectory(prefix="sohoa-tess-") as tmp:
        folder = Path(tmp)
        source = _write_input(image, folder)
        base = folder / "out"
        try:
            pytesseract.pytesseract.run_tesseract(
                str(source),
                str(base),
                extension="txt",
                lang=lang,
                config=f"--dpi {int(dpi) or 300} --psm {psm} -c tessedit_create_tsv=1 "
                + skip_work_config(),
                timeout=TESSERACT_TIMEOUT_S,
            )
        except pytesseract.TesseractNotFoundError as exc:
            raise _missing_program() from exc
        except pytesseract.TesseractError as exc:
            message = str(exc.message)
            if "Failed loading language" in message or "Error opening data file" in message:
                raise _missing_lang(lang.split("+")[0]) from exc
            raise TesseractFailed(message.strip() or f"exit status {exc.status}") from exc
        except RuntimeError as exc:  # pytesseract's timeout
            raise TesseractFailed(str(exc)) from exc
        try:
            text = (base.with_suffix(".txt")).read_text(encoding="utf-8")
            tsv = (base.with_suffix(".tsv")).read_text(encoding="utf-8")
        except OSError as exc:
            raise TesseractFailed(f"Tesseract wrote no output: {exc}") from exc
    # Tesseract ends each page with a form feed; the store keeps pages apart itself.
    return text.replace("\f", "").rstrip(), parse_tsv(tsv)


def parse_tsv(tsv: str) -> list[Word]:
    """Words (level 5 rows) of Tesseract's TSV output, numbered by line in reading order."""
    words: list[Word] = []
    line_of: dict[tuple[str, str, str, str], int] = {}
    for row in tsv.splitlines()[1:]:
        # Split on tabs only: a word may itself be a quote character, so no csv module.
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        try:
            conf = float(cols[10])
            left, top, width, height = (int(c) for c in cols[6:10])
        except ValueError:
            continue
        key = (cols[1], cols[2], cols[3], cols[4])
        line = line_of.setdefault(key, len(line_of))
        words.append(Word(text, left, top, width, height, max(conf, 0.0), line))
    return words
