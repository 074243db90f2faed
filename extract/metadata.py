"""Metadata of Party and state documents (số, ký hiệu, ngày, cơ quan, người ký, ...) from OCR."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

from extract import conventions as cv
from extract import header as hd
from extract.review import Evidence, flag_fields
from extract.segment import (
    Line,
    PageText,
    Part,
    find_recipients,
    find_signature,
    find_symbol,
    find_type_line,
    page_cues,
    page_lines,
)
from extract.stamps import Stamps, find_stamps
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
    needs_review: bool = False
    """True when a person must look before the value is trusted (see `review_reason`)."""
    review_reason: str | None = None
    """Why, as a short code (extract.review.REASONS): "handwritten", "not_found", ..."""

    def as_dict(self) -> dict[str, object]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        region = list(self.region) if self.region else None
        return {
            "value": value, "confidence": self.confidence, "page": self.page, "region": region,
            "needs_review": self.needs_review, "review_reason": self.review_reason,
        }  # fmt: skip


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
    ky_so_boi: FieldValue = NOT_FOUND
    """Who signed the scan digitally, as its signature box prints it ("Ký bởi: ...")."""
    thoi_gian_ky: FieldValue = NOT_FOUND
    """When, ISO date, from the box's "Thời gian ký" (the date issued or shortly after)."""
    so_den: FieldValue = NOT_FOUND
    """Số đến: the number of an incoming-mail stamp ("CV ĐẾN Số: 123")."""
    ngay_den: FieldValue = NOT_FOUND
    """Ngày đến: the date of that stamp, ISO."""

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


_LEVEL_WORDS = {cv.fold(w): w for w in ("tỉnh", "huyện", "xã", "quận", "phường")}


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
            # The level word comes from a closed list: "TĨNH" read for "TỈNH" is "tỉnh".
            level = _LEVEL_WORDS.get(cv.fold(level), level.lower())
            readable = f"{o.readable} {level} {place}"
            organs[-1] = (cv.Organ(readable, o.prefix, place, o.quality * q, o.start, o.end), line)
    return (kinds[0] if kinds else None), organs


