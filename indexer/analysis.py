"""Vietnamese text analysis: NFC, words, one tone-placement convention, diacritic folding."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import NamedTuple

WORD_RE = re.compile(r"[\w\u0300-\u036f]+")
"""A word is a run of letters, digits or combining marks; "10-ĐA/TU" gives 10, ĐA, TU."""

MAX_WORD_CHARS = 60
"""Longer runs are OCR garbage (or base64); they are neither indexed nor highlighted."""

CACHE_WORDS = 300_000
"""Distinct words whose forms are kept: the archive vocabulary (syllables, names, numbers) is
far smaller; OCR noise beyond it is analyzed each time rather than held (about 100 MB here)."""

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_VOWELS = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS = frozenset("ăâêôơư")  # vowels whose shape carries the tone when present
_OWN_LETTERS = {"đ": "d", "ð": "d", "Đ": "D", "Ð": "D"}  # letters that do not decompose


class Token(NamedTuple):
    """One word of a text: where it is and its two index forms."""

    start: int
    end: int
    exact: str
    """Lowercase, NFC, tone mark placed by one convention (hoà -> hòa, uỷ -> ủy)."""
    folded: str
    """Lowercase without any diacritics, đ -> d: what a query typed without marks matches."""


def nfc(text: str) -> str:
    """Text in Unicode NFC (cheap when it already is)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _fold_uncached(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    bare = "".join(_OWN_LETTERS.get(c, c) for c in decomposed if not unicodedata.combining(c))
    return bare


def fold_chars(text: str) -> str:
    """Each character without its diacritics (đ -> d), case kept: the folding of forms()."""
    return _fold_uncached(text)


def place_tone(word: str) -> str:
    """Put a lowercase syllable's tone mark where the traditional convention puts it.

    Archives mix "hoà"/"hòa" and "uỷ"/"ủy" (old and new placement). Any fixed rule makes both
    spellings one index term; the traditional one (hòa, thủy, khỏe, ủy) is what most typists use.
    Words that are not one Vietnamese syllable with one tone mark come back unchanged.
    """
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return word
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    vowel_at = [i for i, c in enumerate(base) if c in _VOWELS]
    if not vowel_at or vowel_at[-1] - vowel_at[0] + 1 != len(vowel_at):
        return word  # two vowel groups: not a syllable
    first, last = vowel_at[0], vowel_at[-1]
    # "qu" and "gi" before another vowel are consonants: the tone never sits on that u / i.
    if first == 1 and last > first and base[:2] in ("qu", "gi"):
        first = 2
    nucleus = range(first, last + 1)
    marked = [i for i in nucleus if base[i] in _MARKED_VOWELS]
    if marked:
        at = marked[-1]  # ươ -> ơ, uyê -> ê
    elif last + 1 < len(base):
        at = last  # closed syllable: hoàn, thuyết
    elif len(nucleus) == 3:
        at = first + 1  # ngoài, khuỷu
    elif len(nucleus) <= 2:
        at = first  # open syllable, traditional: hòa, thủy, khỏe, tài
    else:
        return word
    return base[:at] + unicodedata.normalize("NFC", base[at] + tones[0]) + base[at + 1 :]


_FORMS: dict[str, tuple[str, str]] = {}


def forms(word: str) -> tuple[str, str]:
    """(exact, folded) of a lowercase NFC word; cached, since archive vocabulary is small."""
    pair = _FORMS.get(word)
    if pair is None:
        # Ð (U+00D0, eth) is how OCR often reads Đ; in Vietnamese text it is always Đ.
        pair = (place_tone(word.replace("ð", "đ")), _fold_uncached(word))
        if len(_FORMS) < CACHE_WORDS:
            _FORMS[word] = pair
    return pair


def fold(word: str) -> str:
    """The folded form of a word: lowercase, no diacritics, đ -> d."""
    return forms(nfc(word).lower())[1]


def is_marked(word: str) -> bool:
    """Whether a word was typed with diacritics (so a query matches only that spelling)."""
    exact, folded = forms(nfc(word).lower())
    return exact != folded


def tokens(text: str) -> list[Token]:
    """The words of a text with their character offsets in it (text must be NFC)."""
    out: list[Token] = []
    for match in WORD_RE.finditer(text):
        word = match.group()
        if len(word) > MAX_WORD_CHARS:
            continue
        exact, folded = forms(word.lower())
        out.append(Token(match.start(), match.end(), exact, folded))
    return out


def words(text: str) -> Iterator[tuple[str, str]]:
    """(exact, folded) for each word, without offsets: the fast path for indexing."""
    get = _FORMS.get
    for word in WORD_RE.findall(nfc(text).lower()):
        if len(word) > MAX_WORD_CHARS:
            continue
        pair = get(word)
        yield pair if pair is not None else forms(word)


def normalize_number(folded: str) -> str:
    """A number token without leading zeros ("05" -> "5"), so so:5 finds "Số 05-CT/TU"."""
    if folded.isdigit():
        return folded.lstrip("0") or "0"
    return folded


def symbol_terms(value: str) -> list[str]:
    """The folded words of a number-and-symbol ("10-ĐA/TU" -> ["10", "da", "tu"]).

    Folded only: OCR reads Đ as D or Ð and drops spaces or slashes, so a symbol matches on its
    letters and numbers whatever the marks and separators.
    """
    return [normalize_number(folded) for _, folded in words(value)]


def keyword(value: str) -> tuple[str, str]:
    """(exact, folded) of a short whole value ("Tối mật" -> "tối mật", "toi mat")."""
    pairs = list(words(value))
    return " ".join(e for e, _ in pairs), " ".join(f for _, f in pairs)


ALT = "\u2063"
"""Joins a word as read to the other reading OCR gave it, in the text an index is built from
("máy\u2063mấy"): the invisible separator, neither whitespace nor part of a word, never
occurs in OCR text."""


def mark_alternates(text: str, alternates: Sequence[tuple[str, str]]) -> str:
    """The text with each disputed word followed by its other reading (see ALT).

    `alternates` are (word as in the text, other reading) in reading order; each is matched to
    the next whitespace-separated chunk of the text that is that word. A pair that cannot be
    placed (the text was edited, or came from elsewhere) is left out.
    """
    if not alternates:
        return text
    parts = re.split(r"(\s+)", nfc(text))
    pairs = iter(alternates)
    pending = next(pairs, None)
    for i in range(0, len(parts), 2):
        if pending is None:
            break
        if parts[i] and parts[i] == nfc(pending[0]):
            parts[i] = f"{parts[i]}{ALT}{nfc(pending[1])}"
            pending = next(pairs, None)
    return "".join(parts)


class Stacked(NamedTuple):
    """One word position of an indexed text: its forms, and an OCR alternative's forms."""

    exact: str
    folded: str
    alt_exact: str | None = None
    alt_folded: str | None = None


def stacked_words(text: str) -> Iterator[Stacked]:
    """The words of a marked text (mark_alternates) in order, each with its alternative.

    A disputed word's other reading stands at the same position when it has as many words
    (a different word count cannot be placed word by word, so it is not indexed).
    """
    for chunk in nfc(text).lower().split():
        chosen, _, other = chunk.partition(ALT)
        mine = [w for w in WORD_RE.findall(chosen) if len(w) <= MAX_WORD_CHARS]
        theirs = [w for w in WORD_RE.findall(other) if len(w) <= MAX_WORD_CHARS]
        if other and len(theirs) != len(mine):
            theirs = []
        for k, word in enumerate(mine):
            exact, folded = forms(word)
            if theirs:
                alt_exact, alt_folded = forms(theirs[k])
                yield Stacked(exact, folded, alt_exact, alt_folded)
            else:
                yield Stacked(exact, folded)
