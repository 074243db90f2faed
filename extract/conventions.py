"""Party and state document conventions: tables of types, bodies, titles; their written forms."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import partial_ratio_alignment, ratio

# Look-alikes of Đ that OCR and old encodings produce: Ð (U+00D0, Icelandic eth) and ð.
_D_LIKE = str.maketrans({"Ð": "Đ", "ð": "đ", "⁄": "/", "∕": "/"})  # and slash look-alikes


def _fold_char(ch: str) -> str:
    if ch in "đĐðÐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0] if ch.isalpha() else ch
    return base.lower() if len(base.lower()) == 1 else base


# Latin letters with their Vietnamese accents, precomputed: fold() runs on every OCR line.
_FOLD = {
    cp: _fold_char(chr(cp))
    for cp in (*range(0x250), *range(0x1E00, 0x1F00))
    if _fold_char(chr(cp)) != chr(cp)
}


def fold(text: str) -> str:
    """Lower-case text without diacritics, đ as d, one character per input character.

    Matching happens on folded text so that OCR's dropped or swapped tone marks, Đ read as D
    or Ð, and ủy/uỷ spelling variants all compare equal; keeping the length lets a match in
    the folded text point back at the original characters for display.
    """
    return text.translate(_FOLD)


# Old-style tone placement (uỷ, hoà) to the style the archive displays (ủy, hòa).
# fmt: off
_SPELLING = {
    "uỷ": "ủy", "Uỷ": "Ủy", "UỶ": "ỦY", "hoà": "hòa", "Hoà": "Hòa", "HOÀ": "HÒA", "hoả": "hỏa",
    "Hoả": "Hỏa", "HOẢ": "HỎA", "thuỷ": "thủy", "Thuỷ": "Thủy", "THUỶ": "THỦY",
}
# fmt: on


def canonical(text: str) -> str:
    """NFC text with Đ look-alikes fixed and ủy/hòa spelled one way (for values we build)."""
    text = unicodedata.normalize("NFC", text).translate(_D_LIKE)
    for old, new in _SPELLING.items():
        text = text.replace(old, new)
    return text


# QĐ stands for Quyết định and, in older Party documents, Quy định: the type line decides.
# fmt: off
PARTY_TYPES: dict[str, str] = {
    "NQ": "Nghị quyết", "QĐ": "Quyết định", "QĐi": "Quy định", "CT": "Chỉ thị", "KL": "Kết luận",
    "QC": "Quy chế", "TT": "Thông tri", "HD": "Hướng dẫn", "TB": "Thông báo", "BC": "Báo cáo",
    "KH": "Kế hoạch", "CTr": "Chương trình", "ĐA": "Đề án", "PA": "Phương án", "TTr": "Tờ trình",
    "CV": "Công văn", "BB": "Biên bản", "BS": "Bản sao",
}
# fmt: on
"""Party document types by the code in the symbol (Hướng dẫn 36-HD/VPTW)."""

STATE_TYPES: dict[str, str] = {
    **{code: name for code, name in PARTY_TYPES.items() if code not in ("TT", "QĐi", "BS")},
    "TT": "Thông tư", "QyĐ": "Quy định", "CĐ": "Công điện", "GM": "Giấy mời",
    "GGT": "Giấy giới thiệu",
}  # fmt: skip
"""State document types by symbol code (Nghị định 30/2020/NĐ-CP); công văn has no code."""

TYPE_CODES: dict[str, tuple[str, ...]] = {}
"""Type name -> the codes that may stand for it (Quy định: QĐi, QĐ, QyĐ)."""
for _table in (PARTY_TYPES, STATE_TYPES):
    for _code, _name in _table.items():
        if _code not in TYPE_CODES.setdefault(_name, ()):
            TYPE_CODES[_name] += (_code,)
TYPE_CODES.setdefault("Quy định", ())
TYPE_CODES["Quy định"] += ("QĐ",)

# fmt: off
TYPE_LINES: dict[str, str] = {
    **{name.upper(): name for name in TYPE_CODES if name != "Bản sao"},
    "SAO Y BẢN CHÍNH": "Bản sao", "SAO Y": "Bản sao", "SAO LỤC": "Bản sao", "TRÍCH SAO": "Bản sao",
    "DỰ ÁN": "Dự án",
}
# fmt: on
"""The type line as printed above the subject, upper case -> type name."""

# Issuing bodies. "{p}" is the place from the header or the date line ("Bắc Giang").
# fmt: off
PARTY_BODIES: dict[str, str] = {
    "TW": "Ban Chấp hành Trung ương", "VPTW": "Văn phòng Trung ương Đảng",
    "BTCTW": "Ban Tổ chức Trung ương", "BTGTW": "Ban Tuyên giáo Trung ương",
    "BDVTW": "Ban Dân vận Trung ương", "BNCTW": "Ban Nội chính Trung ương",
    "BKTTW": "Ban Kinh tế Trung ương", "UBKTTW": "Ủy ban Kiểm tra Trung ương", "TU": "Tỉnh ủy {p}",
    "ThU": "Thành ủy {p}", "HU": "Huyện ủy {p}", "QU": "Quận ủy {p}", "TXU": "Thị ủy {p}",
    "ĐU": "Đảng ủy {p}", "ĐUK": "Đảng ủy Khối {p}", "ĐĐ": "Đảng đoàn {p}",
    "BCSĐ": "Ban cán sự đảng {p}", "CB": "Chi bộ {p}", "VPTU": "Văn phòng Tỉnh ủy {p}",
    "BTCTU": "Ban Tổ chức Tỉnh ủy {p}", "BTGTU": "Ban Tuyên giáo Tỉnh ủy {p}",
    "BDVTU": "Ban Dân vận Tỉnh ủy {p}", "BNCTU": "Ban Nội chính Tỉnh ủy {p}",
    "UBKTTU": "Ủy ban Kiểm tra Tỉnh ủy {p}", "VPHU": "Văn phòng Huyện ủy {p}",
    "BTCHU": "Ban Tổ chức Huyện ủy {p}", "BTGHU": "Ban Tuyên giáo Huyện ủy {p}",
    "BDVHU": "Ban Dân vận Huyện ủy {p}", "UBKTHU": "Ủy ban Kiểm tra Huyện ủy {p}",
    "UBKTĐU": "Ủy ban Kiểm tra Đảng ủy {p}",
}
# fmt: on
"""Party issuing bodies by the code after the slash of the symbol."""

# fmt: off
STATE_BODIES: dict[str, str] = {
    "UBND": "Ủy ban nhân dân {p}", "HĐND": "Hội đồng nhân dân {p}", "VP": "Văn phòng {p}",
    "SNV": "Sở Nội vụ {p}", "BNV": "Bộ Nội vụ", "VPCP": "Văn phòng Chính phủ",
    "TTg": "Thủ tướng Chính phủ", "CP": "Chính phủ",
    "MTTQ": "Ủy ban Mặt trận Tổ quốc Việt Nam {p}", "HLHPN": "Hội Liên hiệp Phụ nữ {p}",
    "HND": "Hội Nông dân {p}", "HCCB": "Hội Cựu chiến binh {p}", "LĐLĐ": "Liên đoàn Lao động {p}",
    "TĐTN": "Tỉnh đoàn {p}",
}
# fmt: on
"""State bodies and mass organisations by the code after the type code of the symbol."""

# fmt: off
ORGAN_PREFIXES: dict[str, str] = {
    "BAN CHẤP HÀNH TRUNG ƯƠNG": "Ban Chấp hành Trung ương", "ĐẢNG BỘ TỈNH": "Đảng bộ tỉnh",
    "ĐẢNG BỘ THÀNH PHỐ": "Đảng bộ thành phố", "ĐẢNG BỘ HUYỆN": "Đảng bộ huyện",
    "ĐẢNG BỘ QUẬN": "Đảng bộ quận", "ĐẢNG BỘ THỊ XÃ": "Đảng bộ thị xã",
    "ĐẢNG BỘ KHỐI": "Đảng bộ Khối", "TỈNH ỦY": "Tỉnh ủy", "THÀNH ỦY": "Thành ủy",
    "HUYỆN ỦY": "Huyện ủy", "QUẬN ỦY": "Quận ủy", "THỊ ỦY": "Thị ủy",
    "ĐẢNG ỦY KHỐI": "Đảng ủy Khối",
    "ĐẢNG ỦY KHỐI CÁC CƠ QUAN": "Đảng ủy Khối các cơ quan",
    "ĐẢNG ỦY KHỐI DOANH NGHIỆP": "Đảng ủy Khối Doanh nghiệp", "ĐẢNG ỦY XÃ": "Đảng ủy xã",
    "ĐẢNG ỦY PHƯỜNG": "Đảng ủy phường",
    "ĐẢNG ỦY THỊ TRẤN": "Đảng ủy thị trấn", "ĐẢNG ỦY": "Đảng ủy", "ĐẢNG ĐOÀN": "Đảng đoàn",
    "BAN CÁN SỰ ĐẢNG": "Ban cán sự đảng", "CHI BỘ": "Chi bộ", "ỦY BAN KIỂM TRA": "Ủy ban Kiểm tra",
    "BAN TỔ CHỨC": "Ban Tổ chức", "BAN TUYÊN GIÁO": "Ban Tuyên giáo", "BAN DÂN VẬN": "Ban Dân vận",
    "BAN NỘI CHÍNH": "Ban Nội chính", "BAN KINH TẾ": "Ban Kinh tế", "VĂN PHÒNG": "Văn phòng",
    "ỦY BAN NHÂN DÂN TỈNH": "Ủy ban nhân dân tỉnh",
    "ỦY BAN NHÂN DÂN THÀNH PHỐ": "Ủy ban nhân dân thành phố",
    "ỦY BAN NHÂN DÂN HUYỆN": "Ủy ban nhân dân huyện", "ỦY BAN NHÂN DÂN XÃ": "Ủy ban nhân dân xã",
    "ỦY BAN NHÂN DÂN": "Ủy ban nhân dân", "UBND TỈNH": "Ủy ban nhân dân tỉnh",
    "UBND THÀNH PHỐ": "Ủy ban nhân dân thành phố", "UBND HUYỆN": "Ủy ban nhân dân huyện",
    "UBND XÃ": "Ủy ban nhân dân xã", "HỘI ĐỒNG NHÂN DÂN TỈNH": "Hội đồng nhân dân tỉnh",
    "HỘI ĐỒNG NHÂN DÂN HUYỆN": "Hội đồng nhân dân huyện", "HỘI ĐỒNG NHÂN DÂN": "Hội đồng nhân dân",
    "SỞ NỘI VỤ": "Sở Nội vụ", "BỘ NỘI VỤ": "Bộ Nội vụ",
    "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM TỈNH": "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh",
    "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM": "Ủy ban Mặt trận Tổ quốc Việt Nam",
    "MẶT TRẬN TỔ QUỐC VIỆT NAM": "Mặt trận Tổ quốc Việt Nam",
    "HỘI LIÊN HIỆP PHỤ NỮ TỈNH": "Hội Liên hiệp Phụ nữ tỉnh",
    "HỘI LIÊN HIỆP PHỤ NỮ": "Hội Liên hiệp Phụ nữ", "HỘI NÔNG DÂN TỈNH": "Hội Nông dân tỉnh",
    "HỘI NÔNG DÂN": "Hội Nông dân", "HỘI CỰU CHIẾN BINH TỈNH": "Hội Cựu chiến binh tỉnh",
    "HỘI CỰU CHIẾN BINH": "Hội Cựu chiến binh",
    "LIÊN ĐOÀN LAO ĐỘNG TỈNH": "Liên đoàn Lao động tỉnh",
    "LIÊN ĐOÀN LAO ĐỘNG": "Liên đoàn Lao động", "ĐOÀN TNCS HỒ CHÍ MINH": "Đoàn TNCS Hồ Chí Minh",
    "BCH ĐOÀN TỈNH": "Tỉnh đoàn", "TỈNH ĐOÀN": "Tỉnh đoàn", "ĐOÀN KIỂM TRA": "Đoàn Kiểm tra",
    "BAN THƯỜNG VỤ": "Ban Thường vụ",
}
# fmt: on
"""Header organ lines, upper case as printed -> readable prefix (the rest is a place name)."""

SUB_UNITS = frozenset(
    ("Ủy ban Kiểm tra", "Ban Tổ chức", "Ban Tuyên giáo", "Ban Dân vận", "Ban Nội chính",
     "Ban Kinh tế", "Văn phòng", "Sở Nội vụ", "Đoàn Kiểm tra", "Ban Thường vụ")
)  # fmt: skip
"""Organs printed without a place: their readable name takes the superior's ("of Tỉnh ủy X")."""

