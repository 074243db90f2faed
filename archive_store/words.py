"""Compact storage of a page's words: compressed columns of text, box, confidence and line."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from ocr.types import Word

_MAGIC = b"SW1"
_SEP = "\x1f"  # unit separator: never occurs in OCR text


def encode_words(words: Sequence[Word]) -> bytes:
    """Pack words into bytes, about 6x smaller than the hOCR they came from."""
    n = len(words)
    ints = np.empty((6, n), dtype="<i4")
    for i, w in enumerate(words):
        ints[:, i] = (w.left, w.top, w.width, w.height, w.line, round(w.conf * 10))
    text = _SEP.join(w.text for w in words).encode("utf-8")
    header = n.to_bytes(4, "little")
    return _MAGIC + zlib.compress(header + ints.tobytes() + text, 6)


def decode_words(blob: bytes) -> tuple[Word, ...]:
    """Unpack what encode_words wrote."""
    if not blob.startswith(_MAGIC):
        raise ValueError("not a sohoa word blob")
    raw = zlib.decompress(blob[len(_MAGIC) :])
    n = int.from_bytes(raw[:4], "little")
    if n == 0:
        return ()
    ints = np.frombuffer(raw[4 : 4 + 24 * n], dtype="<i4").reshape(6, n)
    texts = raw[4 + 24 * n :].decode("utf-8").split(_SEP)
    return tuple(
        Word(
            text=texts[i],
            left=int(ints[0, i]),
            top=int(ints[1, i]),
            width=int(ints[2, i]),
            height=int(ints[3, i]),
            line=int(ints[4, i]),
            conf=int(ints[5, i]) / 10,
        )
        for i in range(n)
    )
