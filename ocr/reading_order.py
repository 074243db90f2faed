"""Reading order by column: the two-column header and signature block, read from the word boxes.

Tesseract's mode 4 (one column of text of variable sizes, chosen because it keeps isolated
marks such as "MẬT") reads an administrative document's two-column parts across both columns
line by line: "Nơi nhận: TM. ỦY BAN NHÂN DÂN / - Thường trực Tỉnh ủy; CHỦ TỊCH". Here a run of
lines that a wide gap splits at the same place is read as two columns, the left one first,
as a person reads it. No word is dropped or changed; only their order and line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from statistics import median

from ocr.types import Word

GAP = 3.0
"""A gap between two words of one line wider than this many times the line's median word
height separates two columns. Justified body text stretches spaces to about one height."""


@dataclass
class _Line:
    words: list[Word]
    split: int | None = None
    """Index in `words` (sorted by left) where the right column starts; None: one segment."""

    @property
    def left(self) -> int:
        return min(w.left for w in self.words)

    @property
    def right(self) -> int:
        return max(w.left + w.width for w in self.words)

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.top + w.height for w in self.words)


def _rows(words: Sequence[Word]) -> list[list[Word]]:
    """Tesseract's lines, with two that follow each other side by side on one baseline (it
    sometimes reads the halves of a two-column row as two lines) joined into one row."""
    grouped: dict[int, list[Word]] = {}
    for w in words:
        grouped.setdefault(w.line, []).append(w)
    rows: list[list[Word]] = []
    for _, members in sorted(grouped.items()):
        if rows and _beside(rows[-1], members):
            rows[-1] = rows[-1] + members
        else:
            rows.append(members)
    return rows


def _beside(first: list[Word], second: list[Word]) -> bool:
    top1, bottom1 = min(w.top for w in first), max(w.top + w.height for w in first)
    top2, bottom2 = min(w.top for w in second), max(w.top + w.height for w in second)
    overlap = min(bottom1, bottom2) - max(top1, top2)
    right_of = min(w.left for w in second) > max(w.left + w.width for w in first)
    return right_of and overlap >= 0.5 * min(bottom1 - top1, bottom2 - top2)


def _lines(words: Sequence[Word]) -> list[_Line]:
    out = []
    for members in _rows(words):
        members = sorted(members, key=lambda w: w.left)
        height = median(w.height for w in members)
        gaps = [(b.left - (a.left + a.width), i + 1) for i, (a, b) in enumerate(pairwise(members))]
        wide = [i for gap, i in gaps if gap > GAP * height]
        out.append(_Line(members, wide[0] if len(wide) == 1 else (-1 if wide else None)))
    return out


def _columns(lines: list[_Line]) -> list[list[Word]]:
    """The lines in reading order, each two-column run read column by column."""
    ordered: list[list[Word]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.split is None or line.split < 0:
            ordered.append(line.words)
            i += 1
            continue
        # A two-column run: the boundary is the gap that every line of it leaves free.
        lo = line.words[line.split - 1].left + line.words[line.split - 1].width
        hi = line.words[line.split].left
        left_col: list[list[Word]] = [line.words[: line.split]]
        right_col: list[list[Word]] = [line.words[line.split :]]
        spans = [_span(left_col[0]), _span(right_col[0])]
        j = i + 1
        while j < len(lines):
            part = _divide(lines[j], lo, hi)
            if part is None:
                break  # a line across the boundary (a title, the body) ends the run
            left, right, new_lo, new_hi = part
            if lines[j].split is None and not _within(left or right, spans[0 if left else 1]):
                break  # a mark beside a column, not in it ("KHẨN" at the margin)
            lo, hi = new_lo, new_hi
            for side, members in ((0, left), (1, right)):
                if members:
                    (left_col, right_col)[side].append(members)
                    spans[side] = _merge(spans[side], _span(members))
            j += 1
        ordered.extend(left_col)
        ordered.extend(right_col)
        i = j
    return ordered


def _span(words: list[Word]) -> tuple[int, int]:
    return min(w.left for w in words), max(w.left + w.width for w in words)


def _merge(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return min(a[0], b[0]), max(a[1], b[1])


def _within(words: list[Word], span: tuple[int, int]) -> bool:
    """Whether a one-sided line stands under its column's lines so far: the two overlap by at
    least half the shorter of them ("- Lưu: VT" under "Nơi nhận:"; not "KHẨN" at the margin
    under a centred header)."""
    left, right = _span(words)
    overlap = min(right, span[1]) - max(left, span[0])
    return overlap >= 0.5 * min(right - left, span[1] - span[0])


def _divide(line: _Line, lo: int, hi: int) -> tuple[list[Word], list[Word], int, int] | None:
    """The line's words left and right of the free band lo..hi, and the band that is left
    free; None when the line crosses it. A line with its own wide gap splits there and may
    narrow the band to any width; another must leave a line height of it free."""
    if line.split is not None and line.split > 0:
        left, right = line.words[: line.split], line.words[line.split :]
        need = 1.0
    else:
        mid = (lo + hi) / 2
        left = [w for w in line.words if w.left + w.width / 2 < mid]
        right = [w for w in line.words if w.left + w.width / 2 >= mid]
        need = median(w.height for w in line.words)
    new_lo = max([lo, *(w.left + w.width for w in left)])
    new_hi = min([hi, *(w.left for w in right)])
    if new_hi - new_lo < need:
        return None
    return left, right, new_lo, new_hi


def by_columns(text: str, words: Sequence[Word]) -> tuple[str, tuple[Word, ...]]:
    """Text and words in column reading order; unchanged when the page has no two columns.

    The text is rebuilt from the words, a line a line, with the blank lines of `text` kept
    before the lines that started a paragraph there.
    """
    lines = _lines(words)
    if not any((line.split or 0) > 0 for line in lines):
        return text, tuple(words)
    ordered = _columns(lines)
    paragraph_starts = _paragraph_starts(text, words)
    index = {id(w): k for k, w in enumerate(words)}
    out_words: list[Word] = []
    out_lines: list[str] = []
    for number, members in enumerate(ordered):
        if out_lines and index[id(members[0])] in paragraph_starts:
            out_lines.append("")
        out_lines.append(" ".join(w.text for w in members))
        out_words.extend(replace(w, line=number) for w in members)
    return "\n".join(out_lines), tuple(out_words)


def _paragraph_starts(text: str, words: Sequence[Word]) -> set[int]:
    """Indices of the words that follow a blank line in `text` (when text and words agree)."""
    starts: set[int] = set()
    k = 0
    blank = False
    for row in text.split("\n"):
        tokens = re.split(r"\s+", row.strip()) if row.strip() else []
        if not tokens:
            blank = True
            continue
        if blank and k < len(words):
            starts.add(k)
        blank = False
        k += len(tokens)
    return starts if k == len(words) else set()