NATIONAL_HEADERS: dict[str, str] = {
    "ĐẢNG CỘNG SẢN VIỆT NAM": "party",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM": "state",
    "Độc lập - Tự do - Hạnh phúc": "state",
}
"""The right-hand header column: the Party's name or the state's name and motto."""

TITLES: tuple[str, ...] = (
    "TỔNG BÍ THƯ", "BÍ THƯ", "PHÓ BÍ THƯ", "PHÓ BÍ THƯ THƯỜNG TRỰC", "CHỦ NHIỆM", "PHÓ CHỦ NHIỆM",
    "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "CHỦ TỊCH",
    "PHÓ CHỦ TỊCH", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "BỘ TRƯỞNG", "THỨ TRƯỞNG", "TRƯỞNG ĐOÀN",
    "PHÓ TRƯỞNG ĐOÀN", "THƯ KÝ", "CHỦ TRÌ", "ỦY VIÊN", "TRƯỞNG PHÒNG", "CHÁNH THANH TRA",
)  # fmt: skip
"""Signers' titles (chức vụ) as printed in the signature block."""

SECRECY = {"mat": "Mật", "toi mat": "Tối mật", "tuyet mat": "Tuyệt mật"}
URGENCY = {"khan": "Khẩn", "thuong khan": "Thượng khẩn", "hoa toc": "Hỏa tốc"}

