"""Snippets: the part of a page where the query matches, matched words in [[ ]] as printed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate

from indexer.analysis import MAX_WORD_CHARS, WORD_RE, forms, nfc
from indexer.query import QTerm, Text

SNIPPET_CHARS = 240
"""About two lines of a typed page: enough context to judge a hit."""

_SPACES = re.compile(r"\s+")
_SPACE = re.compile(r"\s")
_SPLIT = re.compile(f"({WORD_RE.pattern})")


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

    def _occurrences(self, text: str) -> tuple[list[str], list[tuple[int, int]]]:
        """The text split into separators and words (words at odd indexes), and where each
        leaf of the query occurs: (number of its first word, how many words)."""
        lower = text.lower()
        if len(lower) != len(text):  # a letter whose lowercase is longer: offsets would drift
            lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        # Splitting keeps the words at odd indexes and lets C code do the per-word work: this
        # runs for every page shown, and pages have hundreds of words.
        parts = _SPLIT.split(lower)
        masks = self._masks
        word_masks = [masks[word] for word in parts[1::2]]
        found = {i: m for i, m in enumerate(word_masks) if m}
        occurrences = []
        for bits in self._leaves:
            for i, mask in found.items():
                if mask & bits[0] and all(
                    found.get(i + k, 0) & bits[k] for k in range(1, len(bits))
                ):
                    occurrences.append((i, len(bits)))
        return parts, occurrences

    def count(self, text: str) -> int:
        """How many times the query's leaves occur in the text."""
        return len(self._occurrences(text)[1])

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the words the query matches (phrases only where the whole phrase
        stands), in text order; a run of matched words separated only by spaces or line breaks
        is one span."""
        parts, occurrences = self._occurrences(text)
        hit = {first + k for first, width in occurrences for k in range(width)}
        ends = list(accumulate(map(len, parts)))
        spans: list[tuple[int, int]] = []
        for i in sorted(hit):
            start, end = ends[2 * i], ends[2 * i + 1]
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
