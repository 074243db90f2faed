"""Compact storage of a page's words: compressed columns of text, box, confidence, line and
which recognizer read each word (with the other reading where two disagreed)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from ocr.types import Word

_MAGIC_V1 = b"SW1"
"""Text, box, confidence, line (sohoa before the second opinion; still read)."""
_MAGIC = b"SW2"
"""Also the engine of each word and the other reading with its confidence."""
_SEP = "\x1f"  # unit separator: never occurs in OCR text
_GROUP = "\x1d"  # group separator: between the texts, the other readings and the engine names
_INTS_V1 = 6
_INTS = 8


def encode_words(words: Sequence[Word]) -> bytes:
    """Pack words into bytes, about 6x smaller than the hOCR they came from."""
    n = len(words)
    engines = list(dict.fromkeys(w.engine for w in words))
    code = {name: i for i, name in enumerate(engines)}
    ints = np.empty((_INTS, n), dtype="<i4")
    for i, w in enumerate(words):
        ints[:, i] = (
            w.left,
            w.top,
            w.width,
            w.height,
            w.line,
            round(w.conf * 10),
            code[w.engine],
            round(w.alt_conf * 10),
        )
    text = _GROUP.join(
        (
            _SEP.join(w.text for w in words),
            _SEP.join(w.alt_text for w in words),
            _SEP.join(engines),
        )
    ).encode("utf-8")
    header = n.to_bytes(4, "little")
    return _MAGIC + zlib.compress(header + ints.tobytes() + text, 6)


def decode_words(blob: bytes) -> tuple[Word, ...]:
    """Unpack what encode_words wrote, now or before the second opinion (SW1)."""
    if blob.startswith(_MAGIC):
        rows = _INTS
    elif blob.startswith(_MAGIC_V1):
        rows = _INTS_V1
    else:
        raise ValueError("not a sohoa word blob")
    raw = zlib.decompress(blob[len(_MAGIC) :])
    n = int.from_bytes(raw[:4], "little")
    if n == 0:
        return ()
    ints = np.frombuffer(raw[4 : 4 + 4 * rows * n], dtype="<i4").reshape(rows, n)
    rest = raw[4 + 4 * rows * n :].decode("utf-8")
    if rows == _INTS_V1:
        texts = rest.split(_SEP)
        alts = [""] * n
        engines = ["tesseract"]
        codes = [0] * n
        alt_confs = [0] * n
    else:
        text_part, alt_part, engine_part = rest.split(_GROUP)
        texts, alts, engines = text_part.split(_SEP), alt_part.split(_SEP), engine_part.split(_SEP)
        codes = ints[6].tolist()
        alt_confs = ints[7].tolist()
    # Whole columns to Python ints at once: indexing the array per word cost 8 NumPy
    # scalars a word, most of the time a page's words take to read back.
    lefts, tops, widths, heights, lines, confs = ints[:6].tolist()
    return tuple(
        Word(
            texts[i],
            lefts[i],
            tops[i],
            widths[i],
            heights[i],
            confs[i] / 10,
            lines[i],
            engines[codes[i]],
            alts[i],
            alt_confs[i] / 10,
        )
        for i in range(n)
    )