SURNAME_FORMS = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương "
    "Trịnh Trương Lâm Phùng Mai Tô Hà Tạ Lưu Chu Đinh Lương Cao Văn Quách Thái Kiều Lại "
    "Nông Triệu Hứa Tăng Giang Khổng Diệp Âu Mạc Thân Lã Lò Hầu Ninh Đồng Kim Tống Quan"
).split()
SURNAMES = {fold(s): s for s in SURNAME_FORMS}
"""Common family names, folded -> spelling: they tell the signer's name from seal residue."""
MIDDLE_NAMES = {
    fold(s): s
    for s in (
        "Văn Thị Hữu Đức Minh Quang Ngọc Thanh Xuân Đình Công Quốc Bá Thế Trọng Khắc Duy Kim "
        "Hồng Thu Mạnh Tiến Viết Trung Huy Đăng Phúc Bảo Diệu Mỹ Thúy"
    ).split()
}
"""Common middle names, folded -> spelling: a name's middle words come from a short list."""

PROVINCES: tuple[str, ...] = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre",
    "Bình Định", "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau", "Cần Thơ", "Cao Bằng",
    "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai",
    "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng", "Hậu Giang",
    "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu", "Lâm Đồng",
    "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận",
    "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị",
    "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa",
    "Thừa Thiên Huế", "Huế", "Tiền Giang", "Thành phố Hồ Chí Minh", "Hồ Chí Minh", "Trà Vinh",
    "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)  # fmt: skip
