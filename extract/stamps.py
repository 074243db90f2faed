"""Stamps on a page, recognised and read apart from the document's own text.

Real office scans carry boxes and stamps over and above the printed header: the appearance of
a digital signature ("Ký bởi: ...", "Cơ quan: ...", "Thời gian ký: 24/01/2025 14:23:43"), the
provincial publication centre's stamp ("TRUNG TÂM CÔNG BÁO VÀ TIN HỌC", its e-mail and a
timestamp), an incoming-mail stamp ("CV ĐẾN", "Số: ...", "Ngày: ..."). Their lines are never a
value of the header fields; what they say is metadata of its own. Urgency and secrecy stamps
("HỎA TỐC", "KHẨN", "MẬT") are read by `conventions.read_marks` wherever they stand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from extract.segment import Line, Part

Box = tuple[int, int, int, int]  # left, top, right, bottom

_SIGNATURE_CUES = (
    re.compile(r"(?<![a-z])k\s?y\s?b\s?[o0]\s?i\b"),  # Ký bởi
    re.compile(r"(?<![a-z])c[o0]\s?qu?a\s?n?\s*[:;¡!]"),  # Cơ quan:
    re.compile(r"(?<![a-z])th[o0]\s?i\W{0,3}(?:\S\s)?g\s?i?\s?a\s?n?\s*k\s?y"),  # Thời gian ký
)
_PUBLICATION_CUES = (
    re.compile(r"trung\s?t[a4]m\s?c[o0]ng"),
    re.compile(r"b[a4][o0]\s?v[a4]\s?tin\s?h[o0]c"),
    re.compile(r"gov\s?\.\s?vn|ttcb"),
    re.compile(r"\+\s?0?7\s?:\s?00"),
    re.compile(r"\b\d{1,2}\s?\.\s?\d{1,2}\s?\.\s?\d{4}\s+\d{1,2}\s?:\s?\d{2}"),
)
_INCOMING = re.compile(r"(?<![a-z])(?:cv|cong van)\s?den\b|^\W*den\W*$")
_SIGNING_TIME = re.compile(r"(\d{1,2})\s?/\s?(\d{1,2})\s?/\s?(\d{4})(?!\d)")
_PUBLISHED = re.compile(r"(\d{1,2})\s?\.\s?(\d{1,2})\s?\.\s?(\d{4})\s+(\d{1,2})\s?:\s?(\d{2})")
_IN_NUMBER = re.compile(r"(?<![a-z])s[o0]\s*[:.]?\s*(\d{1,6})\b")
_IN_DATE = re.compile(r"(?<![a-z])ngay\s*[:.]?\s*(\d{1,2})\s?[/.-]\s?(\d{1,2})\s?[/.-]\s?(\d{2,4})")


@dataclass(frozen=True)
class Stamps:
    """What the stamps of a page are and say."""

    lines: frozenset[int]
    """Indexes (in the page's lines) of the lines that belong to a stamp."""
    regions: tuple[Box, ...] = ()
    """Where the stamps lie (pixels), to keep other lines inside them out of every value."""
    signed_by: tuple[str, Part] | None = None
    """Who signed digitally ("Ủy ban nhân dân tỉnh Quảng Ngãi"), as the box prints it."""
    signing_time: tuple[str, Part] | None = None
    """When, ISO date ("2025-01-24"); the date issued is that day or shortly before."""
    published: tuple[str, Part] | None = None
    """The publication centre's timestamp, ISO date."""
    incoming_so: tuple[str, Part] | None = None
    """The incoming-mail stamp's number ("CV ĐẾN Số: 123")."""
    incoming_ngay: tuple[str, Part] | None = None
    """The incoming-mail stamp's date, ISO."""


def _iso(day: str, month: str, year: str) -> str | None:
    y = int(year) + (2000 if len(year) == 2 else 0)
    if not 1990 <= y <= 2100:  # digital signatures and stamps of this archive's time
        return None
    try:
        return dt.date(y, int(month), int(day)).isoformat()
    except ValueError:
        return None


def _inside(box: Box, region: Box, slack: float) -> bool:
    """Whether most of `box` lies in `region` widened by `slack` pixels."""
    left, top = max(box[0], region[0] - slack), max(box[1], region[1] - slack)
    right, bottom = min(box[2], region[2] + slack), min(box[3], region[3] + slack)
    if right <= left or bottom <= top:
        return False
    area = (box[2] - box[0]) * (box[3] - box[1])
    return (right - left) * (bottom - top) >= 0.6 * max(area, 1)


def find_stamps(lines: Sequence[Line]) -> Stamps:
    """The stamp lines of a page and what they say."""
    cues: dict[int, str] = {}
    for i, line in enumerate(lines):
        if any(c.search(line.key) for c in _SIGNATURE_CUES):
            cues[i] = "signature"
        elif any(c.search(line.key) for c in _PUBLICATION_CUES):
            cues[i] = "publication"
        elif _INCOMING.search(line.key.strip()) and line.text.strip()[:2].isupper():
            cues[i] = "incoming"
    if not cues:
        return Stamps(frozenset())
    members = set(cues)
    regions: list[Box] = []
    boxes = {i: lines[i].box for i in cues}
    for kind in ("signature", "publication", "incoming"):
        own = [b for i, b in boxes.items() if cues[i] == kind and b is not None]
        if own:
            region = (
                min(b[0] for b in own),
                min(b[1] for b in own),
                max(b[2] for b in own),
                max(b[3] for b in own),
            )
            regions.append(region)
    heights = sorted(h for ln in lines if (h := ln.height))
    slack = heights[len(heights) // 2] * 0.6 if heights else 0.0
    for i, line in enumerate(lines):
        box = line.box
        if box is not None and any(_inside(box, r, slack) for r in regions):
            members.add(i)
    if regions:  # an incoming stamp's "Số" and "Ngày" lines lie just under its cue
        for region in regions[-1:] if "incoming" in cues.values() else ():
            below = (region[0], region[1], region[2], region[3] + int(4 * slack))
            members |= {
                i
                for i, ln in enumerate(lines)
                if (b := ln.box) is not None and _inside(b, below, slack)
            }
    return _read(lines, frozenset(members), tuple(regions), cues)


def _read(
    lines: Sequence[Line], members: frozenset[int], regions: tuple[Box, ...], cues: dict[int, str]
) -> Stamps:
    signed_by = signing_time = published = incoming_so = incoming_ngay = None
    for i in sorted(members):
        line = lines[i]
        key = line.key
        m = _SIGNATURE_CUES[0].search(key)
        if m and signed_by is None:
            name = line.text[m.end() :].strip(" :;¡!.,")
            if name:
                signed_by = (name, (line, m.end(), len(line.text)))
        m = _SIGNATURE_CUES[2].search(key)
        t = _SIGNING_TIME.search(key, m.end()) if m else None
        if t and signing_time is None and (iso := _iso(*t.groups()[:3])):
            signing_time = (iso, (line, t.start(), t.end()))
        p = _PUBLISHED.search(key)
        if p and published is None and (iso := _iso(*p.groups()[:3])):
            published = (iso, (line, p.start(), p.end()))
        if "incoming" in cues.values():
            n = _IN_NUMBER.search(key)
            if n and incoming_so is None and cues.get(i) != "signature":
                incoming_so = (n.group(1), (line, n.start(1), n.end(1)))
            d = _IN_DATE.search(key)
            if d and incoming_ngay is None and (iso := _iso(*d.groups())):
                incoming_ngay = (iso, (line, d.start(), d.end()))
    return Stamps(members, regions, signed_by, signing_time, published, incoming_so, incoming_ngay)


def in_stamp(line: Line, stamps: Stamps) -> bool:
    """Whether a line (of any page's lines) lies inside one of the stamps."""
    box = line.box
    return box is not None and any(_inside(box, r, 0.0) for r in stamps.regions)
