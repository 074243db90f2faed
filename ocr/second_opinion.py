"""The second opinion: words Tesseract is unsure of, re-read from their crops, and when to take it.

Tesseract reads the page once. Nearly all its errors on real scans are tone marks or other
diacritics on an otherwise right word (mấy -> máy, số -> sô, QUYẾT -> QUYÉT), and most of the
words it gets wrong it is itself unsure of. Those words are cut out of the page (with their
line's height, so every crop has the same scale of type) and read again by a recognizer
trained on Vietnamese (AsterOCR). Its reading replaces Tesseract's only where the two differ
in diacritics alone (same letters, same case), the result is well-formed Vietnamese, and the
second recognizer is sure of every character: a word Tesseract read as other letters is left
as it read it. Wherever the two differ the word keeps both readings, so search can find
either and a person can settle it.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import median

import numpy as np

from ocr.recognizers import Reading, Recognizer, get_recognizer
from ocr.syllable import ONSETS, RHYMES, is_syllable
from ocr.textnorm import normalize_text
from ocr.types import Word

SWITCH_ENV = "SOHOA_OCR_SECOND_OPINION"
"""Environment variable: "on" (the default) or "off" (Tesseract alone)."""

GATE = 90.0
"""Words whose Tesseract confidence is under this are re-read. On real 300-dpi office scans
about a tenth of the words are; clean rendered pages have almost none."""

MIN_SURE = 90.0
"""The second reading is taken only when each of its characters is this sure (the confidence
asked of Tesseract's words too)."""

MIN_SURE_ILL_FORMED = 50.0
"""Where Tesseract's reading is not a Vietnamese syllable at all (QUYÉT, đât) it cannot be
right: a well-formed second reading is taken when each of its characters is more likely than
not."""

HARD_PAGE_SHARE = 0.05
"""A page where Tesseract is unsure of at least 1 word in 20 is a hard scan (real office scans
here: 6-12%; clean rendered pages: 2-3%). There the words it is sure of that carry a bare
circumflex (â ê ô without a tone mark) are re-read too: the tone mark stacked above a
circumflex is the thinnest mark on the page, the one Tesseract loses while still sure of the
word (số -> sô, để -> đê, Tổ -> Tô read at 97). On clean pages it is not worth the time."""

MAX_CORE_CHARS = 40
"""Longer "words" are runs Tesseract failed to split (URLs, joined words): not re-read."""

_BARE_HAT = frozenset("âêôÂÊÔ")
_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d")


def enabled() -> bool:
    """Whether the second opinion runs (SOHOA_OCR_SECOND_OPINION, on unless "off")."""
    value = os.environ.get(SWITCH_ENV, "on").strip().lower()
    if value in ("on", "1", "true", "yes", ""):
        return True
    if value in ("off", "0", "false", "no"):
        return False
    raise ValueError(f"{SWITCH_ENV} must be on or off, not {value!r}")


@dataclass(frozen=True)
class Outcome:
    """What the second opinion did on one page."""

    words: tuple[Word, ...]
    reread: int
    """Words re-read by the second recognizer."""
    taken: int
    """Words whose second reading replaced Tesseract's."""
    recognizer: str
    """The second recognizer's name and version ("" when nothing was re-read)."""


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


def _split(text: str) -> tuple[str, str, str]:
    found = _CORE.match(text)
    assert found is not None  # the pattern matches every string
    return found.group(1), found.group(2), found.group(3)


def _skeletons() -> frozenset[str]:
    """Every syllable of the orthography with its diacritics taken off ("quyết" -> "quyet")."""
    out = set()
    for onset in ONSETS:
        for rhyme in RHYMES:
            out.add(_fold(onset + rhyme))
            if onset == "gi":
                out.add(_fold("g" + rhyme))  # gi + iêng is written giêng
            if onset == "qu":
                out.add(_fold("q" + rhyme))  # qu + uyêt is written quyêt
                if rhyme.startswith("o"):
                    out.add(_fold("qu" + rhyme[1:]))  # qu + oa is written qua
    return frozenset(out)


_SKELETONS = _skeletons()


def wants_second_look(word: Word, *, hard_page: bool = False) -> bool:
    """Whether a word is re-read: unsure (under GATE) or not Vietnamese as read (QUYÉT, đât),
    or on a hard page a sure word with a bare â, ê or ô; and a diacritics-only change could
    make it right (each letter run could be a syllable with other marks, or an abbreviation
    with D for Đ; no digits). Numbers, symbols and noise are left as Tesseract read them."""
    core = _split(word.text)[1]
    if not 0 < len(core) <= MAX_CORE_CHARS or _DIGITS.search(core):
        return False
    runs = _LETTERS.findall(core)
    if not runs:
        return False
    if word.conf >= GATE:
        return ill_formed(core) or (hard_page and any(c in _BARE_HAT for c in core))
    return all(_fold(run).lower() in _SKELETONS or (run.isupper() and "D" in run) for run in runs)


def is_hard_page(words: Sequence[Word]) -> bool:
    """A page where Tesseract is unsure of at least HARD_PAGE_SHARE of the words with letters."""
    lettered = [w for w in words if _LETTERS.search(w.text)]
    unsure = sum(w.conf < GATE for w in lettered)
    return bool(lettered) and unsure >= HARD_PAGE_SHARE * len(lettered)


def ill_formed(core: str) -> bool:
    """A word with a letter run that is no syllable as written but is one with other marks."""
    return any(
        not is_syllable(run) and _fold(run).lower() in _SKELETONS for run in _LETTERS.findall(core)
    )


def diacritics_only(first: str, second: str) -> bool:
    """True when two words differ, but only in diacritics (tone marks, ă â ê ô ơ ư, đ)."""
    return first != second and len(first) == len(second) and _fold(first) == _fold(second)


def merge(tesseract: Word, reading: Reading) -> Word:
    """The word to store, given Tesseract's word and the second reading of its crop."""
    lead, core, trail = _split(tesseract.text)
    other = normalize_text(unicodedata.normalize("NFC", reading.text))
    other_core = _split(other)[1]
    if not other_core or other_core == core:
        return tesseract  # agreement (punctuation aside): nothing to keep
    if _accept(core, other_core, reading.conf):
        return replace(
            tesseract,
            text=f"{lead}{other_core}{trail}",
            conf=reading.conf,
            engine="asterocr",
            alt_text=tesseract.text,
            alt_conf=tesseract.conf,
        )
    return replace(tesseract, alt_text=other, alt_conf=reading.conf)


def _accept(core: str, other: str, sure: float) -> bool:
    # Same letters in the same case: a second reading that sees other letters (or capitals
    # where Tesseract saw small ones) is a different word, and may be the wrong one.
    if not diacritics_only(core, other):
        return False
    if sure < (MIN_SURE_ILL_FORMED if ill_formed(core) else MIN_SURE):
        return False
    if _DIGITS.search(core):
        return False
    # Every syllable of the result must be well-formed Vietnamese, and so every syllable that
    # changed: "Ủy" -> "Ủỵ" (two tones) is refused. Abbreviations (HĐND) are one run of
    # capitals; they pass when only D/Đ changed.
    for mine, theirs in zip(_LETTERS.findall(core), _LETTERS.findall(other), strict=False):
        if mine == theirs:
            continue
        if is_syllable(theirs):
            continue
        if theirs.isupper() and _only_d_bar(mine, theirs):
            continue
        return False
    return True


def _only_d_bar(mine: str, theirs: str) -> bool:
    return all(a == b or (a, b) == ("D", "Đ") for a, b in zip(mine, theirs, strict=True))


def _line_bands(words: Sequence[Word]) -> dict[int, tuple[int, int]]:
    """Top and bottom of each line's ordinary words (tall stray marks do not stretch it)."""
    heights: dict[int, list[Word]] = {}
    for w in words:
        heights.setdefault(w.line, []).append(w)
    bands = {}
    for line, members in heights.items():
        typical = median(w.height for w in members)
        usual = [w for w in members if w.height <= 1.5 * typical] or members
        bands[line] = (min(w.top for w in usual), max(w.top + w.height for w in usual))
    return bands


def crop(image: np.ndarray, word: Word, band: tuple[int, int]) -> np.ndarray:
    """The word's box widened to its line's band, with a margin of a sixth of the band."""
    top, bottom = min(band[0], word.top), max(band[1], word.top + word.height)
    pad = max(2, (bottom - top) // 6)
    y0, y1 = max(0, top - pad), min(image.shape[0], bottom + pad)
    x0, x1 = max(0, word.left - pad), min(image.shape[1], word.left + word.width + pad)
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def second_opinion(
    image: np.ndarray,
    words: Sequence[Word],
    recognizer: Recognizer | None = None,
    *,
    third: Recognizer | None = None,
) -> Outcome:
    """Re-read the unsure words of a page from `image` (the greyscale page Tesseract read).

    `recognizer` gives the second reading (AsterOCR by default), `third` the third reading
    where the first two saw other letters (Tesseract's line mode on the crop by default).
    """
    hard = is_hard_page(words)
    unsure = [i for i, w in enumerate(words) if wants_second_look(w, hard_page=hard)]
    if not unsure:
        return Outcome(tuple(words), 0, 0, "")
    second = recognizer or get_recognizer()
    grey = image if image.ndim == 2 else image[..., 0]
    bands = _line_bands(words)
    crops = [crop(grey, words[i], bands[words[i].line]) for i in unsure]
    readings = second.read(crops)
    out = list(words)
    for i, reading in zip(unsure, readings, strict=True):
        out[i] = merge(words[i], reading)
    _third_reading(out, unsure, crops, third)
    taken = sum(out[i].engine != words[i].engine for i in unsure)
    return Outcome(tuple(out), len(unsure), taken, second.version())


def _third_reading(
    out: list[Word], unsure: list[int], crops: list[np.ndarray], third: Recognizer | None
) -> None:
    """Where the second reading saw other letters, a third reading of the crop decides: the
    second one is taken when the third agrees with it letter for letter and mark for mark."""
    contested = [
        (i, c)
        for i, c in zip(unsure, crops, strict=True)
        if out[i].engine == "tesseract" and out[i].alt_text and _plausible(out[i])
    ]
    if not contested:
        return
    third = third or get_recognizer("tesseract-line")
    for (i, _), reading in zip(contested, third.read([c for _, c in contested]), strict=True):
        word = out[i]
        theirs = _split(word.alt_text)[1]
        if _split(normalize_text(reading.text))[1] != theirs:
            continue
        lead, _, trail = _split(word.text)
        out[i] = replace(
            word,
            text=f"{lead}{theirs}{trail}",
            conf=word.alt_conf,
            engine="asterocr",
            alt_text=word.text,
            alt_conf=word.conf,
        )


def _plausible(word: Word) -> bool:
    """A second reading worth a third look: sure, letters only, every run well-formed."""
    theirs = _split(word.alt_text)[1]
    runs = _LETTERS.findall(theirs)
    return (
        word.alt_conf >= MIN_SURE
        and bool(runs)
        and not _DIGITS.search(theirs)
        and "".join(runs) == theirs.replace("-", "").replace("/", "")
        and all(is_syllable(run) for run in runs)
    )


def retext(text: str, before: Sequence[Word], after: Sequence[Word]) -> str:
    """The page text with each changed word replaced, its layout (lines, paragraphs) kept.

    Tesseract writes the text and the words from the same run, so the text's whitespace-
    separated tokens are the words in order; where they are not (a text from elsewhere), the
    text is rebuilt from the words, one line a line.
    """
    tokens = re.split(r"(\s+)", text)
    if [t for t in tokens[0::2] if t] != [w.text for w in before]:
        return text_of(after)
    changed = iter(a.text for a in after)
    return "".join(tok if (not tok or tok.isspace()) else next(changed) for tok in tokens)


def text_of(words: Sequence[Word]) -> str:
    """Text from words alone: a line a line, words joined by spaces."""
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return "\n".join(" ".join(parts) for _, parts in sorted(lines.items()))


def searchable_alternates(words: Sequence[Word]) -> tuple[tuple[str, str], ...]:
    """(word as stored, other reading) for the disputed words whose other reading search should
    find too: those that differ in diacritics alone, or whose other reading is well-formed
    Vietnamese. Noise a recognizer saw in a seal or a signature is not worth an index term."""
    out = []
    for w in words:
        if not w.alt_text:
            continue
        mine, theirs = _split(w.text)[1], _split(w.alt_text)[1]
        runs = _LETTERS.findall(theirs)
        if diacritics_only(mine.lower(), theirs.lower()) or (
            runs and all(is_syllable(run) for run in runs)
        ):
            out.append((w.text, w.alt_text))
    return tuple(out)