def _read_first_page(
    page_lines_: list[Line], stamps: Stamps
) -> tuple[dict[str, FieldValue], str | None, Evidence]:
    """The header fields of the first page, read zone by zone; stamps kept out."""
    marks = _find_marks(page_lines_[:40])
    lines = hd.layout_order([ln for i, ln in enumerate(page_lines_) if i not in stamps.lines])
    lines = lines[hd.header_start(lines) :]
    type_found = find_type_line(lines)
    body = next((i for i, ln in enumerate(lines[:40]) if hd.is_body(ln)), min(len(lines), 25))
    zone = lines[: type_found[0]] if type_found else lines[: min(body, 16)]
    national, organs = _header(zone)
    named = {id(line) for _, line in organs}
    # A line in capitals under the issuing body that names no organ we know ("BAN CHỈ ĐẠO 138"
    # under "UBND TỈNH QUẢNG NGÃI"): the issuer may be that unit, so a person must look.
    top = (organs[0][1].box or (0, 0, 0, 0))[1] if organs else 0
    unnamed = organs and any(
        hd.left(ln) and id(ln) not in named and cv.is_upper(ln.text, 0.9)
        and len(ln.text.split()) >= 2 and not cv.strip_national(ln.key)[0]
        and not re.match(r"\W*s[o0]\b", ln.key) and not ln.key.strip().startswith(cv.LEVELS)
        and not cv.read_marks(ln.text, ln.key) and hd.well_formed(ln.text)
        and (ln.box or (0, 0, 0, 0))[1] >= top
        for ln in zone
    )  # fmt: skip
    # The document's own number stands in the header's left column, never in the body.
    search = [ln for ln in lines[: max(body, len(zone))] if hd.left(ln)]
    found = find_symbol(zone) or find_symbol(search, bare=False) or _printed_symbol(zone)
    symbol, sym_part = (
        (found[0], [(found[1], found[0].start, found[0].end)]) if found else (None, [])
    )
    date_line = hd.find_date_line(zone) or hd.find_date_line(lines[: max(body, len(zone))])
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
        subject, doubt = hd.subject_block(lines, i, rest) if name != "Bản sao" else ([], False)
    else:
        subject, doubt = hd.vv_block(zone) or hd.vv_block(lines[:body]), False
        if code_name:
            out["loai"] = _field(code_name, (0.6 if code in ("QĐ", "TT") else 0.85) * sq, sym_part)
        elif subject or (symbol and symbol.kind == "state" and code is None):
            out["loai"] = _field("Công văn", 0.8, subject[:1] or sym_part)
    if subject:
        text = hd.subject_text(subject)
        out["trich_yeu"] = _field(text, 0.9 if len(subject) > 1 else 0.95, subject)
        if doubt:  # where the subject ends is not sure: a person checks its last line
            out["trich_yeu"] = replace(out["trich_yeu"], confidence=0.6)
    evidence = Evidence(stamps=stamps, unnamed_issuer=bool(unnamed))
    if symbol:
        agree = bool(type_found and code in cv.TYPE_CODES.get(type_found[1], ()))
        q = min(1.0, sq * (1.05 if agree else 1.0))
        line = sym_part[0][0]
        number_words = _number_words(line, symbol)
        reference = hd.digit_height(date_line.part[0]) if date_line else None
        hand = hd.handwritten(number_words, reference, symbol.so.split("/")[0])
        doubt = hd.unsure(number_words)
        evidence = replace(evidence, handwritten_number=hand, unsure_number=doubt)
        if hand or doubt:  # read again from the scan: a second source either way
            # From just after "Số:" (the symbol may have begun at a digit of the written number).
            anchor = [m.end() for m in cv.SO_ANCHOR_LOOSE.finditer(line.key, 0, symbol.start + 1)]
            blank = hd.number_blank(line, anchor[-1] if anchor else symbol.start)
            evidence = replace(evidence, blanks=(*evidence.blanks, blank) if blank else ())
        so, ky_hieu, so_ky_hieu = symbol.parts
        if not re.fullmatch(r"\d{1,5}(?:/\d{4})?", symbol.so):
            so = ""  # nothing readable written in the blank: what is printed is the symbol
            so_ky_hieu = ("-" if symbol.kind == "party" else "/") + ky_hieu
        out["so"] = _field(so, q, [(line, symbol.start, symbol.start + 1)] if so else [])
        out["ky_hieu"] = _field(ky_hieu, q, sym_part)
        out["so_ky_hieu"] = _field(so_ky_hieu, q, sym_part)
    if date_line:
        iso, quality = _date_value(date_line)
        hand = date_line.handwritten or iso is None
        evidence = replace(evidence, handwritten_day=hand, unsure_day=date_line.unsure)
        blank = hd.day_blank(date_line) if hand or date_line.unsure else None
        if blank:
            evidence = replace(evidence, blanks=(*evidence.blanks, blank))
        if iso:
            out["ngay_ban_hanh"] = _field(iso, quality, [date_line.part])
        else:  # the month and year are printed; the day is a blank filled by hand
            printed = f"{date_line.year:04d}-{date_line.month:02d}"
            out["ngay_ban_hanh"] = _field(printed, 0.5, [date_line.part])
    place = date_line.place if date_line else _place_only(zone)
    if place:
        out["noi_ban_hanh"] = _field(place[0], place[1], [place[2]])
    out.update(_issuing_body(organs, symbol, date_line))
    if symbol and type_found:
        # The printed symbol's codes agree with the type line and the header's issuing body:
        # two sources, so a merged or stained token does not make ký hiệu doubtful.
        table = cv.PARTY_BODIES if symbol.kind == "party" else cv.STATE_BODIES
        template = table.get(symbol.body.split("-")[0], "")
        issuer = out.get("co_quan_ban_hanh", NOT_FOUND).value
        head = cv.fold(template.replace("{p}", "").strip()) if template else None
        agree = symbol.type_code in cv.TYPE_CODES.get(type_found[1], ())
        evidence = replace(evidence, type_agrees=agree)
        if agree and head and isinstance(issuer, str) and head in cv.fold(issuer):
            evidence = replace(evidence, symbol_agrees=True)
    for name, (value, q, part) in marks.items():
        out[name] = _field(value, q, [part])
    return out, kind, evidence


def _date_value(date_line: hd.DateLine) -> tuple[str | None, float]:
    day = date_line.day.translate(cv.DIGIT_FIX)
    if not re.fullmatch(r"\d{1,2}", day):
        return None, 0.0
    parsed = cv.parse_date(day, str(date_line.month), str(date_line.year))
    if parsed is None:
        return None, 0.0
    return parsed[0], parsed[1] * (0.6 if date_line.handwritten else 1.0)


def _number_words(line: Line, symbol: cv.Symbol) -> list[Word]:
    """The words of a symbol's number ("15" of "Số: 15/QĐ-UBND", or "ơ§" before "/QĐ")."""
    words = line.words_in(symbol.start, symbol.start + max(1, len(symbol.so.split("/")[0])))
    return [w for w in words if not w.text.casefold().startswith(("số", "so"))] or words


_PRINTED = re.compile(
    r"(?:[/-]\s?)?(?<![A-Za-zĐÐđ])[A-ZĐÐ][A-Za-zĐÐđ]{0,5}\s?[-/]\s?[A-ZĐÐ][\wĐÐđ]{1,9}"
)
"""The printed part of a symbol ("/QĐ-UBND", "-ĐA/TU"), also run into the written number."""


def _printed_symbol(lines: Sequence[Line]) -> tuple[cv.Symbol, Line] | None:
    """The printed part of a symbol whose number is unreadable: "Số: ơ§ /QĐ-UBND"."""
    for line in lines:
        for m in cv.SO_ANCHOR_LOOSE.finditer(line.key):
            if line.text[m.start()] not in "S5":
                continue
            p = _PRINTED.search(line.text, m.end())
            if not p or p.start() - m.end() > 10:
                continue
            tail = line.text[p.start() : p.end()].lstrip("/- ")
            sep = "-" if "/" in tail and "-" not in tail else "/"  # Party "ĐA/TU", state "QĐ-X"
            found = cv.read_symbol(f"0{sep}{tail}", 0, anchored=True)
            if found:
                sym = replace(
                    found, so="?", start=m.end(), end=p.end(), quality=found.quality * 0.8
                )
                return sym, line
    return None


