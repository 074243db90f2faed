"""Snippets: the part of a page where the query matches, matched words in [[ ]] as printed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.analysis import Token, nfc, tokens
from indexer.query import QTerm, Text

SNIPPET_CHARS = 240
"""About two lines of a typed page: enough context to judge a hit."""

_SPACES = re.compile(r"\s+")


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


def term_matches(term: QTerm, token: Token) -> bool:
    """Whether one analyzed query word matches one word of the text."""
    if term.fuzzy:
        return within_one_edit(token.folded, term.text)
    return (token.exact if term.exact else token.folded) == term.text


def matched_spans(text: str, leaves: Sequence[Text]) -> list[tuple[int, int]]:
    """Character spans of the words the query's leaves match, in text order, merged when a run
    of matched words is separated only by spaces or line breaks."""
    toks = tokens(text)
    hit = [False] * len(toks)
    for leaf in leaves:
        terms = leaf.terms
        width = len(terms)
        for i in range(len(toks) - width + 1):
            if all(term_matches(terms[k], toks[i + k]) for k in range(width)):
                for k in range(width):
                    hit[i + k] = True
    spans: list[tuple[int, int]] = []
    for tok, is_hit in zip(toks, hit, strict=True):
        if not is_hit:
            continue
        if spans and not text[spans[-1][1] : tok.start].strip():
            spans[-1] = (spans[-1][0], tok.end)
        else:
            spans.append((tok.start, tok.end))
    return spans


def snippet(text: str, leaves: Sequence[Text], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of the page around its densest matches, on one line.

    Matched words keep their original spelling (case, marks, tone placement) inside [[ ]];
    "…" marks text left out. A page without a match gives its beginning.
    """
    text = nfc(text)
    spans = matched_spans(text, leaves)
    start, end = _window(text, spans, width)
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
    space = re.compile(r"\s").search(text, at, limit)
    return space.end() if space else at


def _word_end(text: str, at: int) -> int:
    """Move `at` back to the end of the last whole word before it."""
    if at >= len(text) or text[at].isspace():
        return at
    cut = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at))
    return cut if cut > 0 else at
