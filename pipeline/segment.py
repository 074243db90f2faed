"""Splitting a dossier scan into its documents, from first-page and last-page cues."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.metadata import PageCues, PageText, page_cues
from sohoa.errors import ManifestError

START_ALONE = 3.5
"""First-page score that starts a document whatever the page before it looked like (e.g. the
national header and the number and symbol)."""
START_AFTER_END = 2.0
"""A lower first-page score suffices right after a page that closed a document."""


def split_dossier(
    pages: Sequence[PageText], *, fixed: Sequence[tuple[int, int]] | None = None
) -> list[range]:
    """0-based page ranges of the documents in a scanned dossier, covering all pages in order.

    `fixed` (1-based inclusive page ranges, from the manifest) wins; pages it leaves out are
    split by their cues. Raises ManifestError when a fixed range overlaps another or lies
    beyond the scan.
    """
    n = len(pages)
    if n == 0:
        return []
    ranges = _check_fixed(fixed or (), n)
    out: list[range] = []
    cursor = 0
    for first, last in ranges:
        if cursor < first - 1:
            out += _split(pages, cursor, first - 1)
        out.append(range(first - 1, last))
        cursor = last
    if cursor < n:
        out += _split(pages, cursor, n)
    return out


def _split(pages: Sequence[PageText], start: int, stop: int) -> list[range]:
    cues = [page_cues(pages[i]) for i in range(start, stop)]
    starts = [start] + [start + i for i in range(1, len(cues)) if _starts(cues[i - 1], cues[i])]
    return [range(a, b) for a, b in zip(starts, [*starts[1:], stop], strict=True)]


def _starts(before: PageCues, page: PageCues) -> bool:
    """Whether `page` begins a new document, given the page before it."""
    if page.first_score >= START_ALONE:
        return True
    return before.last_score >= 1.0 and page.first_score >= START_AFTER_END


def _check_fixed(fixed: Sequence[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    ranges = sorted((int(a), int(b)) for a, b in fixed)
    previous = 0
    for first, last in ranges:
        if not 1 <= first <= last <= n or first <= previous:
            raise ManifestError(
                vi=f"page_ranges: khoảng trang [{first}, {last}] không hợp lệ cho tệp {n} trang"
                " (các khoảng phải nằm trong 1..số trang, đầu ≤ cuối, không chồng nhau).",
                en=f"page_ranges: page range [{first}, {last}] is invalid for a {n}-page file"
                " (ranges must lie within 1..page count, first <= last, without overlaps).",
            )
        previous = last
    return ranges