def _issuing_body(
    organs: list[tuple[cv.Organ, Line]], symbol: cv.Symbol | None, date: hd.DateLine | None
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
        # "Ủy ban nhân dân {p}" names "Ủy ban nhân dân tỉnh Quảng Ngãi": level words aside.
        plain = " ".join(w for w in cv.fold(name).split() if f"{w} " not in cv.LEVELS)
        q *= 1.0 if cv.fold(template.format(p=place)) in plain else 0.7
    out = {"co_quan_ban_hanh": _field(name, q, parts)}
    if len(organs) >= 2:
        sup, line = organs[-2]
        out["co_quan_cap_tren"] = _field(sup.readable, sup.quality, [(line, sup.start, sup.end)])
    return out


def _read_last_pages(
    pages: Sequence[PageText], first: list[Line], first_stamps: Stamps, kind: str | None
) -> tuple[dict[str, FieldValue], list[Stamps]]:
    out: dict[str, FieldValue] = {}
    seen: list[Stamps] = []
    for p in range(len(pages) - 1, max(-1, len(pages) - 4), -1):
        lines = first if p == 0 else page_lines(pages[p], p)
        stamps = first_stamps if p == 0 else find_stamps(lines)
        seen.append(stamps)
        lines = [ln for i, ln in enumerate(lines) if i not in stamps.lines]
        if "chuc_vu" not in out and "quyen_han_ky" not in out:
            for name, (value, q, part) in find_signature(lines, kind).items():
                out[name] = _field(value, q, [part])
        if "noi_nhan" not in out:
            rec = find_recipients(lines)
            if rec:
                out["noi_nhan"] = _field(rec[0], rec[1], rec[2])
    return out, seen


def _stamp_fields(stamps: Sequence[Stamps]) -> dict[str, FieldValue]:
    """What the stamps say, the first page's first: signer and time, incoming number, date."""
    out: dict[str, FieldValue] = {}
    for st in stamps:
        for name, found in (
            ("ky_so_boi", st.signed_by), ("thoi_gian_ky", st.signing_time),
            ("so_den", st.incoming_so), ("ngay_den", st.incoming_ngay),
        ):  # fmt: skip
            if found and name not in out:
                out[name] = _field(cv.canonical(found[0]), 0.9, [found[1]])
    return out


BlankReader = Callable[[hd.Blank], hd.BlankReading]
"""Reads a blank of the first page again with other recognizers (the pipeline crops the page
image): a second source for a handwritten number or day."""


def extract_metadata(
    pages: Sequence[PageText],
    read_blank: BlankReader | None = None,
    signed_on: str | None = None,
) -> DocumentMetadata:
    """The metadata of one document from its pages as OCR read them (first and last pages),
    each field flagged when a person must look (extract.review). `read_blank`, when given, is
    asked to read the blanks written by hand again (extraction itself never opens an image);
    `signed_on` is the ISO day of the file's first digital signature, if any (evidence for a
    handwritten day: the document is signed on the day it is issued or shortly after)."""
    if not pages:
        return DocumentMetadata()
    first = page_lines(pages[0], 0)
    stamps = find_stamps(first)
    head, kind, evidence = _read_first_page(first, stamps)
    evidence = replace(evidence, signed_on=signed_on)
    if read_blank and evidence.blanks:
        readings = {b.kind: read_blank(b) for b in evidence.blanks}
        evidence = replace(evidence, readings=readings)
    # The signature is the document's own, before any attachment (a draft, an appendix).
    main = next((i for i in range(1, len(pages)) if page_cues(pages[i]).attachment), None)
    tail, seen = _read_last_pages(pages[:main] if main else pages, first, stamps, kind)
    found = {**_stamp_fields([stamps, *seen]), **head, **tail}
    found["so_trang"] = FieldValue(len(pages), 1.0, None, None)
    return DocumentMetadata(**flag_fields(found, evidence))


def first_page_blanks(page: PageText) -> tuple[hd.Blank, ...]:
    """The blanks written by hand that `extract_metadata` asks `read_blank` to read when this
    page begins a document (they depend on the first page alone): an OCR worker reads them
    while it still has the page image."""
    first = page_lines(page, 0)
    return _read_first_page(first, find_stamps(first))[2].blanks


def document_title(md: DocumentMetadata, fallback: str) -> str:
    """A readable title: "Đề án 10-ĐA/TU: <trích yếu>", or the fallback when nothing was read."""
    number = md.so_ky_hieu
    if number.review_reason == "handwritten" and isinstance(number.value, str):
        # A number written by hand and not confirmed: the title shows what is printed only.
        cut = re.search(r"[/-]", number.value)
        number = replace(number, value="…" + number.value[cut.start() :] if cut else None)
    sure = [f.value for f in (md.loai, number) if f.value and f.confidence >= 0.3]
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
