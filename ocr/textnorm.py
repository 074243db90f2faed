"""Normalizing OCR text: Unicode NFC and the look-alike letters Tesseract emits for Vietnamese."""

from __future__ import annotations

import re
import unicodedata
from itertools import product

from ocr.syllable import is_syllable

# Icelandic eth is drawn exactly like Vietnamese Đ and never occurs in Vietnamese text, so it is
# always the wrong code point for the same letter. Tesseract writes the fraction slash (U+2044)
# or the division slash (U+2215) for a slash ("V⁄v nâng cao"): a phrase search for "V/v" and the
# symbol "10-ĐA/TU" need the real one.
_ALWAYS = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111", "\u2044": "/", "\u2215": "/"})

# Letters in vie's character set that Vietnamese does not use, with the Vietnamese letters they
# are misread for, most likely first. One is used only where it makes a well-formed syllable.
_STRAY: dict[str, tuple[str, ...]] = {
    "Ä": ("Ă", "Â", "Ã", "A"),
    "ä": ("ă", "â", "ã", "a"),
    "Ö": ("Ô", "Ơ", "Õ", "O"),
    "ö": ("ô", "ơ", "õ", "o"),
    "Ø": ("Ơ", "Ô", "O"),
    "ø": ("ơ", "ô", "o"),
    "Ï": ("Ĩ", "I"),
    "ï": ("ĩ", "i"),
    "Ÿ": ("Ỹ", "Y"),
    "ÿ": ("ỹ", "y"),
    "Š": ("S",),
    "š": ("s",),
    "Ñ": ("N",),
    "ñ": ("n",),
    "Ë": ("Ê", "Ẽ", "E"),
    "ë": ("ê", "ẽ", "e"),
    "Ü": ("Ư", "Ũ", "U"),
    "ü": ("ư", "ũ", "u"),
}

_WORD = re.compile(r"[^\W\d_]+")


def _fix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    strays = [i for i, ch in enumerate(word) if ch in _STRAY]
    # More than a few stray letters in one word is not a misread syllable but another language.
    if not strays or len(strays) > 3:
        return word
    for choice in product(*(_STRAY[word[i]] for i in strays)):
        letters = list(word)
        for i, candidate in zip(strays, choice, strict=True):
            letters[i] = candidate
        fixed = unicodedata.normalize("NFC", "".join(letters))
        if is_syllable(fixed):
            return fixed
    return word


def normalize_text(text: str) -> str:
    """NFC text with look-alike letters replaced by the Vietnamese letters they stand for.

    Correct Vietnamese text is returned unchanged (apart from NFC): Ð/ð become Đ/đ and the
    slash look-alikes ⁄ ∕ become / everywhere, other stray letters (Ä, Ö, Ø, Š, ...) only inside
    a word they turn into a well-formed Vietnamese syllable.
    """
    text = unicodedata.normalize("NFC", text).translate(_ALWAYS)
    if not any(ch in _STRAY for ch in text):
        return text
    return _WORD.sub(_fix_word, text)