"""Provinces and centrally run cities (before and after 2025), to snap OCR'd place names."""


# ---------------------------------------------------------------------------------------------
# Written forms: codes of a symbol, place names, dates, signing authority.

_PROVINCE_KEYS = {fold(p): p for p in PROVINCES}


def snap_place(name: str) -> tuple[str, float]:
    """A place name and how sure we are of it: snapped to the province list when OCR garbled it."""
    key = fold(name)
    if key in _PROVINCE_KEYS:
        return _PROVINCE_KEYS[key], 1.0
    close = max(_PROVINCE_KEYS, key=lambda p: ratio(p, key))
    if ratio(close, key) >= 88:
        return _PROVINCE_KEYS[close], 0.85
    return canonical(name), 0.75


def match_code(text: str, table: dict[str, str]) -> tuple[str, float]:
    """A type or body code matched to a table: exact once folded (Đ read as D), else one edit."""
    key = fold(text)
    for code in table:
        if fold(code) == key:
            return code, 1.0
    if len(key) >= 2:
        near = min(table, key=lambda c: Levenshtein.distance(fold(c), key))
        if Levenshtein.distance(fold(near), key) == 1:
            return near, 0.75
    return canonical(text).upper(), 0.5


_PAIRS = [(f"{fold(t)}/{fold(b)}", t, b) for t in PARTY_TYPES for b in PARTY_BODIES]


