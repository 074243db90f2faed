"""The first page's header read by its layout: zones, the number line, the date line, the subject.

A Vietnamese administrative document (Nghị định 30/2020 Appendix I; Quy định 66-QĐ/TW and
Hướng dẫn 36-HD/VPTW for the Party) prints the issuing body top left with the number line
under it, the national or Party motto top right with the place-and-date line under it, then the
centred type line and the subject block down to the first body line ("Căn cứ", "Kính gửi", the
authority line, a paragraph). With word boxes the zones come from where the lines lie, not from
the order OCR gave them; without boxes (plain text) the text order stands in for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extract import conventions as cv
from extract.segment import Line, Part
from ocr.syllable import well_formed_share
from ocr.types import Word

HEADER_SEARCH = 20
"""Lines from the top (stamps left out) within which the header's first line is looked for."""
PRINTED_CONF = 88.0
"""Tesseract confidence under which digits are not taken as printed."""
CENTRED = 0.0125
"""How far (share of the text width) a subject line's centre may lie from the type line's: the
indented first line of the body lies further."""
HAND_HEIGHT = 1.18
"""A number taller than the printed digits of its line by this factor was written by hand."""


def layout_order(lines: Sequence[Line]) -> list[Line]:
    """Lines top to bottom, a row's columns left to right (text order without boxes)."""
    if not lines or any(ln.box is None for ln in lines):
        return list(lines)
    heights = sorted(ln.height or 0.0 for ln in lines)
    h = max(heights[len(heights) // 2], 1.0)

    def centre(ln: Line) -> float:
        box = ln.box
        assert box is not None
        return (box[1] + box[3]) / 2

    ordered = sorted(lines, key=centre)
    rows: list[list[Line]] = []
    for ln in ordered:
        if rows and abs(centre(ln) - centre(rows[-1][0])) < 0.5 * h:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=lambda x: x.x0 or 0.0)]


def well_formed(text: str) -> bool:
    """Whether a line reads as Vietnamese: not seal residue like "^ .^A :À k4 £ ˆ Lá"."""
    words = text.split()
    if not words:
        return False
    if re.fullmatch(r"[\d\s\-–/.,()]+", text) and any(c.isdigit() for c in text):
        return True  # a year or a number ending a subject ("... năm" / "2013")
    signs = sum(not (c.isalnum() or c in " -,.;:()/") for c in text)
    if not any(c.isalpha() for c in text) or signs > 0.25 * len(text.replace(" ", "")):
        return False
    share, checked = well_formed_share(words)
    return checked == 0 or share >= 0.6


def header_start(lines: Sequence[Line]) -> int:
    """Index of the header's first line (motto or issuing body); what is above it is stamps."""
    for i, line in enumerate(lines[:HEADER_SEARCH]):
        kind, key = cv.strip_national(line.key)
        if kind or cv.read_organ(line.text, key):
            return i
    return 0


def left(line: Line) -> bool:
    """In the left column (the issuing body and number; without boxes: anywhere)."""
    return line.x1 is None or line.x0 is None or line.x0 < 0.35


def right(line: Line) -> bool:
    return line.x0 is None or line.x0 >= 0.3


def is_body(line: Line) -> bool:
    """Whether a line starts the body: "Căn cứ", "Kính gửi", "Thực hiện", ..."""
    key = line.key.lstrip(" -_.,:;'|~")
    if not line.text.lstrip(" -_.,:;'|~")[:1].isupper() or cv.is_upper(line.text, 0.9):
        return False  # header lines are in capitals ("BAN CHẤP HÀNH TRUNG ƯƠNG")
    return any(
        key.startswith(cue) and not key[len(cue) : len(cue) + 1].isalpha()
        for cue in (*cv.BODY_CUES, "kinh gui")
    )


# ---------------------------------------------------------------------------------------------
# Handwritten numbers and days.


