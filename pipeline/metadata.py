"""Metadata of Party and state documents (số, ký hiệu, ngày, cơ quan, người ký, ...) from OCR."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from itertools import pairwise

from ocr.types import Word
from pipeline import conventions as cv

Box = tuple[int, int, int, int]

UNKNOWN_OCR_CONF = 0.9
"""Word confidence assumed for text without word boxes: we cannot tell, so no full trust."""


@dataclass(frozen=True)
class FieldValue:
    """One extracted field: the value, how sure we are, and where on which page it was read."""

    value: str | tuple[str, ...] | int | None
    """The value (None when not found: nothing is ever invented)."""
    confidence: float
    """0 to 1: the match quality of the cues times the OCR confidence of the words read."""
    page: int | None
    """0-based index, within the document's pages, of the page it was read from."""
    region: Box | None
    """(left, top, width, height) in page pixels, from the OCR word boxes; None without boxes."""

    def as_dict(self) -> dict[str, object]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        region = list(self.region) if self.region else None
        return {"value": value, "confidence": self.confidence, "page": self.page, "region": region}


NOT_FOUND = FieldValue(None, 0.0, None, None)


@dataclass(frozen=True)
class DocumentMetadata:
    """The fields of the archival standard a document's pages tell, each with its confidence."""

    loai: FieldValue = NOT_FOUND
    """Tên loại: document type in full ("Đề án", "Thông báo", "Quyết định")."""
    so: FieldValue = NOT_FOUND
    """Số: the number ("10")."""
    ky_hieu: FieldValue = NOT_FOUND
    """Ký hiệu: type and body codes ("ĐA/TU"; state "QĐ-UBND")."""
    so_ky_hieu: FieldValue = NOT_FOUND
    """Số và ký hiệu as cited ("10-ĐA/TU"; state "15/QĐ-UBND")."""
    ngay_ban_hanh: FieldValue = NOT_FOUND
    """Date of issue, ISO ("2022-01-28")."""
    noi_ban_hanh: FieldValue = NOT_FOUND
    """Place of issue from the date line ("Bắc Giang")."""
    co_quan_ban_hanh: FieldValue = NOT_FOUND
    """Issuing body, readable ("Ủy ban Kiểm tra Tỉnh ủy Bắc Giang")."""
    co_quan_cap_tren: FieldValue = NOT_FOUND
    """The superior body printed above the issuing body ("Tỉnh ủy Bắc Giang"), if printed."""
    trich_yeu: FieldValue = NOT_FOUND
    """Trích yếu: the subject line, as printed."""
    quyen_han_ky: FieldValue = NOT_FOUND
    """Signing authority: "T/M", "K/T", "T/L"; state "TM.", "KT.", "TL.", "TUQ.", "Q."."""
    chuc_vu: FieldValue = NOT_FOUND
    """The signer's title as printed ("PHÓ BÍ THƯ")."""
    nguoi_ky: FieldValue = NOT_FOUND
    """The signer's name ("Lê Thị Thu Hồng")."""
    noi_nhan: FieldValue = NOT_FOUND
    """Nơi nhận: recipients, one string per item."""
    do_mat: FieldValue = NOT_FOUND
    """Độ mật: None, "Mật", "Tối mật" or "Tuyệt mật"."""
    do_khan: FieldValue = NOT_FOUND
    """Độ khẩn: None, "Khẩn", "Thượng khẩn" or "Hỏa tốc"."""
    so_trang: FieldValue = NOT_FOUND
    """Số trang: the number of pages of the document."""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: field -> {"value", "confidence", "page", "region"}."""
        return {f.name: getattr(self, f.name).as_dict() for f in fields(self)}

    def values(self) -> dict[str, object]:
        """Field -> plain value."""
        return {f.name: getattr(self, f.name).value for f in fields(self)}


@dataclass(frozen=True)
class PageText:
    """One page as OCR read it: the text and, when known, the words with boxes."""

    text: str
    words: tuple[Word, ...] = ()


# ---------------------------------------------------------------------------------------------
# Lines: OCR text re-joined from word boxes (columns kept apart) or plain text lines.


@dataclass(frozen=True)
class Line:
    """One line of OCR text, or one column's part of it, with its words' boxes if known."""

    page: int
    text: str
    key: str  # cv.fold(text): same length, so spans in the key index the text
    spans: tuple[tuple[int, int, Word], ...] = ()
    x0: float | None = None  # left and right ends, 0 (left edge of the page's text) to 1 (right)
    x1: float | None = None

    @property
    def cx(self) -> float | None:
        return None if self.x0 is None or self.x1 is None else (self.x0 + self.x1) / 2

    @property
    def width(self) -> float | None:
        return None if self.x0 is None or self.x1 is None else self.x1 - self.x0

    def words_in(self, start: int, end: int) -> list[Word]:
        return [w for s, e, w in self.spans if s < end and e > start]


Part = tuple[Line, int, int]
"""Where a value was read: a line and the span of its text."""


def page_lines(page: PageText, index: int = 0) -> list[Line]:
    """The page's lines; with word boxes, a wide gap splits a line into its columns."""
    words = [w for w in page.words if w.text.strip()]
    if not words:
        out = []
        for raw in page.text.splitlines():
            # Two header columns may come out on one line separated by a run of spaces.
            for part in re.split(r"\s{3,}", cv.nfc(raw).strip()):
                if part:
                    out.append(Line(index, part, cv.fold(part)))
        return out
    heights = sorted(w.height for w in words)
    gap = 2.5 * heights[len(heights) // 2]
    x_min = min(w.left for w in words)
    x_max = max(w.left + w.width for w in words)
    groups: dict[int, list[Word]] = {}
    for w in words:
        groups.setdefault(w.line, []).append(w)
    out = []
    for group in groups.values():
        group.sort(key=lambda w: w.left)
        segment = [group[0]]
        # Tesseract sometimes runs both header columns into one line: cut at wide gaps.
        for prev, w in pairwise(group):
            if w.left - (prev.left + prev.width) > gap:
                out.append(_join(segment, index, x_min, x_max))
                segment = []
            segment.append(w)
        out.append(_join(segment, index, x_min, x_max))
    return out


def _join(words: list[Word], index: int, x_min: int, x_max: int) -> Line:
    parts, spans, pos = [], [], 0
    for w in words:
        text = cv.nfc(w.text.strip())
        spans.append((pos, pos + len(text), w))
        parts.append(text)
        pos += len(text) + 1
    text = " ".join(parts)
    span = max(1, x_max - x_min)
    x0 = (words[0].left - x_min) / span
    x1 = (words[-1].left + words[-1].width - x_min) / span
    return Line(index, text, cv.fold(text), tuple(spans), x0, x1)


def _field(
    value: str | tuple[str, ...] | int | None,
    quality: float,
    parts: Sequence[Part] = (),
) -> FieldValue:
    """A found value: confidence = cue quality x OCR confidence of the words it came from."""
    if value is None or value == "" or value == ():
        return NOT_FOUND
    words = [w for line, s, e in parts for w in line.words_in(s, e)]
    if parts and words:
        ocr = sum(min(w.conf, 100.0) for w in words) / len(words) / 100.0
    else:
        ocr = UNKNOWN_OCR_CONF if parts else 1.0
    conf = round(max(0.0, min(1.0, quality * ocr)), 3)
    page = parts[0][0].page if parts else None
    region = _union([w for ln, s, e in parts if ln.page == page for w in ln.words_in(s, e)])
    return FieldValue(value, conf, page, region)


def _union(words: Sequence[Word]) -> Box | None:
    if not words:
        return None
    left, top = min(w.left for w in words), min(w.top for w in words)
    right, bottom = max(w.left + w.width for w in words), max(w.top + w.height for w in words)
    return (left, top, right - left, bottom - top)


def _is_separator(key: str) -> bool:
    return len(re.sub(r"[\s\-–—_*=~.•·'\"`|]", "", key)) <= 1


# ---------------------------------------------------------------------------------------------
# First page: header columns, number and symbol, place and date, type line, subject, marks.


def find_symbol(lines: Sequence[Line], bare: bool = True) -> tuple[cv.Symbol, Line] | None:
    """The first "Số 10-ĐA/TU" (or, if `bare`, a symbol without "Số") and its line."""
    for line in lines:
        for m in cv.SO_ANCHOR.finditer(line.key):
            if line.text[m.start()] in "S5":  # "Số" with a capital: not "số" cited in a sentence
                found = cv.read_symbol(line.text, m.end(), anchored=True)
                if found:
                    return found, line
    for line in lines if bare else ():
        bm = cv.BARE_SYMBOL.search(line.text)
        found = cv.read_symbol(line.text, bm.start(), anchored=False) if bm else None
        if found:
            return found, line
    return None


@dataclass(frozen=True)
class _Date:
    iso: str
    quality: float
    part: Part
    place: tuple[str, float, Part] | None  # the place before it, how sure, where


def find_date(lines: Sequence[Line]) -> _Date | None:
    """The first place-and-date line: "Bắc Giang, ngày 28 tháng 01 năm 2022"."""
    for line in lines:
        m = cv.DATE.search(line.key)
        parsed = cv.parse_date(m["d"], m["m"], m["y"]) if m else None
        if m and parsed:
            p = cv.read_place(line.text, m.start())
            place = (p[0], p[1], (line, p[2], p[3])) if p else None
            return _Date(parsed[0], parsed[1], (line, m.start(), m.end()), place)
    return None


def find_type_line(lines: Sequence[Line]) -> tuple[int, str, float, int] | None:
    """(line index, type name, quality, end of the type words) of the type line ("ĐỀ ÁN")."""
    for i, line in enumerate(lines[:30]):
        found = cv.read_type_line(line.text, line.key)
        if found:
            return i, *found
    return None


def _subject(lines: Sequence[Line], after: int, first_start: int = 0) -> list[Part]:
    """Lines of the subject (trích yếu) below the type line, up to the separator or the body.

    The subject is centred and wrapped: every line but its last is (nearly) full, so a short
    line ends it; the body's first line is indented, so its centre is off the subject's.
    """
    parts: list[Part] = []
    first = lines[after]
    if first_start and first.key[first_start:].strip():
        parts.append((first, first_start + 1, len(first.text)))
    full = sorted(len(ln.text) for ln in lines)[int(len(lines) * 0.9)] if lines else 1
    for line in lines[after + 1 : after + 6]:
        if _is_separator(line.key) or len(parts) >= 4:
            break
        text = line.text.strip()
        if parts:
            prev = parts[-1][0]
            if text[:1].isupper() and line.key.startswith(cv.BODY_CUES):
                break
            if prev.width is not None and line.cx is not None and prev.cx is not None:
                if prev.width < 0.8 or abs(line.cx - prev.cx) > 0.01:
                    break
            elif len(prev.text) < 0.8 * full or not text[:1].islower():
                break
        parts.append((line, 0, len(line.text)))
    return parts


_VV = re.compile(r"^\s*(?:v\s?[/il1|]\s?v|ve viec)\s*[:.]?\s*")


def _find_vv(lines: Sequence[Line]) -> list[Part]:
    """Công văn: the "V/v ..." subject under the symbol, with its continuation lines."""
    for i, line in enumerate(lines):
        m = _VV.match(line.key)
        if not m or line.text[m.start() : m.start() + 1].upper() != "V":
            continue
        date = cv.DATE.search(line.key, m.end())  # the date column run into the subject line
        place = cv.read_place(line.text, date.start()) if date else None
        parts = [(line, m.end(), place[2] if place else date.start() if date else len(line.text))]
        for nxt in lines[i + 1 : i + 4]:
            right = nxt.cx is not None and line.cx is not None and nxt.cx > 0.5
            if right or nxt.text[:1].isupper() or _is_separator(nxt.key):
                break
            parts.append((nxt, 0, len(nxt.text)))
        return parts
    return []


def _find_marks(lines: Sequence[Line]) -> dict[str, tuple[str, float, Part]]:
    found: dict[str, tuple[str, float, Part]] = {}
    for line in lines:
        for field, value, q, s, e in cv.read_marks(line.text, line.key):
            if field not in found or found[field][1] < q:
                found[field] = (value, q, (line, s, e))
    return found


# ---------------------------------------------------------------------------------------------
# Last page: signature block (authority, title, name) and the "Nơi nhận" list.

Found = tuple[str, float, "Part"]  # value, quality, where
Recipients = tuple[tuple[str, ...], float, list["Part"]]


def _title(line: Line, start: int = 0) -> Found | None:
    found = cv.read_title(line.text, line.key, start)
    if not found:
        return None
    # A scrap just before the title ("9 BÍ THƯ"): the seal may have eaten a word ("PHÓ").
    scrap = re.search(r"(^|\s)\S{1,3}\s*$", line.text[start : found[2]])
    return found[0], found[1] * (0.6 if scrap else 1.0), (line, found[2], found[3])


def find_signature(lines: Sequence[Line], kind: str | None) -> dict[str, Found]:
    """The signature block: authority marker(s), the title, then the name below the seal."""
    anchor = None
    for i, line in enumerate(lines):
        for m in cv.AUTHORITY.finditer(line.key):
            if cv.is_upper(line.text[m.start() : m.end()], 1.0) and cv.is_upper(
                line.text[m.end() : m.end() + 12], 0.9
            ):
                anchor = (i, m)
                break
    out: dict[str, Found] = {}
    start = 0
    if anchor:
        i, m = anchor
        # "TM. ỦY BAN NHÂN DÂN" over "KT. CHỦ TỊCH": the first marker of the block names it.
        first_line, first = lines[i], m
        prev = cv.AUTHORITY.search(lines[i - 1].key) if i > 0 else None
        if prev and cv.is_upper(lines[i - 1].text[prev.start() : prev.end()], 1.0):
            first_line, first = lines[i - 1], prev
        auth = cv.authority(first.group(1), kind)
        out["quyen_han_ky"] = (auth, 0.95, (first_line, first.start(), first.end()))
        start = i + 1
        for j in range(i + 1, min(i + 4, len(lines))):
            title = _title(lines[j])
            if title:
                out["chuc_vu"], start = (title[0], title[1] * 0.97, title[2]), j + 1
                break
        else:  # "K/T BÍ THƯ" with no title below: the marker's own title
            title = _title(lines[i], m.end())
            if title:
                out["chuc_vu"] = (title[0], title[1] * 0.85, title[2])
    else:
        for i in range(len(lines) // 3, len(lines)):
            title = _title(lines[i])
            if title and len(lines[i].key.strip()) <= len(title[0]) + 3:
                out["chuc_vu"], start = (title[0], title[1] * 0.9, title[2]), i + 1
        if not out:
            return out
    column = out["chuc_vu"][2][0].cx if "chuc_vu" in out else None
    for line in lines[start : start + 12]:
        if column is not None and line.cx is not None and abs(line.cx - column) > 0.2:
            continue  # the signature column only: not the "Nơi nhận" list beside it
        name = cv.read_name(line.text)
        if name and name[1] > out.get("nguoi_ky", ("", 0.0))[1]:
            out["nguoi_ky"] = (name[0], name[1], (line, name[2], name[3]))
            if name[1] >= 0.95:
                break
    return out


_RECIPIENTS = re.compile(r"^\s*n\s?[o0]\s?i\s?nh\s?[a4]\s?n\s*[:;.]?")
_BULLET = re.compile(r"^\s*[-–—•+*·~_]+\s*")


def find_recipients(lines: Sequence[Line]) -> Recipients | None:
    """Items of "Nơi nhận:" (left column, one per dash), continuation lines joined."""
    for i, line in enumerate(lines):
        m = _RECIPIENTS.search(line.key)
        if m:
            items = (
                [[(line, m.end(), len(line.text))]] if _BULLET.match(line.text[m.end() :]) else []
            )
            return _items(lines, i + 1, line.cx, items, 0.95)
    # "Nơi nhận:" itself unread (small bold italic under dust): the last list of dashes in the
    # left column, which only word boxes can tell from dashes in the body.
    left = [i for i, ln in enumerate(lines) if ln.x1 is not None and ln.x1 < 0.55]
    bullets = [i for i in left if _BULLET.match(lines[i].text)]
    if len(bullets) < 2 or bullets[-1] < len(lines) // 2:
        return None
    start = bullets[-1]
    while start > 0 and any(b < start for b in bullets):
        prev = max(b for b in bullets if b < start)
        between = lines[prev + 1 : start]
        if any(
            ln.x1 is None or ((ln.x0 or 0) < 0.4 and not ln.text[:1].islower()) for ln in between
        ):
            break
        start = prev
    return _items(lines, start, 0.0, [], 0.75)


def _items(
    lines: Sequence[Line], start: int, column: float | None, items: list[list[Part]], q: float
) -> Recipients | None:
    misses = 0
    for nxt in lines[start : start + 20]:
        if column is not None and nxt.cx is not None and nxt.cx > 0.5 > column:
            continue  # the signature column beside the list
        b = _BULLET.match(nxt.text)
        if b:
            items.append([(nxt, b.end(), len(nxt.text))])
            misses = 0
        elif items and nxt.text[:1].islower() and misses == 0:
            items[-1].append((nxt, 0, len(nxt.text)))
        else:
            misses += 1
            if misses >= 2 or nxt.cx is not None:
                break
    values = tuple(v for v in (_recipient(parts) for parts in items) if v)
    return (values, q, [p for parts in items for p in parts]) if values else None


def _recipient(parts: list[Part]) -> str:
    chunks = []
    for line, s, e in parts:
        chunk = _BULLET.sub("", line.text[s:e])
        if line.cx is None:
            # Without boxes the signature column may share the line: cut it off.
            key = cv.fold(chunk)
            title = cv.read_title(chunk, key)
            cut = [title[2]] if title else []
            auth = cv.AUTHORITY.search(key)
            if auth and cv.is_upper(chunk[auth.start() : auth.end()], 1.0):
                cut.append(auth.start())
            name = cv.read_name(chunk)
            if name and name[1] >= 0.9 and name[3] >= len(chunk.rstrip(" .,;")) - 1:
                cut.append(name[2])
            chunk = chunk[: min(cut)] if cut else chunk
        chunks.append(chunk.strip())
    return " ".join(chunks).strip().rstrip(",;.").strip()


# ---------------------------------------------------------------------------------------------
# Putting it together.


def _header(zone: Sequence[Line]) -> tuple[str | None, list[tuple[cv.Organ, Line]]]:
    kinds, organs = [], []
    for line in zone:
        kind, key = cv.strip_national(line.key)
        if kind:
            kinds.append(kind)
        organ = cv.read_organ(line.text, key)
        if organ:
            organs.append((organ, line))
        elif organs and organs[-1][0].place is None and key.strip().startswith(cv.LEVELS):
            # "ỦY BAN NHÂN DÂN" over "TỈNH BẮC GIANG": the second line is the first's place.
            text = "".join(" " if k == " " else t for t, k in zip(line.text, key, strict=True))
            level, _, rest = text.strip().partition(" ")
            place, q = cv.snap_place(rest.strip(" .,").title())
            o = organs[-1][0]
            readable = f"{o.readable} {level.lower()} {place}"
            organs[-1] = (cv.Organ(readable, o.prefix, place, o.quality * q, o.start, o.end), line)
    return (kinds[0] if kinds else None), organs


def _read_first_page(lines: list[Line]) -> tuple[dict[str, FieldValue], str | None]:
    type_found = find_type_line(lines)
    zone = lines[: type_found[0]] if type_found else lines[:16]
    national, organs = _header(zone)
    found = find_symbol(zone) or find_symbol(lines[:25])
    symbol, sym_part = (
        (found[0], [(found[1], found[0].start, found[0].end)]) if found else (None, [])
    )
    date = find_date(zone) or find_date(lines[:25])
    kind = symbol.kind if symbol else national
    out: dict[str, FieldValue] = {}
    if symbol and type_found and symbol.type_code not in cv.TYPE_CODES.get(type_found[1], ()):
        # "QĐĐ" read for "QĐ" under "QUYẾT ĐỊNH": the type line says which code was meant.
        table = cv.PARTY_TYPES if symbol.kind == "party" else cv.STATE_TYPES
        codes = [c for c in cv.TYPE_CODES.get(type_found[1], ()) if c in table]
        near = cv.nearest_code(symbol.type_raw, codes)
        if near:
            symbol = replace(symbol, type_code=near, quality=symbol.quality * 0.9)

    code = symbol.type_code if symbol else None
    code_name = (cv.PARTY_TYPES if kind == "party" else cv.STATE_TYPES).get(code or "")
    sq = symbol.quality if symbol else 1.0
    if type_found:
        i, name, q, end = type_found
        agree = code in cv.TYPE_CODES.get(name, ())
        q *= 1.0 if agree else (0.85 if code_name is None else 0.6)
        out["loai"] = _field(name, q, [(lines[i], 0, end)])
        subject = _subject(lines, i, end if lines[i].key[end:].strip() else 0)
    else:
        subject = _find_vv(zone)
        if code_name:
            out["loai"] = _field(code_name, (0.6 if code in ("QĐ", "TT") else 0.85) * sq, sym_part)
        elif subject or (symbol and symbol.kind == "state" and code is None):
            out["loai"] = _field("Công văn", 0.8, subject[:1] or sym_part)
    if subject:
        text = " ".join(ln.text[s:e].strip() for ln, s, e in subject).strip(" .")
        text = text[:1].upper() + text[1:]  # a subject starts with a capital, also after "V/v"
        out["trich_yeu"] = _field(text, 0.9 if len(subject) > 1 else 0.95, subject)
    if symbol:
        agree = bool(type_found and code in cv.TYPE_CODES.get(type_found[1], ()))
        q = min(1.0, sq * (1.05 if agree else 1.0))
        for name, value in (("so", symbol.so), ("ky_hieu", symbol.ky_hieu)):
            out[name] = _field(value, q, sym_part)
        out["so_ky_hieu"] = _field(symbol.so_ky_hieu, q, sym_part)
    if date:
        out["ngay_ban_hanh"] = _field(date.iso, date.quality, [date.part])
        if date.place:
            out["noi_ban_hanh"] = _field(date.place[0], date.place[1], [date.place[2]])
    out.update(_issuing_body(organs, symbol, date))
    for name, (value, q, part) in _find_marks(zone if type_found else lines[:12]).items():
        out[name] = _field(value, q, [part])
    return out, kind


def _issuing_body(
    organs: list[tuple[cv.Organ, Line]], symbol: cv.Symbol | None, date: _Date | None
) -> dict[str, FieldValue]:
    """Issuing and superior bodies from the header, checked against the symbol's body code."""
    template = None
    if symbol:
        table = cv.PARTY_BODIES if symbol.kind == "party" else cv.STATE_BODIES
        template = table.get(symbol.body.split("-")[0])
    if not organs:
        if template and ("{p}" not in template or (date and date.place)):
            # No header read: the body code and the place of issue still name it, less surely.
            readable = template.format(p=date.place[0] if date and date.place else "")
            return {"co_quan_ban_hanh": _field(readable, 0.5 * symbol.quality if symbol else 0.5)}
        return {}
    name = cv.issuer([o for o, _ in organs])
    parts = [(line, o.start, o.end) for o, line in organs[-2:]]
    q = min(o.quality for o, _ in organs[-2:])
    place = next((o.place for o, _ in reversed(organs) if o.place), None)
    if template and (place or "{p}" not in template):
        q *= 1.0 if cv.fold(template.format(p=place)) in cv.fold(name) else 0.7
    out = {"co_quan_ban_hanh": _field(name, q, parts)}
    if len(organs) >= 2:
        sup, line = organs[-2]
        out["co_quan_cap_tren"] = _field(sup.readable, sup.quality, [(line, sup.start, sup.end)])
    return out


def _read_last_pages(
    pages: Sequence[PageText], first: list[Line], kind: str | None
) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    for p in range(len(pages) - 1, max(-1, len(pages) - 4), -1):
        lines = first if p == 0 else page_lines(pages[p], p)
        if "chuc_vu" not in out and "quyen_han_ky" not in out:
            for name, (value, q, part) in find_signature(lines, kind).items():
                out[name] = _field(value, q, [part])
        if "noi_nhan" not in out:
            rec = find_recipients(lines)
            if rec:
                out["noi_nhan"] = _field(rec[0], rec[1], rec[2])
    return out


def extract_metadata(pages: Sequence[PageText]) -> DocumentMetadata:
    """The metadata of one document from its pages as OCR read them (first and last pages)."""
    if not pages:
        return DocumentMetadata()
    first = page_lines(pages[0], 0)
    head, kind = _read_first_page(first)
    tail = _read_last_pages(pages, first, kind)
    return DocumentMetadata(**head, **tail, so_trang=FieldValue(len(pages), 1.0, None, None))


def document_title(md: DocumentMetadata, fallback: str) -> str:
    """A readable title: "Đề án 10-ĐA/TU: <trích yếu>", or the fallback when nothing was read."""
    sure = [f.value for f in (md.loai, md.so_ky_hieu) if f.value and f.confidence >= 0.3]
    head = " ".join(str(v) for v in sure)
    subject = md.trich_yeu.value if md.trich_yeu.confidence >= 0.3 else None
    if isinstance(subject, str) and len(subject) > 160:
        subject = subject[:157].rstrip() + "…"
    if head and subject:
        return f"{head}: {subject}"
    return head or (subject if isinstance(subject, str) else "") or fallback