def nearest_code(raw: str, codes: Sequence[str]) -> str | None:
    """The one code within one edit of the OCR'd `raw` ("QĐĐ" -> "QĐ"), if exactly one is."""
    near = [c for c in codes if Levenshtein.distance(fold(c), fold(raw)) <= 1]
    return near[0] if len(near) == 1 else None


def party_codes(rest: str) -> tuple[str, str, float] | None:
    """Type and body of a Party symbol's "ĐA/TU", also when OCR fused the slash ("ĐAITU")."""
    if "/" in rest:
        t, b = rest.rsplit("/", 1)
        (tc, tq), (bc, bq) = match_code(t, PARTY_TYPES), match_code(b, PARTY_BODIES)
        return tc, bc, min(tq, bq)
    key = fold(rest)
    scored = sorted((Levenshtein.distance(c, key), t, b) for c, t, b in _PAIRS)
    if scored[0][0] > 1 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None  # too far, or two readings equally near: do not guess
    return scored[0][1], scored[0][2], 0.85


def state_codes(rest: str) -> tuple[str | None, str, float]:
    """Type and body of a state symbol's "QĐ-UBND" (công văn: no type, "UBND-VP")."""
    groups = [g for g in rest.split("-") if g]
    tc, tq = match_code(groups[0], STATE_TYPES)
    is_body = match_code(groups[0], STATE_BODIES)[1] == 1.0
    # A type code within one edit ("TIr" for "TTr") still is one, unless it names a body.
    if tq < 0.75 or len(groups) == 1 or is_body:
        code, quality = None, 0.9
    else:
        code, quality, groups = tc, tq, groups[1:]
    bc, bq = match_code(groups[0], STATE_BODIES)
    first = bc if bq == 1.0 else canonical(groups[0]).upper()
    body = "-".join([first, *(canonical(g).upper() for g in groups[1:])])
    return code, body, min(quality, 1.0 if bq == 1.0 else 0.8)


DIGIT_FIX = str.maketrans("oOilIsS", "0011155")
"""Letters OCR reads in place of digits in dates and numbers."""


def parse_date(day: str, month: str, year: str) -> tuple[str, float] | None:
    """ISO date of "ngày 28 tháng 01 năm 2022" parts and its quality (lower if digits fixed)."""
    raw = [day, month, year]
    fixed = [r.translate(DIGIT_FIX) for r in raw]
    try:
        date = dt.date(int(fixed[2]), int(fixed[1]), int(fixed[0]))
    except ValueError:
        return None
    quality = 1.0 if raw == fixed else 0.8
    if not 1930 <= date.year <= 2100:
        quality *= 0.5
    return date.isoformat(), quality