def digit_height(line: Line, exclude: Sequence[Word] = ()) -> float | None:
    """The height of the printed digits on a line (month, year), to tell written ones."""
    hs = sorted(
        w.height
        for _, _, w in line.spans
        if re.fullmatch(r"\d{2,4}[.,;]?", w.text) and w not in exclude and w.conf >= PRINTED_CONF
    )
    return float(hs[len(hs) // 2]) if hs else None


def handwritten(words: Sequence[Word], reference: float | None, text: str) -> bool:
    """Whether the digits of a number or a day were filled in by hand (or are unreadable).

    Printed digits are read with high confidence at the height of the line's other digits; a
    number written into the printed blank is taller, and OCR reads it with little confidence
    or as signs ("ơ§", "@3", "⁄{§`").
    """
    if not re.fullmatch(r"\d{1,5}", text):
        return True
    if not words or reference is None:
        return False  # nothing to tell by: an unsure reading is flagged as such (`unsure`)
    if any(not re.fullmatch(r"\W*\d+\W*", w.text) for w in words):
        return False  # run into the printed symbol ("15/QĐ-UBND"): the word's height is not theirs
    return max(w.height for w in words) > HAND_HEIGHT * reference


def unsure(words: Sequence[Word]) -> bool:
    """Whether OCR was unsure of a number's digits (a printed number on a poor scan)."""
    return bool(words) and min(w.conf for w in words) < PRINTED_CONF


@dataclass(frozen=True)
class DateLine:
    """The place-and-date line: "Quảng Ngãi, ngày 17 tháng 01 năm 2025"."""

    day: str
    """The day as OCR read it ("17", "4†", "" for a blank)."""
    month: int
    year: int
    handwritten: bool
    unsure: bool
    """OCR was unsure of the day's digits."""
    part: Part
    day_part: Part
    place: tuple[str, float, Part] | None


_DATE_LINE = re.compile(
    r"n\s?[gq]\s?a?\s?[yv](?P<d>.{0,8}?)th\s?a\s?[nu]\s?g[\s,.:;]{0,3}(?P<m>[0-9oils]{1,2})"
    r"[\s,.:;]{0,3}n\s?a\s?[mn][\s,.:;]{0,3}(?P<y>[0-9oils]{4})"
)


def find_date_line(lines: Sequence[Line]) -> DateLine | None:
    """The first place-and-date line, its day perhaps handwritten or blank."""
    for line in lines:
        m = _DATE_LINE.search(line.key)
        if not m:
            continue
        try:
            month = int(m["m"].translate(cv.DIGIT_FIX))
            year = int(m["y"].translate(cv.DIGIT_FIX))
        except ValueError:
            continue
        if not 1 <= month <= 12 or not 1900 <= year <= 2100:
            continue
        raw = line.text[m.start("d") : m.end("d")]
        day = re.sub(r"[\s.,:;]", "", raw)
        words = line.words_in(m.start("d"), m.end("d"))
        # A day run into "ngày4" or "4†tháng" is its own word's part: judge that word.
        words = [w for w in words if any(ch.isdigit() for ch in w.text)] or words
        printed = [w for w in line.words_in(m.start("m"), m.end("y"))]
        hand = handwritten(words, digit_height(line, words) or _median(printed), day)
        p = cv.read_place(line.text, m.start())
        place = (p[0], p[1], (line, p[2], p[3])) if p else None
        return DateLine(
            day, month, year, hand, unsure(words), (line, m.start(), m.end()),
            (line, m.start("d"), m.end("d")), place,
        )  # fmt: skip
    return None


def _median(words: Sequence[Word]) -> float | None:
    hs = sorted(w.height for w in words if w.conf >= PRINTED_CONF and w.text[:1].isdigit())
    return float(hs[len(hs) // 2]) if hs else None


# ---------------------------------------------------------------------------------------------
# The subject block.


def _is_separator(key: str) -> bool:
    return len(re.sub(r"[\s\-–—_*=~.•·'\"`|]", "", key)) <= 1


def subject_block(
    lines: Sequence[Line], after: int, first_start: int = 0
) -> tuple[list[Part], bool]:
    """The subject (trích yếu) under the type line: every line of it, up to the body; and
    whether its end is in doubt.

    With boxes: the centred lines close under each other; seal residue (no Vietnamese) is
    skipped, never kept; the block ends at a body cue, a line in capitals (the authority line
    "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ..."), a separator, or a wide gap. Where it ends only
    because the next line, close under it, is a little off the centre, the end is in doubt.
    """
    parts: list[Part] = []
    doubt = False
    first = lines[after]
    if first_start and first.key[first_start:].strip():
        parts.append((first, first_start + 1, len(first.text)))
    prev_box = first.box
    centre = first.cx if first.cx is not None else 0.5  # the subject is centred under the type
    size = _median_height(lines)
    for line in lines[after + 1 : after + 12]:
        text = line.text.strip()
        small = size is not None and line.height is not None and line.height < 0.6 * size
        speck = small and (line.width or 0.0) < 0.05
        if (_is_separator(line.key) and not speck) or len(parts) >= 5:
            break
        if small or not well_formed(text):
            continue  # a red seal over the type, a speck: not the subject
        box, h = line.box, line.height
        centred = line.cx is not None and abs(line.cx - centre) <= CENTRED
        # A subject may begin like a body ("Thực hiện ..."), centred under the type line.
        if is_body(line) and (parts or (box is not None and not centred)):
            break
        if parts and cv.is_upper(text, 0.9) and not cv.is_upper(parts[-1][0].text, 0.9):
            break  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ..." opening a state Quyết định
        if box is not None and h is not None and prev_box is not None:
            if not centred:
                if parts or (line.width or 0.0) > 0.3:
                    near = line.cx is not None and abs(line.cx - centre) <= 3 * CENTRED
                    doubt = bool(parts) and near and box[1] - prev_box[3] <= 0.8 * h
                    break
                continue  # a scrap beside the type line
            if parts and box[1] - prev_box[3] > 1.6 * h:
                break  # the gap before the body
        elif parts and line.cx is None:
            prev = parts[-1][0]
            if not _continues(prev.text, text, lines):
                break
        parts.append((line, 0, len(line.text)))
        prev_box = box
    return parts, doubt


def _median_height(lines: Sequence[Line]) -> float | None:
    hs = sorted(h for ln in lines if (h := ln.height) is not None)
    return hs[len(hs) // 2] if hs else None


def _continues(prev: str, text: str, lines: Sequence[Line]) -> bool:
    """Without boxes: whether `text` goes on the subject line `prev` (a full line goes on)."""
    full = sorted(len(ln.text) for ln in lines)[int(len(lines) * 0.9)] if lines else 1
    return len(prev) >= 0.8 * full and not (text[:1].isupper() and len(text) > 0.6 * full)


_VV = re.compile(r"^\W*(?:v\s?[/il1|47]\s?[v%w]{1,2}|ve\s?viec|w(?= [a-z]))\s*[:.]?\s*")


def vv_block(lines: Sequence[Line]) -> list[Part]:
    """Công văn: the "V/v ..." subject under the number, left column, with its next lines."""
    for i, line in enumerate(lines):
        m = _VV.match(line.key)
        if not m or not left(line) or line.text.lstrip(" -,.")[:1] not in ("V", "v", "W"):
            continue
        date = cv.DATE.search(line.key, m.end())  # the date column run into the subject line
        place = cv.read_place(line.text, date.start()) if date else None
        end = place[2] if place else date.start() if date else len(line.text)
        parts: list[Part] = [(line, m.end(), end)]
        prev_box = line.box
        for nxt in lines[i + 1 : i + 8]:
            if nxt.box is not None and not left(nxt):
                continue  # the right column beside it
            text = nxt.text.strip()
            if _is_separator(nxt.key) or is_body(nxt) or not well_formed(text):
                break
            if cv.is_upper(text, 0.9):
                break  # a stamp or mark in capitals under the subject ("MẬT", "HỎA TỐC")
            box, h = nxt.box, nxt.height
            if box is not None and prev_box is not None and h is not None:
                if box[1] - prev_box[3] > 1.6 * h:
                    break
            elif text[:1].isupper():
                break
            parts.append((nxt, 0, len(nxt.text)))
            prev_box = box
            if len(parts) >= 6:
                break
        return parts
    return []


_VE_VIEC = re.compile(r"ve\s?viec(?![a-z])")


def subject_text(parts: Sequence[Part]) -> str:
    """The subject as one line; "Vềviệc" spaced, a stray "-" or "," before it dropped."""
    text = " ".join(ln.text[s:e].strip() for ln, s, e in parts).strip(" .")
    text = re.sub(r"^[\s\-–—,.;:_'\"`~]+", "", text)
    opener = _VE_VIEC.match(cv.fold(text))
    if opener:  # "Về việc" opens most subjects: OCR's "Vêviệc", "Vẻ việc" are that phrase
        text = "Về việc" + text[opener.end() :]
    text = re.sub(r"\s+", " ", text)
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# Blanks filled by hand: where to look again.


@dataclass(frozen=True)
class Blank:
    """A printed blank a number or a day was written into, to be read again from its crop."""

    kind: str
    """"so" (the number before the symbol) or "ngay" (the day of the date line)."""
    box: tuple[int, int, int, int]
    """(left, top, right, bottom) in pixels of the page image OCR read (word boxes' frame)."""


@dataclass(frozen=True)
class BlankReading:
    """What recognizers other than the page's OCR run read in a blank: engine -> text."""

    readings: tuple[tuple[str, str, float], ...] = ()
    """(engine, text, confidence 0-100) for each reading."""


def x_at(line: Line, offset: int) -> float | None:
    """The x pixel of a character offset of a line's text (within a word: by its share of the
    word's characters; in a space: the edge of the word before it)."""
    before = None
    for s, e, w in line.spans:
        if s <= offset <= e:
            return w.left + w.width * (offset - s) / max(e - s, 1)
        if e < offset:
            before = w.left + w.width
        elif before is None:
            return float(w.left)
        else:
            return before if offset - e <= 1 else float(w.left)
    return before


def blank_box(line: Line, start: int, end: int) -> tuple[int, int, int, int] | None:
    """The crop of a blank between two character offsets, tall enough for handwriting."""
    box, h = line.box, line.height
    x0, x1 = x_at(line, start), x_at(line, end)
    if box is None or h is None or x0 is None or x1 is None:
        return None
    # A printed word's box may have swallowed the digits written beside it ("ngày" boxed
    # with the "06" after it): the blank starts where the word's letters would end.
    per_char = sum(w.width for _, _, w in line.spans) / max(1, sum(e - s for s, e, _ in line.spans))
    for s, e, w in line.spans if x1 - x0 < 0.6 * h else ():
        if e <= start and start - e <= 1:
            x0 = min(x0, w.left + per_char * (e - s))
        if s >= end and s - end <= 1:
            x1 = max(x1, w.left + w.width - per_char * (e - s))
    if x1 - x0 < 0.3 * h:
        return None
    pad = int(0.5 * h)
    return int(x0) - pad // 3, box[1] - pad, int(x1) + pad // 3, box[3] + pad


def number_blank(line: Line, start: int) -> Blank | None:
    """The number's blank: after "Số:" up to the symbol's "/" (state) or "-" (Party)."""
    slash = min((i for i in (line.text.find("/", start), line.text.find("-", start)) if i > 0),
                default=-1)  # fmt: skip
    box = blank_box(line, start, slash) if slash > start else None
    return Blank("so", box) if box else None


def day_blank(date: DateLine) -> Blank | None:
    line, start, end = date.day_part
    box = blank_box(line, start, end)
    return Blank("ngay", box) if box else None
