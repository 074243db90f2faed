"""Metadata of Party and state documents (số, ký hiệu, ngày, cơ quan, người ký, ...) from OCR."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from extract import conventions as cv
from extract.segment import (
    Date,
    Line,
    PageText,
    Part,
    find_date,
    find_recipients,
    find_signature,
    find_symbol,
    find_type_line,
    page_lines,
)
from ocr.types import Word

__all__ = [
    "DocumentMetadata", "FieldValue", "PageText", "document_title", "extract_metadata",
    "inspection_kind",
]  # fmt: skip

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
    """Trích yếu: the subject line as printed (first letter capitalised; công văn: after "V/v")."""
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
            if cv.is_upper(text, 0.9) and not cv.is_upper(prev.text, 0.9):
                break  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ..." opening a state Quyết định
            if prev.width is not None and line.cx is not None and prev.cx is not None:
                if prev.width < 0.8 or abs(line.cx - prev.cx) > 0.01:
                    break
            elif len(prev.text) < 0.8 * full or (text[:1].isupper() and len(text) > 0.6 * full):
                break
        parts.append((line, 0, len(line.text)))
    return parts


_VV = re.compile(r"^\s*(?:v\s?[/il1|47]\s?[v%w]{1,2}|ve viec|w(?= [a-z]))\s*[:.]?\s*")  # V/v V4v W


def _find_vv(lines: Sequence[Line]) -> list[Part]:
    """Công văn: the "V/v ..." subject under the symbol, with its continuation lines."""
    for i, line in enumerate(lines):
        m = _VV.match(line.key)
        if not m or line.text[m.start() : m.start() + 1] not in ("V", "v", "W"):
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


def _place_only(lines: Sequence[Line]) -> tuple[str, float, Part] | None:
    """The place of "Bắc Giang, ngày 08 tháng Z năm 2004" when the date itself is unreadable."""
    for line in lines:
        m = re.search(r",\s*n\s?[gq]\s?a?\s?[yv]\b", line.key)
        p = cv.read_place(line.text, m.start() + 1) if m else None
        if p:
            return p[0], p[1] * 0.9, (line, p[2], p[3])
    return None


def _find_marks(lines: Sequence[Line]) -> dict[str, tuple[str, float, Part]]:
    found: dict[str, tuple[str, float, Part]] = {}
    for line in lines:
        for field, value, q, s, e in cv.read_marks(line.text, line.key):
            if field not in found or found[field][1] < q:
                found[field] = (value, q, (line, s, e))
    return found


# ---------------------------------------------------------------------------------------------
# Putting it together.


def _header(zone: Sequence[Line]) -> tuple[str | None, list[tuple[cv.Organ, Line]]]:
    kinds, organs = [], []
    for line in zone:
        kind, key = cv.strip_national(line.key)
        kinds += [kind] if kind else []
        organ = cv.read_organ(line.text, key)
        rest = "".join(" " if k == " " else t for t, k in zip(line.text, key, strict=True))
        if organ:
            organs.append((organ, line))
        elif organs and organs[-1][0].place is None and key.strip().startswith(cv.LEVELS):
            # "ỦY BAN NHÂN DÂN" over "TỈNH BẮC GIANG": the second line is the first's place.
            level, _, name = rest.strip().partition(" ")
            if not cv.is_upper(rest):
                continue
            place, q = cv.snap_place(name.strip(" .,").title())
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
        rest = end if lines[i].key[end:].strip() else 0
        subject = _subject(lines, i, rest) if name != "Bản sao" else []  # a copy has none
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
        for name, value in zip(("so", "ky_hieu", "so_ky_hieu"), symbol.parts, strict=True):
            out[name] = _field(value, q, sym_part)
    if date:
        out["ngay_ban_hanh"] = _field(date.iso, date.quality, [date.part])
    place = date.place if date else _place_only(zone)
    if place:
        out["noi_ban_hanh"] = _field(place[0], place[1], [place[2]])
    out.update(_issuing_body(organs, symbol, date))
    for name, (value, q, part) in _find_marks(zone if type_found else lines[:12]).items():
        out[name] = _field(value, q, [part])
    return out, kind


def _issuing_body(
    organs: list[tuple[cv.Organ, Line]], symbol: cv.Symbol | None, date: Date | None
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


INSPECTION_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "quyet_dinh_kiem_tra": ("Quyết định", ("kiem tra",)),
    "ke_hoach_kiem_tra": ("Kế hoạch", ("kiem tra",)),
    "bao_cao_ket_qua_kiem_tra": ("Báo cáo", ("kiem tra",)),
    "thong_bao_ket_luan": ("Thông báo", ("ket luan",)),
    "bien_ban": ("Biên bản", ("kiem tra",)),
}
"""Documents of an inspection dossier (hồ sơ kiểm tra): type, and the subject words that make
another body's document of that type part of an inspection (folded)."""


def inspection_kind(md: DocumentMetadata) -> str | None:
    """Which document of an inspection dossier this is ("thong_bao_ket_luan", ...), if any.

    An inspection commission's (UBKT) documents of these types all are; another body's are
    when their subject says so ("kết luận kiểm tra", "Đoàn kiểm tra").
    """
    body = cv.fold(f"{md.ky_hieu.value or ''} {md.co_quan_ban_hanh.value or ''}")
    commission = "ubkt" in body or "uy ban kiem tra" in body
    subject = cv.fold(str(md.trich_yeu.value or ""))
    for kind, (loai, words) in INSPECTION_KINDS.items():
        if md.loai.value == loai and (commission or any(w in subject for w in words)):
            return kind
    return None
