"""Snippets: the part of a page where the query matches, matched words in [[ ]] as printed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import accumulate

from indexer.analysis import MAX_WORD_CHARS, WORD_RE, fold_chars, forms, nfc
from indexer.query import QTerm, Text

SNIPPET_CHARS = 240
"""About two lines of a typed page: enough context to judge a hit."""

_SPACES = re.compile(r"\s+")
_SPACE = re.compile(r"\s")
_SPLIT = re.compile(f"({WORD_RE.pattern})")
_WORD_CHAR = re.compile(WORD_RE.pattern[:-1])  # one character of a word
_FOLDABLE = re.compile(r"[a-z0-9]+")
_MARKS = re.compile(r"[\u0300-\u036f]")


@cache
def _folding_to() -> dict[str, str]:
    """Each lowercase ASCII letter and digit -> a regex class of every character that folds
    to it (analysis.forms: diacritics off, đ -> d).

    No character folds to two or more ASCII letters or digits, and none beyond the Basic
    Multilingual Plane folds to one at all (checked over all of Unicode when this was written).
    Marks that fold to nothing (a combining accent NFC could not compose) are left out: a
    text with one is looked at word by word.
    """
    chars: dict[str, list[str]] = {}
    for code in range(0x80, 0x10000):
        char = chr(code)
        if unicodedata.decomposition(char)[:1] not in ("", "<") or char in "đðĐÐ":
            bare = fold_chars(char)
            if bare != char and _FOLDABLE.fullmatch(bare):
                chars.setdefault(bare, []).append(char)
    return {key: "[" + re.escape(key + "".join(found)) + "]" for key, found in chars.items()}


@lru_cache(maxsize=4096)
def _finder(target: str) -> re.Pattern[str]:
    """Whole words of a lowercase text whose folded form is `target` (and a few more: the
    caller checks each word's forms)."""
    classes = _folding_to()
    letters = [classes.get(char, re.escape(char)) for char in target]
    # The look-behind comes after the first letter: a pattern that starts with a class lets
    # the regex engine skip ahead to it, five times faster than a leading look-behind.
    word = _WORD_CHAR.pattern
    return re.compile(f"{letters[0]}(?<!{word}.){''.join(letters[1:])}(?!{word})", re.S)


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance <= 1 (no transpositions, like both engines' fuzzy queries)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    # substitution (same length) skips one in both, insertion (b longer) one in b
    return a[i + 1 :] == b[i + 1 :] if la == lb else a[i:] == b[i + 1 :]


class _Masks(dict[str, int]):
    """Lowercase word -> which query words it matches (one bit each), computed on first sight."""

    def __init__(self, terms: list[tuple[int, QTerm]]) -> None:
        super().__init__()
        self.terms = terms

    def __missing__(self, word: str) -> int:
        mask = 0
        if len(word) <= MAX_WORD_CHARS:
            exact, folded = forms(word)
            for flag, term in self.terms:
                if term.fuzzy:
                    matches = within_one_edit(folded, term.text)
                else:
                    matches = (exact if term.exact else folded) == term.text
                if matches:
                    mask |= flag
        if len(self) < 100_000:
            self[word] = mask
        return mask


class Highlighter:
    """Finds a query's words in page texts and makes snippets; build one per search, since it
    remembers, per distinct word, which query words it matches."""

    def __init__(self, leaves: Sequence[Text], width: int = SNIPPET_CHARS) -> None:
        self.width = width
        self.leaves = tuple(leaves)
        terms = list(dict.fromkeys(term for leaf in leaves for term in leaf.terms))
        flagged = [(1 << i, term) for i, term in enumerate(terms)]
        bit = {term: flag for flag, term in flagged}
        self._leaves = [[bit[term] for term in leaf.terms] for leaf in leaves]
        self._masks = _Masks(flagged)
        # The folded forms to look for; none (every word looked at) when a word is fuzzy or
        # folds to something other than lowercase letters and digits.
        targets = {forms(term.text)[1] for term in terms}
        plain = not any(term.fuzzy for term in terms) and all(map(_FOLDABLE.fullmatch, targets))
        self._targets = tuple(sorted(targets)) if plain else ()

    def _occurrences(self, text: str) -> list[tuple[tuple[int, int], ...]]:
        """Where each leaf of the query occurs: the character spans of its words."""
        lower = text.lower()
        if len(lower) != len(text):  # a letter whose lowercase is longer: offsets would drift
            lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        if self._targets and not _MARKS.search(lower):
            found = self._found_by_fold(lower)
        else:
            found = self._found_by_split(lower)
        occurrences = []
        for bits in self._leaves:
            for k, (_, _, mask, _) in enumerate(found):
                if mask & bits[0] and all(
                    k + j < len(found) and found[k + j][3] and found[k + j][2] & bits[j]
                    for j in range(1, len(bits))
                ):
                    occurrences.append(tuple(found[k + j][:2] for j in range(len(bits))))
        return occurrences

    def _found_by_split(self, lower: str) -> list[tuple[int, int, int, bool]]:
        """(start, end, mask, follows the one before) of each word the query matches, from
        every word of the text."""
        # Splitting keeps the words at odd indexes and lets C code do the per-word work.
        parts = _SPLIT.split(lower)
        masks = self._masks
        ends = list(accumulate(map(len, parts)))
        out: list[tuple[int, int, int, bool]] = []
        last = -2
        for i, word in enumerate(parts[1::2]):
            mask = masks[word]
            if mask:
                out.append((ends[2 * i], ends[2 * i + 1], mask, i == last + 1))
                last = i
        return out

    def _found_by_fold(self, lower: str) -> list[tuple[int, int, int, bool]]:
        """The same as _found_by_split, from a search for the query's folded words.

        A word matches a query word only if their folded forms are equal, so each folded form
        is searched for as a pattern (every letter a class of the letters that fold to it):
        the regex engine scans the page in C, and only the few candidates are then checked
        like any word. Pages have hundreds of words and a query a few: many times faster
        than looking at every word.
        """
        masks = self._masks
        starts: dict[int, tuple[int, int]] = {}
        for target in self._targets:
            for match in _finder(target).finditer(lower):
                mask = masks[match.group()]
                if mask:
                    starts[match.start()] = (match.end(), mask)
        out: list[tuple[int, int, int, bool]] = []
        prev_end = -1
        for start in sorted(starts):
            end, mask = starts[start]
            follows = prev_end >= 0 and WORD_RE.search(lower, prev_end, start) is None
            out.append((start, end, mask, follows))
            prev_end = end
        return out

    def count(self, text: str) -> int:
        """How many times the query's leaves occur in the text."""
        return len(self._occurrences(text))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the words the query matches (phrases only where the whole phrase
        stands), in text order; a run of matched words separated only by spaces or line breaks
        is one span."""
        hit = {word for occurrence in self._occurrences(text) for word in occurrence}
        spans: list[tuple[int, int]] = []
        for start, end in sorted(hit):
            if spans and not text[spans[-1][1] : start].strip():
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        return spans

    def snippet(self, text: str) -> str:
        """About `width` characters of the page around its densest matches, on one line.

        Matched words keep their original spelling (case, marks, tone placement) inside [[ ]];
        "…" marks text left out. A page without a match gives its beginning.
        """
        text = nfc(text)
        spans = self.spans(text)
        start, end = _window(text, spans, self.width)
        parts: list[str] = ["…"] if start > 0 else []
        at = start
        for s, e in spans:
            if s < start or e > end:
                continue
            parts.append(text[at:s])
            parts.append(f"[[{_SPACES.sub(' ', text[s:e])}]]")
            at = e
        parts.append(text[at:end])
        if end < len(text):
            parts.append("…")
        return _SPACES.sub(" ", "".join(parts)).strip()


def snippet(text: str, leaves: Sequence[Text], width: int = SNIPPET_CHARS) -> str:
    """The snippet of one page for a query's positive leaves (see Highlighter.snippet)."""
    return Highlighter(leaves, width).snippet(text)


def _window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The [start, end) of the text to show: the window holding the most matches, cut at
    word boundaries, with a little context before its first match."""
    if len(text) <= width:
        return 0, len(text)
    start, best = 0, 0
    for i, (first, _) in enumerate(spans):
        count = sum(1 for _, e in spans[i:] if e <= first + width)
        if count > best:
            best = count
            start = _word_start(text, max(0, first - width // 5), first)
    if start + width > len(text):  # a match near the end: show the context before it instead
        start = _word_start(text, len(text) - width, start)
    return start, _word_end(text, min(len(text), start + width))


def _word_start(text: str, at: int, limit: int) -> int:
    """Move `at` forward past a partial word (never beyond `limit`, the first match)."""
    if at == 0 or text[at - 1].isspace():
        return at
    space = _SPACE.search(text, at, limit)
    return space.end() if space else at


def _word_end(text: str, at: int) -> int:
    """Move `at` back to the end of the last whole word before it."""
    if at >= len(text) or text[at].isspace():
        return at
    cut = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at))
    return cut if cut > 0 else at