def is_upper(text: str, share: float = 0.8) -> bool:
    """Whether (nearly) all letters are capitals, as header lines, stamps and titles are."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= share * len(letters)


_NATIONAL = [(fold(p), kind) for p, kind in NATIONAL_HEADERS.items()]


def strip_national(key: str) -> tuple[str | None, str]:
    """The national header a folded line carries ("party"/"state") and the line without it.

    Tesseract may run the two header columns into one line ("TỈNH ỦY BẮC GIANG ĐẢNG CỘNG SẢN
    VIỆT NAM"); blanking the national part leaves the organ (same length, spans stay valid).
    """
    kind = None
    for phrase, k in _NATIONAL:
        al = partial_ratio_alignment(phrase, key, score_cutoff=80)
        if al and al.dest_end - al.dest_start >= 0.75 * len(phrase):
            kind = kind or k
            key = key[: al.dest_start] + " " * (al.dest_end - al.dest_start) + key[al.dest_end :]
    return kind, key


@dataclass(frozen=True)
class Organ:
    """One organ line of the header: "TỈNH ỦY BẮC GIANG" -> Tỉnh ủy + Bắc Giang."""

    readable: str
    prefix: str
    place: str | None
    quality: float
    start: int
    end: int


_ORGANS = sorted(((fold(k), v) for k, v in ORGAN_PREFIXES.items()), key=lambda kv: -len(kv[0]))
LEVELS = ("tinh ", "huyen ", "xa ", "thanh pho ", "quan ", "phuong ", "thi xa ", "thi tran ")


def read_organ(text: str, key: str) -> Organ | None:
    """An organ header line, upper case as printed; `key` may have the national part blanked."""
    start = len(key) - len(key.lstrip(" *-–—_.,:;'|~"))  # scanner dust before the line
    body = key[start:].rstrip()
    if len(body) < 4 or not is_upper(text[start : start + len(body)]):
        return None
    best: tuple[float, int, int, str] | None = None
    for prefix, readable in _ORGANS:
        for n in (len(prefix) - 1, len(prefix), len(prefix) + 1):
            if n > len(body) or (n < len(body) and body[n] not in " .,"):
                continue
            score = ratio(prefix, body[:n])
            if score >= 86 and (best is None or (score, len(prefix)) > best[:2]):
                best = (score, len(prefix), n, readable)
    if best is None:
        return None
    score, _, n, readable = best
    raw_place = text[start + n : start + len(body)].strip(" .,-*")
    place, place_q = snap_place(raw_place.title()) if raw_place else (None, 1.0)
    name = f"{readable} {place}" if place else readable
    return Organ(name, readable, place, score / 100 * place_q, start, start + len(body))


def issuer(organs: list[Organ]) -> str:
    """Readable issuing body from the header organs ("Ủy ban Kiểm tra Tỉnh ủy Bắc Giang")."""
    last = organs[-1]
    if last.place or len(organs) == 1:
        return last.readable
    sup = organs[-2]
    if last.prefix in SUB_UNITS:
        if sup.prefix == "Ban Chấp hành Trung ương":
            if last.prefix == "Văn phòng":
                return "Văn phòng Trung ương Đảng"
            return f"{last.prefix} Trung ương"
        if sup.prefix.startswith("Ủy ban nhân dân") and last.prefix.startswith("Sở"):
            return f"{last.prefix} {sup.prefix.split()[-1]} {sup.place}"
        return f"{last.prefix} {sup.readable}"
    if sup.place:  # "ĐẢNG BỘ TỈNH BẮC GIANG" over "TỈNH ỦY" or "ĐẢNG ỦY KHỐI CÁC CƠ QUAN"
        level = "" if last.prefix in ("Tỉnh ủy", "Thành ủy") else sup.prefix.split()[-1] + " "
        return f"{last.prefix} {level}{sup.place}"
    return last.readable


@dataclass(frozen=True)
class Symbol:
    """Số và ký hiệu: Party "10-ĐA/TU" or state "15/QĐ-UBND", and where it was read."""

    kind: str  # "party" or "state"
    so: str
    type_code: str | None
    body: str
    quality: float
    start: int
    end: int
    type_raw: str = ""  # the type code as OCR read it, to re-match against the type line

    @property
    def ky_hieu(self) -> str:
        if self.kind == "party":
            return f"{self.type_code}/{self.body}"
        return f"{self.type_code}-{self.body}" if self.type_code else self.body

    @property
    def so_ky_hieu(self) -> str:
        return f"{self.so}{'-' if self.kind == 'party' else '/'}{self.ky_hieu}"

    @property
    def parts(self) -> tuple[str, str, str]:
        """(số, ký hiệu, số và ký hiệu)."""
        return self.so, self.ky_hieu, self.so_ky_hieu


SO_ANCHOR = re.compile(r"(?<![a-z0-9])s[o0e6]\s?[:;.,]?\s*(?=[0-9o])")
SO_ANCHOR_LOOSE = re.compile(r"(?<![a-z0-9])s[o0e6]\s?[:;.,]")
"""'Số:' before a number that may be unreadable (handwritten into the blank)."""
"""'Số' before a symbol, in folded text (OCR: Sô, S6, Sé)."""
_SYMBOL = re.compile(
    r"(?P<num>[0-9][0-9O]{0,4})\s?(?P<sep>[-–—~/]?)\s?(?P<year>(?:19|20)\d\d\s?/\s?)?"
    r"(?P<rest>(?:[^\W\d_]|[|!\\])[\w|!/\\]*(?:\s?[-–—/]\s?[\w|!]+)*)"
)
BARE_SYMBOL = re.compile(
    r"(?<![\w/])\d{1,5}\s?(?:-\s?[A-ZĐ][A-Za-zĐ]{0,3}\s?[/|Il1]\s?[A-ZĐ][A-Za-zĐ]{1,7}"
    r"|/\s?[A-ZĐ][A-Za-zĐ]{0,3}\s?-\s?[A-ZĐ][A-Za-zĐ]{1,7})(?![\w/])"
)
"""A symbol without "Số" before it (lower confidence)."""
_SLASH_LIKE = "|!\\Il17"


def read_symbol(text: str, start: int, anchored: bool) -> Symbol | None:
    """The symbol starting at `start` of an NFC line, with OCR's slips repaired."""
    m = _SYMBOL.match(text, start)
    if not m:
        return None
    num, sep, rest = m["num"].replace("O", "0"), m["sep"], m["rest"].rstrip("-–—/")
    rest = re.sub(r"\s?([-–—/])\s?", r"\1", rest).replace("–", "-").replace("—", "-")
    quality = 1.0 if anchored else 0.8
    if not sep and rest[:1] in _SLASH_LIKE and "-" in rest:
        sep, rest, quality = "/", rest[1:], quality * 0.85  # "15IQĐ-UBND": the slash became I
    elif not sep:
        sep, quality = ("/" if "-" in rest else "-"), quality * 0.8
    if sep in "-–—~":
        codes = party_codes(rest)
        if codes is None:
            return None
        raw = rest.rsplit("/", 1)[0] if "/" in rest else ""
        return Symbol("party", num, codes[0], codes[1], quality * codes[2], m.start(), m.end(), raw)
    if m["year"] and sep == "/":  # "15/2022/QĐ-UBND": the year stays with the number
        num = f"{num}/{m['year'].strip(' /')}"
    if not rest.strip("-"):
        return None
    tc, body, q = state_codes(rest)
    return Symbol("state", num, tc, body, quality * q, m.start(), m.end(), rest.split("-")[0])


DATE = re.compile(
    r"n\s?[gq]\s?a?\s?[yv][\s,.:;]{0,3}(?P<d>[0-9oils]{1,2})[\s,.:;]{0,3}th\s?a\s?[nu]\s?g"
    r"[\s,.:;]{0,3}(?P<m>[0-9oils]{1,2})[\s,.:;]{0,3}n\s?a\s?[mn][\s,.:;]{0,3}(?P<y>[0-9oils]{4})"
)
"""'ngày 28 tháng 01 năm 2022' in folded text, tolerant of OCR's slips in words and digits."""


def nfc(text: str) -> str:
    """NFC text with Đ look-alikes (Ð, ð) fixed; spelling otherwise kept as printed."""
    return unicodedata.normalize("NFC", text).translate(_D_LIKE)


def read_place(text: str, end: int) -> tuple[str, float, int, int] | None:
    """The place before ", ngày" ending at `end`: the run of capitalised words (place, q, s, e)."""
    tokens = list(re.finditer(r"\S+", text[:end].rstrip(" ,.;")))
    run: list[re.Match[str]] = []
    for tok in reversed(tokens):
        word = tok.group().strip(",.;")
        if word == "-" or (word.isalpha() and (word[0].isupper() or word in ("phố", "xã"))):
            run.insert(0, tok)
        else:
            break
    # "Số 10-ĐA/TU Bắc Giang" on one line: the symbol is not part of the place.
    while run and (not run[0].group()[0].isalpha() or run[0].group() == "phố"):
        run.pop(0)
    if not run:
        return None
    start, stop = run[0].start(), run[-1].end()
    place, quality = snap_place(text[start:stop].strip(",. "))
    return place, quality, start, stop


_TYPE_KEYS = sorted(((fold(k), v) for k, v in TYPE_LINES.items()), key=lambda kv: -len(kv[0]))


def read_type_line(text: str, key: str) -> tuple[str, float, int] | None:
    """The type line ("ĐỀ ÁN", "THÔNG BÁO") at the start of a line: (type name, quality, end)."""
    key = key.rstrip()
    start = len(key) - len(key.lstrip(" *-–—_.,:;'|~"))  # scanner dust before the line
    best = None
    for tk, name in _TYPE_KEYS:
        for stop in (start + len(tk) - 1, start + len(tk), start + len(tk) + 1):
            if stop > len(key) or (stop < len(key) and key[stop] != " "):
                continue
            score = ratio(tk, key[start:stop])
            if score >= 85 and (best is None or (score, len(tk)) > (best[1], best[3])):
                best = (name, score, stop, len(tk))
    if best and is_upper(text[start : best[2]], 0.9):
        return best[0], best[1] / 100, best[2]
    return None


_MARK = re.compile(r"(?<![a-z])(tuyet\s?mat|toi\s?mat|mat|thuong\s?khan|hoa\s?toc|khan)(?![a-z])")


def read_marks(text: str, key: str) -> list[tuple[str, str, float, int, int]]:
    """Secrecy and urgency stamps in capitals ("MẬT", "HỎA TỐC"): (field, value, q, s, e)."""
    out = []
    for m in _MARK.finditer(key):
        if not is_upper(text[m.start() : m.end()], 1.0) or re.search(r"\bbi\s*$", key[: m.start()]):
            continue  # "bí mật" in a sentence is no stamp
        word = re.sub(r"\s+", " ", m.group())
        field, table = ("do_mat", SECRECY) if "mat" in word else ("do_khan", URGENCY)
        alone = not re.search(r"[a-z]", key[: m.start()] + key[m.end() :])
        out.append((field, table[word], 0.97 if alone else 0.8, m.start(), m.end()))
    return out


BODY_CUES = tuple(fold(c) for c in (
    "Căn cứ", "Thực hiện", "Kính gửi", "Hôm nay", "Vào hồi", "Theo", "Xét", "I.", "1.", "Phần",
    "Ngày", "Ban Thường vụ", "Ban Chấp hành", "Thường trực", "Ủy ban Kiểm tra", "Trong", "Qua",
    "Nhằm",
))  # fmt: skip
"""How the body text of a document starts, below its subject line (folded)."""
