"""Dossiers: split a scan into its documents by page cues; tell an inspection dossier's kinds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline import conventions as cv
from pipeline.metadata import (
    DocumentMetadata,
    PageText,
    find_date,
    find_recipients,
    find_signature,
    find_symbol,
    find_type_line,
    page_lines,
)
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


@dataclass(frozen=True)
class PageCues:
    """What makes a page look like the first or the last page of a document."""

    national_header: bool = False
    organ_header: bool = False
    symbol: bool = False
    place_date: bool = False
    type_line: bool = False
    page_number_on_top: bool = False
    signature: bool = False
    recipients: bool = False

    @property
    def first_score(self) -> float:
        score = 2.0 * self.national_header + 2.0 * self.symbol + 1.5 * self.place_date
        score += 1.0 * self.type_line + 1.0 * self.organ_header
        # Pages after the first carry their number on top (Party and state alike).
        return score - 3.0 * self.page_number_on_top

    @property
    def last_score(self) -> float:
        return 1.0 * self.signature + 1.0 * self.recipients


def page_cues(page: PageText) -> PageCues:
    """First-page and last-page cues of one page."""
    lines = page_lines(page)
    top = lines[:14]
    heads = [(line, *cv.strip_national(line.key)) for line in lines[:8]]
    first_line = lines[0].text if lines else ""
    return PageCues(
        national_header=any(kind for _, kind, _ in heads),
        organ_header=any(cv.read_organ(line.text, key) for line, _, key in heads),
        symbol=find_symbol(top, bare=False) is not None,
        place_date=find_date(top) is not None,
        type_line=find_type_line(lines[:20]) is not None,
        page_number_on_top=bool(re.fullmatch(r"[-–—.\s]*\d{1,3}[-–—.\s]*", first_line)),
        signature=bool(find_signature(lines, None)),
        recipients=find_recipients(lines) is not None,
    )


INSPECTION_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "quyet_dinh_kiem_tra": ("Quyết định", ("kiem tra", "thanh lap doan kiem tra")),
    "ke_hoach_kiem_tra": ("Kế hoạch", ("kiem tra",)),
    "bao_cao_ket_qua_kiem_tra": ("Báo cáo", ("ket qua kiem tra", "kiem tra")),
    "thong_bao_ket_luan": ("Thông báo", ("ket luan",)),
    "bien_ban": ("Biên bản", ()),
}
"""Documents of an inspection dossier (hồ sơ kiểm tra): type and subject words (folded)."""


def inspection_kind(md: DocumentMetadata) -> str | None:
    """Which document of an inspection dossier this is ("thong_bao_ket_luan", ...), if any."""
    body = cv.fold(f"{md.ky_hieu.value or ''} {md.co_quan_ban_hanh.value or ''}")
    subject = cv.fold(str(md.trich_yeu.value or ""))
    if "ubkt" not in body and "kiem tra" not in body and "kiem tra" not in subject:
        return None
    for kind, (loai, words) in INSPECTION_KINDS.items():
        if md.loai.value == loai and (not words or any(w in subject for w in words)):
            return kind
    return None
