"""Synthetic Vietnamese Party and state document scans with exact ground-truth text and metadata."""

from __future__ import annotations

import io
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

# ---------------------------------------------------------------------------------------------
# Page model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One printed line: its text and how it is set."""

    text: str
    style: str = "regular"
    """regular | bold | italic | bold_italic"""
    align: str = "left"
    """left | center | right | justify (justify stretches word gaps to the column width)"""
    size: float = 1.0
    """Font size relative to the page's body size."""
    indent: float = 0.0
    """Left indent in em (first line of a paragraph)."""
    underline: bool = False
    """A short rule under the line, as under "ĐẢNG CỘNG SẢN VIỆT NAM" (not part of the text)."""
    boxed: bool = False
    """A frame around the line, as a stamped "MẬT" or "KHẨN" mark (not part of the text)."""
    space_before: float = 0.0
    """Extra vertical space above the line, in line heights."""


@dataclass(frozen=True)
class Block:
    """A run of lines in one column of the page.

    Layout: "full" blocks span the text width. A "left" block directly followed by a "right" block
    share one row (the two-column header; "Nơi nhận" beside the signature); the row is as tall as
    the taller of the two. Tesseract reads such a row left block first, then right block, and
    `page_text` follows that order.
    """

    role: str
    """header_left, header_right, page_number, marks, title, body, recipients, signature"""
    lines: tuple[Line, ...]
    column: str = "full"
    """full | left | right"""
    space_before: float = 0.0
    """Vertical space above the block (or the row), in line heights."""


@dataclass(frozen=True)
class SynthPage:
    """One page of a synthetic document, as blocks in reading order."""

    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class SynthDocument:
    """A synthetic document: its pages and the exact metadata printed on them."""

    pages: tuple[SynthPage, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    """Ground truth: loai, ma_loai, so, ky_hieu, so_ky_hieu, ngay_ban_hanh (ISO), noi_ban_hanh,
    co_quan_ban_hanh, co_quan_cap_tren, trich_yeu, quyen_han_ky, thay_mat, chuc_vu, nguoi_ky,
    noi_nhan, do_mat, do_khan, so_trang, he_thong ("dang" or "nha_nuoc")."""


# ---------------------------------------------------------------------------------------------
# Geometry and fonts
# ---------------------------------------------------------------------------------------------

A4_MM = (210.0, 297.0)
# Margins of Vietnamese administrative documents (Nghị định 30/2020, Hướng dẫn 36-HD/VPTW):
# top/bottom 20 mm, left 30 mm, right 15-20 mm.
MARGIN_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 18.0}
LEFT_COLUMN = 0.42  # share of the text width given to the left column of a two-column row
COLUMN_GAP = 0.04  # share of the text width kept empty between the columns
LINE_SPACING = 1.32  # baseline distance in font sizes
BASE_DPI = 300
BASE_SIZE_PT = 13.0

_FONT_DIRS = (
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/truetype/dejavu",
)
_FONT_FILES = {
    "serif": [
        (
            "LiberationSerif-Regular",
            "LiberationSerif-Bold",
            "LiberationSerif-Italic",
            "LiberationSerif-BoldItalic",
        ),
        ("NotoSerif-Regular", "NotoSerif-Bold", "NotoSerif-Italic", "NotoSerif-BoldItalic"),
        ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic"),
    ],
    "sans": [
        (
            "LiberationSans-Regular",
            "LiberationSans-Bold",
            "LiberationSans-Italic",
            "LiberationSans-BoldItalic",
        ),
        ("NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic", "NotoSans-BoldItalic"),
        ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),
    ],
}
_STYLES = ("regular", "bold", "italic", "bold_italic")


@cache
def font_paths(family: str = "serif") -> dict[str, Path]:
    """The TrueType files for a family ("serif" or "sans") that cover Vietnamese, by style."""
    if family not in _FONT_FILES:
        raise ValueError(f"font must be 'serif' or 'sans', not {family!r}")
    for names in _FONT_FILES[family]:
        found: dict[str, Path] = {}
        for style, name in zip(_STYLES, names, strict=True):
            for folder in _FONT_DIRS:
                path = Path(folder) / f"{name}.ttf"
                if path.exists():
                    found[style] = path
                    break
        if len(found) == len(_STYLES):
            return found
    raise FileNotFoundError(
        f"No {family} font with Vietnamese glyphs found: apt-get install fonts-liberation2 "
        "(or fonts-noto-core)"
    )


@cache
def _font(family: str, style: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_paths(family)[style]), size_px)


@dataclass(frozen=True)
class _Geometry:
    """Page geometry in pixels for one dpi and body size."""

    dpi: int
    size_pt: float

    @property
    def width(self) -> int:
        return round(A4_MM[0] / 25.4 * self.dpi)

    @property
    def height(self) -> int:
        return round(A4_MM[1] / 25.4 * self.dpi)

    def mm(self, value: float) -> int:
        return round(value / 25.4 * self.dpi)

    @property
    def left(self) -> int:
        return self.mm(MARGIN_MM["left"])

    @property
    def right(self) -> int:
        return self.width - self.mm(MARGIN_MM["right"])

    @property
    def top(self) -> int:
        return self.mm(MARGIN_MM["top"])

    @property
    def bottom(self) -> int:
        return self.height - self.mm(MARGIN_MM["bottom"])

    @property
    def size_px(self) -> float:
        return self.size_pt / 72.0 * self.dpi

    def line_height(self, line: Line) -> float:
        return LINE_SPACING * self.size_px * line.size

    def column(self, column: str) -> tuple[int, int]:
        text_width = self.right - self.left
        split = self.left + round(text_width * LEFT_COLUMN)
        gap = round(text_width * COLUMN_GAP / 2)
        if column == "left":
            return self.left, split - gap
        if column == "right":
            return split + gap, self.right
        return self.left, self.right


_BASE = _Geometry(BASE_DPI, BASE_SIZE_PT)


def _text_width(text: str, line: Line, geo: _Geometry, family: str = "serif") -> float:
    return _font(family, line.style, round(geo.size_px * line.size)).getlength(text)


def _wrap(text: str, proto: Line, column: str, *, first_indent: float = 0.0) -> list[Line]:
    """Break a paragraph into lines that fit the column at the base geometry."""
    x0, x1 = _BASE.column(column)
    width = x1 - x0
    em = _BASE.size_px * proto.size
    words = text.split()
    lines: list[Line] = []
    current: list[str] = []
    indent = first_indent
    for word in words:
        trial = " ".join([*current, word])
        if current and _text_width(trial, proto, _BASE) + indent * em > width:
            lines.append(_line_like(proto, " ".join(current), indent, last=False))
            current, indent = [word], 0.0
        else:
            current.append(word)
    if current:
        lines.append(_line_like(proto, " ".join(current), indent, last=True))
    return lines


def _line_like(proto: Line, text: str, indent: float, *, last: bool) -> Line:
    align = "left" if proto.align == "justify" and last else proto.align
    return Line(text, proto.style, align, proto.size, indent, proto.underline, proto.boxed, 0.0)


def _fit(line: Line, column: str) -> Line:
    """Shrink a line that must stay on one line (a header) until it fits its column."""
    x0, x1 = _BASE.column(column)
    width = _text_width(line.text, line, _BASE)
    if width <= x1 - x0:
        return line
    size = math.floor(line.size * (x1 - x0) / width * 100) / 100
    return Line(
        line.text,
        line.style,
        line.align,
        size,
        line.indent,
        line.underline,
        line.boxed,
        line.space_before,
    )


# ---------------------------------------------------------------------------------------------
# Ground-truth text
# ---------------------------------------------------------------------------------------------


def _rows(page: SynthPage) -> list[tuple[Block, ...]]:
    rows: list[tuple[Block, ...]] = []
    blocks = list(page.blocks)
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.column == "left" and i + 1 < len(blocks) and blocks[i + 1].column == "right":
            rows.append((block, blocks[i + 1]))
            i += 2
        else:
            rows.append((block,))
            i += 1
    return rows


def page_text(page: SynthPage) -> str:
    """The page's text in Tesseract's reading order: blocks in order, a row's left block first.

    Lines are separated by newlines and blocks by a blank line, as Tesseract prints them.
    """
    if isinstance(page, list):
        return "\n".join(page)
    parts = ["\n".join(line.text for line in block.lines) for block in page.blocks]
    return "\n\n".join(part for part in parts if part)


def document_text(doc: SynthDocument) -> str:
    """All pages' text, pages separated by a form feed."""
    return "\f".join(page_text(p) for p in doc.pages)


def _normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(ref: str, hyp: str) -> float:
    """Character error rate: edit distance / reference length, after NFC and whitespace folding."""
    r, h = _normalize(ref), _normalize(hyp)
    if not r:
        return 0.0 if not h else 1.0
    return Levenshtein.distance(r, h) / len(r)


def wer(ref: str, hyp: str) -> float:
    """Word error rate: word-level edit distance / reference word count (NFC, whitespace split)."""
    r, h = _normalize(ref).split(), _normalize(hyp).split()
    if not r:
        return 0.0 if not h else 1.0
    return Levenshtein.distance(r, h) / len(r)


# ---------------------------------------------------------------------------------------------
# Vocabulary: written for this project; names and numbers are invented
# ---------------------------------------------------------------------------------------------

PROVINCES = {
    "Bắc Giang": ["Yên Dũng", "Lục Nam", "Hiệp Hòa", "Tân Yên"],
    "Nghệ An": ["Diễn Châu", "Quỳnh Lưu", "Thanh Chương", "Đô Lương"],
    "Thái Bình": ["Kiến Xương", "Vũ Thư", "Hưng Hà", "Đông Hưng"],
    "Quảng Ngãi": ["Sơn Tịnh", "Mộ Đức", "Đức Phổ", "Bình Sơn"],
    "Lâm Đồng": ["Đức Trọng", "Di Linh", "Bảo Lâm", "Lạc Dương"],
    "Hà Nam": ["Lý Nhân", "Kim Bảng", "Thanh Liêm", "Bình Lục"],
    "Hưng Yên": ["Khoái Châu", "Ân Thi", "Phù Cừ", "Tiên Lữ"],
    "Phú Thọ": ["Thanh Sơn", "Cẩm Khê", "Đoan Hùng", "Hạ Hòa"],
}
HO = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
    "Dương",
    "Lương",
    "Phùng",
    "Trịnh",
    "Đinh",
    "Lưu",
]
DEM = [
    "Văn",
    "Thị",
    "Đức",
    "Minh",
    "Quang",
    "Thanh",
    "Hữu",
    "Xuân",
    "Ngọc",
    "Thế",
    "Đình",
    "Khắc",
    "Thu",
    "Hồng",
]
TEN = [
    "Hùng",
    "Dũng",
    "Thắng",
    "Hường",
    "Thủy",
    "Phượng",
    "Lực",
    "Quyết",
    "Nghĩa",
    "Hạnh",
    "Tuấn",
    "Đạt",
    "Sơn",
    "Bằng",
    "Khải",
    "Duyệt",
    "Thưởng",
    "Yến",
    "Lệ",
    "Hiển",
    "Cường",
]

# Party document types: code -> (printed title, readable name).
PARTY_TYPES = {
    "NQ": ("NGHỊ QUYẾT", "Nghị quyết"),
    "QĐ": ("QUYẾT ĐỊNH", "Quyết định"),
    "CT": ("CHỈ THỊ", "Chỉ thị"),
    "KL": ("KẾT LUẬN", "Kết luận"),
    "QC": ("QUY CHẾ", "Quy chế"),
    "TT": ("THÔNG TRI", "Thông tri"),
    "HD": ("HƯỚNG DẪN", "Hướng dẫn"),
    "TB": ("THÔNG BÁO", "Thông báo"),
    "BC": ("BÁO CÁO", "Báo cáo"),
    "KH": ("KẾ HOẠCH", "Kế hoạch"),
    "CTr": ("CHƯƠNG TRÌNH", "Chương trình"),
    "ĐA": ("ĐỀ ÁN", "Đề án"),
    "PA": ("PHƯƠNG ÁN", "Phương án"),
    "TTr": ("TỜ TRÌNH", "Tờ trình"),
    "BB": ("BIÊN BẢN", "Biên bản"),
    "CV": ("", "Công văn"),
}
# Which bodies plausibly issue which types (the rest issue the common ones).
_LEADING_ONLY = {"NQ", "CT", "KL", "TT", "QC"}

STATE_TYPES = {
    "QĐ": ("QUYẾT ĐỊNH", "Quyết định"),
    "KH": ("KẾ HOẠCH", "Kế hoạch"),
    "BC": ("BÁO CÁO", "Báo cáo"),
    "TB": ("THÔNG BÁO", "Thông báo"),
    "TTr": ("TỜ TRÌNH", "Tờ trình"),
    "CT": ("CHỈ THỊ", "Chỉ thị"),
    "HD": ("HƯỚNG DẪN", "Hướng dẫn"),
    "CV": ("", "Công văn"),
}

TOPICS = [
    "nâng cao chất lượng công tác kiểm tra, giám sát của Đảng",
    "tăng cường công tác phát triển đảng viên ở các chi bộ nông thôn",
    "đổi mới nội dung, phương thức sinh hoạt chi bộ",
    "công tác bảo vệ chính trị nội bộ",
    "đẩy mạnh chuyển đổi số trong các cơ quan đảng",
    "công tác văn thư, lưu trữ tài liệu của các cấp ủy",
    "thực hiện quy chế dân chủ ở cơ sở",
    "công tác cán bộ và quy hoạch cán bộ lãnh đạo, quản lý",
    "phòng, chống tham nhũng, lãng phí, tiêu cực",
    "xây dựng tổ chức cơ sở đảng trong sạch, vững mạnh",
    "công tác dân vận của hệ thống chính trị",
    "tổ chức đại hội đảng bộ các cấp",
    "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "công tác bảo vệ bí mật nhà nước",
    "thu, nộp, quản lý và sử dụng đảng phí",
    "công tác thông tin đối ngoại và tuyên truyền",
    "phát triển kinh tế tập thể, hợp tác xã",
    "xây dựng nông thôn mới gắn với đô thị văn minh",
    "công tác đào tạo, bồi dưỡng lý luận chính trị",
    "giải quyết đơn thư khiếu nại, tố cáo đối với đảng viên",
]
STATE_TOPICS = [
    "ban hành Quy chế quản lý hồ sơ, tài liệu điện tử",
    "triển khai số hóa tài liệu lưu trữ lịch sử",
    "cải cách hành chính và nâng cao chỉ số năng lực cạnh tranh",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "kiện toàn Hội đồng xác định giá trị tài liệu",
    "đầu tư xây dựng kho lưu trữ chuyên dụng",
    "thực hiện chương trình mục tiêu quốc gia giảm nghèo bền vững",
    "bảo đảm trật tự an toàn giao thông dịp Tết Nguyên đán",
]


# ---------------------------------------------------------------------------------------------
# Issuing bodies
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Body:
    code: str  # ký hiệu of the body: TU, HU, UBKTTU, QĐ-UBND's "UBND"...
    header: tuple[str, ...]  # left header lines, upper case, top one is the superior
    name: str  # co_quan_ban_hanh
    superior: str | None  # co_quan_cap_tren
    place: str  # noi_ban_hanh
    signatures: tuple[tuple[str | None, str | None, str], ...]
    # (quyen_han_ky, thay_mat, chuc_vu) choices, printed upper case
    leading: bool  # a cấp ủy itself (may issue NQ, CT, KL)


def _party_body(code: str, province: str, district: str) -> _Body:
    tu = f"TỈNH ỦY {province.upper()}"
    if code == "TU":
        return _Body(
            code,
            (tu,),
            f"Tỉnh ủy {province}",
            None,
            province,
            (
                ("T/M", "Ban Thường vụ", "Bí thư"),
                ("T/M", "Ban Thường vụ", "Phó Bí thư"),
                ("K/T", "Bí thư", "Phó Bí thư"),
                ("T/L", "Ban Thường vụ", "Chánh Văn phòng"),
            ),
            True,
        )
    if code == "HU":
        return _Body(
            code,
            (f"ĐẢNG BỘ TỈNH {province.upper()}", f"HUYỆN ỦY {district.upper()}"),
            f"Huyện ủy {district}",
            f"Đảng bộ tỉnh {province}",
            district,
            (
                ("T/M", "Ban Thường vụ", "Bí thư"),
                ("T/M", "Ban Thường vụ", "Phó Bí thư"),
                ("K/T", "Bí thư", "Phó Bí thư"),
            ),
            True,
        )
    if code == "ĐU":
        return _Body(
            code,
            (f"ĐẢNG BỘ TỈNH {province.upper()}", "ĐẢNG ỦY KHỐI CÁC CƠ QUAN"),
            f"Đảng ủy Khối các cơ quan tỉnh {province}",
            f"Đảng bộ tỉnh {province}",
            province,
            (("T/M", "Ban Thường vụ", "Bí thư"), ("K/T", "Bí thư", "Phó Bí thư")),
            True,
        )
    units = {
        "UBKTTU": (
            "ỦY BAN KIỂM TRA",
            "Ủy ban Kiểm tra",
            (("T/M", "Ủy ban Kiểm tra", "Chủ nhiệm"), ("K/T", "Chủ nhiệm", "Phó Chủ nhiệm")),
        ),
        "BTCTU": (
            "BAN TỔ CHỨC",
            "Ban Tổ chức",
            ((None, None, "Trưởng ban"), ("K/T", "Trưởng ban", "Phó Trưởng ban")),
        ),
        "VPTU": (
            "VĂN PHÒNG",
            "Văn phòng",
            ((None, None, "Chánh Văn phòng"), ("K/T", "Chánh Văn phòng", "Phó Chánh Văn phòng")),
        ),
        "BTGTU": (
            "BAN TUYÊN GIÁO",
            "Ban Tuyên giáo",
            ((None, None, "Trưởng ban"), ("K/T", "Trưởng ban", "Phó Trưởng ban")),
        ),
    }
    if code not in units:
        raise ValueError(f"unknown Party body {code!r}: use one of TU, HU, ĐU, {', '.join(units)}")
    head, name, sigs = units[code]
    return _Body(
        code, (tu, head), f"{name} Tỉnh ủy {province}", f"Tỉnh ủy {province}", province, sigs, False
    )


PARTY_BODIES = ("TU", "HU", "ĐU", "UBKTTU", "BTCTU", "VPTU", "BTGTU")


def _state_body(code: str, province: str, district: str) -> _Body:
    if code == "UBND":
        return _Body(
            code,
            ("ỦY BAN NHÂN DÂN", f"TỈNH {province.upper()}"),
            f"Ủy ban nhân dân tỉnh {province}",
            None,
            province,
            (("TM.", "Ủy ban nhân dân", "Chủ tịch"), ("KT.", "Chủ tịch", "Phó Chủ tịch")),
            True,
        )
    if code == "UBND-H":
        return _Body(
            "UBND",
            ("ỦY BAN NHÂN DÂN", f"HUYỆN {district.upper()}"),
            f"Ủy ban nhân dân huyện {district}",
            None,
            district,
            (("TM.", "Ủy ban nhân dân", "Chủ tịch"), ("KT.", "Chủ tịch", "Phó Chủ tịch")),
            True,
        )
    if code == "SNV":
        return _Body(
            code,
            (f"UBND TỈNH {province.upper()}", "SỞ NỘI VỤ"),
            f"Sở Nội vụ tỉnh {province}",
            f"Ủy ban nhân dân tỉnh {province}",
            province,
            ((None, None, "Giám đốc"), ("KT.", "Giám đốc", "Phó Giám đốc")),
            False,
        )
    raise ValueError(f"unknown state body {code!r}: use UBND, UBND-H or SNV")


# ---------------------------------------------------------------------------------------------
# Prose
# ---------------------------------------------------------------------------------------------


def _name(rng: random.Random) -> str:
    return f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}"


def _slash_date(rng: random.Random, before: int) -> str:
    # In-text citations print day and month without padding ("ngày 01/7/2014" keeps the day's
    # zero in most documents; months < 10 are written without it).
    year = rng.randint(1997, before)
    return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12)}/{year}"


_SENTENCES = [
    "Thực hiện {ref} của {ref_body} về {topic}, {short} đã lãnh đạo, chỉ đạo các cấp ủy, tổ chức "
    "đảng quán triệt và triển khai thực hiện nghiêm túc, đạt được nhiều kết quả quan trọng.",
    "Công tác kiểm tra, giám sát và thi hành kỷ luật đảng được tăng cường; Ủy ban Kiểm tra các "
    "cấp đã chủ động tham mưu, giúp cấp ủy xây dựng chương trình, kế hoạch kiểm tra, giám sát sát "
    "với tình hình thực tế ở địa phương, cơ sở.",
    "Trong năm {year}, toàn Đảng bộ đã kết nạp được {n1} đảng viên mới, nâng tổng số đảng viên lên "
    "{n2} đồng chí, sinh hoạt tại {n3} chi bộ, đảng bộ cơ sở.",
    "Bên cạnh những kết quả đạt được, vẫn còn một số hạn chế, khuyết điểm: chất lượng sinh hoạt "
    "chi bộ ở một số nơi chưa cao, nội dung sinh hoạt còn đơn điệu; việc phát hiện, bồi dưỡng quần "
    "chúng ưu tú để kết nạp vào Đảng có lúc, có nơi chưa được quan tâm đúng mức.",
    "Nguyên nhân của những hạn chế trên chủ yếu là do một số cấp ủy, người đứng đầu chưa thực sự "
    "quan tâm, chưa quyết liệt trong lãnh đạo, chỉ đạo; một bộ phận cán bộ, đảng viên còn thiếu "
    "gương mẫu, ngại va chạm.",
    "Các cấp ủy, tổ chức đảng tiếp tục đẩy mạnh việc học tập và làm theo tư tưởng, đạo đức, phong "
    "cách Hồ Chí Minh gắn với nhiệm vụ xây dựng, chỉnh đốn Đảng và hệ thống chính trị.",
    "Giao {dept} chủ trì, phối hợp với các cơ quan liên quan theo dõi, đôn đốc, kiểm tra việc thực "
    "hiện; định kỳ {period} báo cáo {boss} kết quả thực hiện.",
    "Qua kiểm tra {n1} tổ chức đảng và {n3} đảng viên khi có dấu hiệu vi phạm, Ủy ban Kiểm tra đã "
    "kết luận {n4} đảng viên có vi phạm đến mức phải xem xét, thi hành kỷ luật.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, chuyển đổi số trong hoạt động của các cơ quan đảng; số "
    "hóa tài liệu lưu trữ, bảo đảm an toàn, bảo mật thông tin theo quy định.",
    "Phấn đấu đến năm {year2}, có trên {p1}% tổ chức cơ sở đảng được đánh giá, xếp loại hoàn thành "
    "tốt nhiệm vụ trở lên; {p2}% chi bộ duy trì sinh hoạt định kỳ theo đúng quy định.",
    "Ngày {sdate}, {boss} đã tổ chức hội nghị sơ kết việc thực hiện {ref}, đánh giá những kết quả "
    "đạt được, chỉ rõ hạn chế, khuyết điểm và đề ra nhiệm vụ, giải pháp trong thời gian tới.",
    "Đề nghị các huyện ủy, thành ủy, đảng ủy trực thuộc nghiêm túc triển khai thực hiện; quá trình "
    "thực hiện nếu có khó khăn, vướng mắc kịp thời phản ánh về {dept} để tổng hợp, báo cáo.",
    "Công tác bảo vệ bí mật nhà nước được thực hiện nghiêm; tài liệu mật được quản lý, sử dụng, "
    "lưu trữ đúng quy định, không để xảy ra lộ, lọt bí mật của Đảng và Nhà nước.",
    "Tình hình kinh tế - xã hội của tỉnh tiếp tục phát triển ổn định; tốc độ tăng trưởng kinh tế "
    "ước đạt {g}%, thu ngân sách nhà nước trên địa bàn đạt {t} tỷ đồng, đời sống vật chất và tinh "
    "thần của nhân dân từng bước được nâng lên.",
    "Quốc phòng, an ninh được giữ vững, trật tự an toàn xã hội được bảo đảm; công tác dân vận, mặt "
    "trận và các đoàn thể chính trị - xã hội có nhiều đổi mới, hướng mạnh về cơ sở.",
    "Thường trực Ủy ban Kiểm tra đã xem xét, kết luận đồng chí {person}, đảng viên chi bộ thôn "
    "{village}, đã vi phạm quy định về những điều đảng viên không được làm.",
    "Việc lập hồ sơ và giao nộp tài liệu vào lưu trữ cơ quan được thực hiện theo Quy định số "
    "{n5}-QĐ/TW, ngày {sdate}; hồ sơ được sắp xếp, biên mục và xác định thời hạn bảo quản đầy đủ.",
    "Cấp ủy các cấp thường xuyên nắm bắt tình hình tư tưởng của cán bộ, đảng viên và nhân dân; kịp "
    "thời định hướng dư luận xã hội, đấu tranh phản bác các quan điểm sai trái, thù địch.",
    "Mỗi cán bộ, đảng viên, trước hết là người đứng đầu, phải nêu cao tinh thần trách nhiệm, gương "
    "mẫu trong lời nói và việc làm, giữ gìn phẩm chất đạo đức, lối sống trong sạch.",
    "Tổng kinh phí thực hiện dự kiến khoảng {t} triệu đồng, được bố trí từ nguồn ngân sách của "
    "tỉnh và các nguồn huy động hợp pháp khác.",
]

_HEADINGS = {
    "ĐA": [
        "I. SỰ CẦN THIẾT XÂY DỰNG ĐỀ ÁN",
        "II. MỤC TIÊU, YÊU CẦU",
        "III. NHIỆM VỤ VÀ GIẢI PHÁP",
        "IV. TỔ CHỨC THỰC HIỆN",
    ],
    "KH": ["I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG", "III. TỔ CHỨC THỰC HIỆN"],
    "BC": [
        "I. KẾT QUẢ THỰC HIỆN",
        "II. HẠN CHẾ, KHUYẾT ĐIỂM VÀ NGUYÊN NHÂN",
        "III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI",
    ],
    "HD": ["I. YÊU CẦU CHUNG", "II. NỘI DUNG CỤ THỂ", "III. TỔ CHỨC THỰC HIỆN"],
    "CTr": ["I. MỤC TIÊU", "II. NHIỆM VỤ TRỌNG TÂM", "III. TỔ CHỨC THỰC HIỆN"],
    "NQ": ["I. TÌNH HÌNH VÀ NGUYÊN NHÂN", "II. QUAN ĐIỂM, MỤC TIÊU", "III. NHIỆM VỤ, GIẢI PHÁP"],
}
_SUBHEADINGS = [
    "Kết quả đạt được",
    "Hạn chế, khuyết điểm",
    "Nguyên nhân",
    "Mục tiêu cụ thể",
    "Nhiệm vụ trọng tâm",
    "Giải pháp chủ yếu",
    "Phân công nhiệm vụ",
]


def _fill(rng: random.Random, template: str, ctx: dict[str, str], year: int) -> str:
    values = {
        "n1": str(rng.randint(12, 480)),
        "n2": f"{rng.randint(20, 98)}.{rng.randint(0, 999):03d}",
        "n3": str(rng.randint(30, 900)),
        "n4": str(rng.randint(2, 40)),
        "n5": str(rng.randint(60, 300)),
        "p1": str(rng.choice([75, 80, 85, 90])),
        "p2": str(rng.choice([95, 98, 100])),
        "g": f"{rng.randint(5, 14)},{rng.randint(1, 9)}",
        "t": f"{rng.randint(1, 19)}.{rng.randint(0, 999):03d}",
        "year": str(year - 1),
        "year2": str(year + rng.randint(2, 8)),
        "sdate": _slash_date(rng, year),
        "person": _name(rng),
        "village": rng.choice(["Đông", "Tân Tiến", "Phúc Lâm", "Hạ Thượng", "Quyết Thắng", "Lãm"]),
        "period": rng.choice(["6 tháng, hằng năm", "hằng quý", "hằng năm"]),
        "topic": rng.choice(TOPICS),
    }
    values.update(ctx)
    return template.format(**values)


def _prose(rng: random.Random, ctx: dict[str, str], year: int, n_sentences: int) -> str:
    return " ".join(_fill(rng, rng.choice(_SENTENCES), ctx, year) for _ in range(n_sentences))


def corpus_page_text(seed: int, n_words: int) -> str:
    """About n_words of Vietnamese administrative prose, fast (no rendering), for search tests."""
    rng = random.Random(seed)
    province = rng.choice(list(PROVINCES))
    ctx = {
        "short": f"Ban Thường vụ Tỉnh ủy {province}",
        "boss": "Ban Thường vụ Tỉnh ủy",
        "dept": "Văn phòng Tỉnh ủy",
        "ref": f"Nghị quyết số {rng.randint(1, 60)}-NQ/TW",
        "ref_body": "Bộ Chính trị",
    }
    year = rng.randint(1998, 2024)
    words: list[str] = []
    while len(words) < n_words:
        words.extend(_fill(rng, rng.choice(_SENTENCES), ctx, year).split())
    return " ".join(words[:n_words])


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------

DO_MAT = ("Mật", "Tối mật")
DO_KHAN = ("Khẩn", "Thượng khẩn", "Hỏa tốc")


def _check_choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    for choice in allowed:
        if value.casefold() == choice.casefold():
            return choice
    raise ValueError(f"{what} must be one of {', '.join(allowed)} or None, not {value!r}")


def _pick_date(rng: random.Random) -> date:
    return date(1995, 1, 1) + timedelta(days=rng.randint(0, 365 * 29))


def _date_line(place: str, day: date) -> str:
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _title_lines(title: str, trich_yeu: str, party: bool) -> list[Line]:
    lines = [Line(title, "bold", "center", 1.1, space_before=0.8)]
    # Party titles print the trích yếu in bold upper-case-initial; state ones start "Về ...".
    proto = Line("", "bold", "center", 1.0)
    text = trich_yeu[0].upper() + trich_yeu[1:] if party else trich_yeu
    lines.extend(_wrap(text, proto, "full"))
    return lines


def party_document(
    seed: int,
    *,
    kind: str | None = None,
    body: str | None = None,
    do_mat: str | None = None,
    do_khan: str | None = None,
    pages: int = 1,
) -> SynthDocument:
    """A Party document (ĐẢNG CỘNG SẢN VIỆT NAM form, "Số 10-ĐA/TU"), deterministic in seed.

    kind is a type code (NQ, QĐ, CT, KL, TB, BC, KH, CTr, ĐA, HD, CV, BB, TTr, ...), body an
    issuing body code (TU, HU, ĐU, UBKTTU, BTCTU, VPTU, BTGTU); both random when None.
    """
    rng = random.Random(f"party-{seed}")
    province = rng.choice(list(PROVINCES))
    district = rng.choice(PROVINCES[province])
    body_code = body or rng.choice(PARTY_BODIES)
    org = _party_body(body_code, province, district)
    if kind is None:
        allowed = [k for k in PARTY_TYPES if org.leading or k not in _LEADING_ONLY]
        kind = rng.choice(allowed)
    if kind not in PARTY_TYPES:
        raise ValueError(
            f"unknown Party document type {kind!r}: use one of {', '.join(PARTY_TYPES)}"
        )
    title, loai = PARTY_TYPES[kind]
    number = rng.randint(1, 420)
    ky_hieu = f"{kind}/{body_code}"
    so_ky_hieu = f"{number}-{ky_hieu}"
    issued = _pick_date(rng)
    topic = rng.choice(TOPICS)
    trich_yeu = _trich_yeu(rng, kind, topic, issued.year)
    header_left = [Line(org.header[0], "regular" if len(org.header) > 1 else "bold", "center")]
    header_left += [Line(h, "bold", "center") for h in org.header[1:]]
    header_left.append(Line("*", "regular", "center"))
    header_left.append(Line(f"Số {so_ky_hieu}", "regular", "center"))
    if kind == "CV":
        header_left += _wrap(f"V/v {trich_yeu}", Line("", "italic", "center", 0.92), "left")
    return _assemble(
        rng,
        seed,
        party=True,
        org=org,
        kind=kind,
        title=title,
        loai=loai,
        number=number,
        ky_hieu=ky_hieu,
        so_ky_hieu=so_ky_hieu,
        issued=issued,
        trich_yeu=trich_yeu,
        header_left=header_left,
        header_right=[
            Line("ĐẢNG CỘNG SẢN VIỆT NAM", "bold", "center", underline=True),
            Line(_date_line(org.place, issued), "italic", "center", space_before=0.5),
        ],
        do_mat=_check_choice(do_mat, DO_MAT, "do_mat"),
        do_khan=_check_choice(do_khan, DO_KHAN, "do_khan"),
        pages=pages,
        province=province,
    )


def state_document(
    seed: int,
    *,
    kind: str | None = None,
    body: str | None = None,
    do_mat: str | None = None,
    do_khan: str | None = None,
    pages: int = 1,
) -> SynthDocument:
    """A state document (CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM form, "Số: 15/QĐ-UBND").

    kind: QĐ, KH, BC, TB, TTr, CT, HD, CV; body: UBND (province), UBND-H (district), SNV.
    """
    rng = random.Random(f"state-{seed}")
    province = rng.choice(list(PROVINCES))
    district = rng.choice(PROVINCES[province])
    org = _state_body(body or rng.choice(["UBND", "UBND-H", "SNV"]), province, district)
    kind = kind or rng.choice(list(STATE_TYPES))
    if kind not in STATE_TYPES:
        raise ValueError(
            f"unknown state document type {kind!r}: use one of {', '.join(STATE_TYPES)}"
        )
    title, loai = STATE_TYPES[kind]
    number = rng.randint(1, 2500)
    ky_hieu = f"{kind}-{org.code}" if kind != "CV" else org.code
    so_ky_hieu = f"{number}/{ky_hieu}"
    issued = _pick_date(rng)
    topic = rng.choice(STATE_TOPICS)
    trich_yeu = f"V/v {topic}" if kind == "CV" else f"Về việc {topic}"
    header_left = [
        Line(org.header[0], "bold" if org.leading else "regular", "center"),
        Line(org.header[1], "bold", "center", underline=True),
        Line(f"Số: {so_ky_hieu}", "regular", "center", space_before=0.4),
    ]
    if kind == "CV":
        header_left += _wrap(trich_yeu, Line("", "regular", "center", 0.92), "left")
        trich_yeu = trich_yeu.removeprefix("V/v ")
    return _assemble(
        rng,
        seed,
        party=False,
        org=org,
        kind=kind,
        title=title,
        loai=loai,
        number=number,
        ky_hieu=ky_hieu,
        so_ky_hieu=so_ky_hieu,
        issued=issued,
        trich_yeu=trich_yeu,
        header_left=header_left,
        header_right=[
            _fit(Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold", "center"), "right"),
            Line("Độc lập - Tự do - Hạnh phúc", "bold", "center", underline=True),
            Line(_date_line(org.place, issued), "italic", "center", space_before=0.4),
        ],
        do_mat=_check_choice(do_mat, DO_MAT, "do_mat"),
        do_khan=_check_choice(do_khan, DO_KHAN, "do_khan"),
        pages=pages,
        province=province,
    )


def _trich_yeu(rng: random.Random, kind: str, topic: str, year: int) -> str:
    if kind in ("NQ", "CT", "KL", "TT", "HD", "QC"):
        return f"về {topic}"
    if kind == "ĐA":
        return f"{topic} giai đoạn {year} - {year + 5}"
    if kind in ("BC", "TB"):
        return f"kết quả {rng.choice(['6 tháng đầu năm', 'năm', 'sơ kết'])} {year} về {topic}"
    if kind in ("KH", "CTr", "PA"):
        return f"thực hiện {topic} năm {year}"
    if kind == "BB":
        return f"hội nghị bàn về {topic}"
    return f"{topic}"


def _assemble(
    rng: random.Random,
    seed: int,
    *,
    party: bool,
    org: _Body,
    kind: str,
    title: str,
    loai: str,
    number: int,
    ky_hieu: str,
    so_ky_hieu: str,
    issued: date,
    trich_yeu: str,
    header_left: list[Line],
    header_right: list[Line],
    do_mat: str | None,
    do_khan: str | None,
    pages: int,
    province: str,
) -> SynthDocument:
    if pages < 1:
        raise ValueError(f"pages must be at least 1, not {pages}")
    header_left = [_fit(line, "left") for line in header_left]
    first: list[Block] = [
        Block("header_left", tuple(header_left), "left"),
        Block("header_right", tuple(header_right), "right"),
    ]
    marks = [m.upper() for m in (do_mat, do_khan) if m]
    if marks:
        first.append(
            Block(
                "marks",
                tuple(Line(m, "bold", "left", boxed=True, space_before=0.3) for m in marks),
                "full",
                space_before=0.3,
            )
        )
    if title:
        first.append(
            Block("title", tuple(_title_lines(title, trich_yeu, party)), "full", space_before=0.6)
        )

    quyen, thay_mat, chuc_vu = rng.choice(org.signatures)
    signer = _name(rng)
    sig_lines = []
    if quyen:
        sig_lines.append(
            Line(f"{quyen} {thay_mat.upper()}" if thay_mat else quyen, "bold", "center")
        )
    sig_lines.append(Line(chuc_vu.upper(), "bold", "center"))
    sig_lines.append(Line(signer, "bold", "center", space_before=3.2))
    recipients = _recipients(rng, org, party)
    rec_lines = [Line("Nơi nhận:", "bold_italic", "left", 0.92)]
    for i, item in enumerate(recipients):
        end = "." if i == len(recipients) - 1 else ","
        rec_lines += _wrap(f"- {item}{end}", Line("", "regular", "left", 0.85), "left")
    closing = (
        Block("recipients", tuple(rec_lines), "left", space_before=0.8),
        Block("signature", tuple(sig_lines), "right", space_before=0.8),
    )

    short = {"TU": "Ban Thường vụ Tỉnh ủy", "HU": "Ban Thường vụ Huyện ủy"}.get(
        org.code, org.name.split(" Tỉnh ủy")[0]
    )
    ctx = {
        "short": short if party else org.name,
        "boss": "Ban Thường vụ Tỉnh ủy" if party else f"Ủy ban nhân dân tỉnh {province}",
        "dept": rng.choice(["Văn phòng Tỉnh ủy", "Ban Tổ chức Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy"])
        if party
        else rng.choice(["Sở Nội vụ", "Văn phòng Ủy ban nhân dân tỉnh"]),
        "ref": f"{rng.choice(['Nghị quyết', 'Chỉ thị', 'Kết luận'])} số {rng.randint(1, 90)}-"
        f"{rng.choice(['NQ', 'CT', 'KL'])}/TW",
        "ref_body": rng.choice(["Bộ Chính trị", "Ban Bí thư", "Ban Chấp hành Trung ương"]),
    }
    paged = _paginate(rng, first, closing, kind, ctx, issued.year, pages)
    metadata: dict[str, Any] = {
        "he_thong": "dang" if party else "nha_nuoc",
        "loai": loai,
        "ma_loai": kind,
        "so": number,
        "ky_hieu": ky_hieu,
        "so_ky_hieu": so_ky_hieu,
        "ngay_ban_hanh": issued.isoformat(),
        "noi_ban_hanh": org.place,
        "co_quan_ban_hanh": org.name,
        "co_quan_cap_tren": org.superior,
        "trich_yeu": trich_yeu[0].upper() + trich_yeu[1:],
        "quyen_han_ky": quyen,
        "thay_mat": thay_mat if quyen else None,
        "chuc_vu": chuc_vu,
        "nguoi_ky": signer,
        "noi_nhan": recipients,
        "do_mat": do_mat,
        "do_khan": do_khan,
        "so_trang": len(paged),
        "seed": seed,
    }
    return SynthDocument(tuple(paged), metadata)


def _recipients(rng: random.Random, org: _Body, party: bool) -> list[str]:
    if party:
        pool = [
            "Ban Bí thư Trung ương Đảng",
            "Văn phòng Trung ương Đảng",
            "Ban Thường vụ Tỉnh ủy",
            "Các ban đảng, Văn phòng Tỉnh ủy",
            "Các huyện ủy, thành ủy, đảng ủy trực thuộc",
            "Ủy ban Kiểm tra Tỉnh ủy",
            "Các đồng chí Tỉnh ủy viên",
            "Báo điện tử của tỉnh",
        ]
        keep = "Lưu Văn phòng Tỉnh ủy" if org.code in ("TU", "VPTU") else f"Lưu {org.code}"
    else:
        pool = [
            "Văn phòng Chính phủ",
            "Bộ Nội vụ",
            "Thường trực Tỉnh ủy",
            "Thường trực HĐND tỉnh",
            "Chủ tịch, các Phó Chủ tịch UBND tỉnh",
            "Các sở, ban, ngành của tỉnh",
            "UBND các huyện, thành phố",
            "Cổng thông tin điện tử tỉnh",
        ]
        keep = "Lưu: VT"
    return [*rng.sample(pool, rng.randint(2, 5)), keep]


def _block_height(block: Block) -> float:
    return sum(_BASE.line_height(line) * (1 + line.space_before) for line in block.lines) + (
        block.space_before * _BASE.line_height(Line(""))
    )


def _row_height(row: tuple[Block, ...]) -> float:
    return max(_block_height(b) for b in row)


def _paginate(
    rng: random.Random,
    first: list[Block],
    closing: tuple[Block, Block],
    kind: str,
    ctx: dict[str, str],
    year: int,
    pages: int,
) -> list[SynthPage]:
    """Fill exactly `pages` pages: the header and title, body text, and the closing row last."""
    usable = _BASE.bottom - _BASE.top
    page_number_height = _BASE.line_height(Line("", size=0.9)) * 1.6
    headings = iter(_HEADINGS.get(kind, []))
    body_items: list[Block] = []
    sub = 0
    # Target fill of the last page: enough body to look like a real page, room for the closing.
    while True:
        candidate = _next_body_block(rng, headings, sub, ctx, year)
        if candidate.role == "heading_sub":
            sub += 1
        trial = [*body_items, candidate]
        laid = _lay_out(first, trial, closing, usable, page_number_height)
        if len(laid) > pages:
            break
        body_items = trial
        last_fill = _fill_of(laid[-1], usable)
        if len(laid) == pages and last_fill > 0.78:
            break
    laid = _lay_out(first, body_items, closing, usable, page_number_height)
    return laid


def _fill_of(page: SynthPage, usable: float) -> float:
    return sum(_row_height(r) for r in _rows(page)) / usable


def _next_body_block(
    rng: random.Random, headings: Any, sub: int, ctx: dict[str, str], year: int
) -> Block:
    roll = rng.random()
    if roll < 0.14:
        heading = next(headings, None)
        if heading:
            return Block("body", (Line(heading, "bold", "left", space_before=0.3),))
    if roll < 0.24:
        text = f"{sub % 4 + 1}. {rng.choice(_SUBHEADINGS)}"
        return Block("heading_sub", (Line(text, "bold", "left", indent=1.2),))
    text = _prose(rng, ctx, year, rng.randint(1, 3))
    proto = Line("", "regular", "justify")
    return Block("body", tuple(_wrap(text, proto, "full", first_indent=1.2)))


def _lay_out(
    first: list[Block],
    body: list[Block],
    closing: tuple[Block, Block],
    usable: float,
    page_number_height: float,
) -> list[SynthPage]:
    pages: list[list[Block]] = [list(first)]
    used = sum(_row_height(r) for r in _rows(SynthPage(tuple(first))))
    for block in body:
        block = Block("body", block.lines, block.column, block.space_before)
        lines = list(block.lines)
        while lines:
            room = usable - used
            fit: list[Line] = []
            height = 0.0
            for line in lines:
                h = _BASE.line_height(line) * (1 + line.space_before)
                if height + h > room:
                    break
                fit.append(line)
                height += h
            # Keep headings with the text after them and avoid lone lines at a page bottom.
            if fit and (len(fit) < len(lines) and len(fit) < 2):
                fit = []
                height = 0.0
            if fit:
                pages[-1].append(Block("body", tuple(fit)))
                used += height
                lines = lines[len(fit) :]
            if lines:
                number = len(pages) + 1
                pages.append([Block("page_number", (Line(str(number), "regular", "center", 0.9),))])
                used = page_number_height
    if used + _row_height(closing) > usable:
        number = len(pages) + 1
        pages.append([Block("page_number", (Line(str(number), "regular", "center", 0.9),))])
    pages[-1].extend(closing)
    return [SynthPage(tuple(p)) for p in pages]


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def render_page(
    page: SynthPage | list[str], *, dpi: int = 300, font: str = "serif", size_pt: float = 13
) -> Image.Image:
    """Draw a page on white A4 paper: greyscale "L" image with its dpi in image.info["dpi"].

    A list of strings is drawn as plain left-aligned lines. The signature block's box, in pixels,
    is left in image.info["synth_signature_box"] so `degrade` can put a seal on it.
    """
    if isinstance(page, list):
        page = SynthPage((Block("body", tuple(Line(t) for t in page)),))
    geo = _Geometry(dpi, size_pt)
    img = Image.new("L", (geo.width, geo.height), 255)
    draw = ImageDraw.Draw(img)
    y = float(geo.top)
    for row in _rows(page):
        y += row[0].space_before * geo.line_height(Line(""))
        bottoms = []
        for block in row:
            bottom, box = _draw_block(draw, block, geo, y, font)
            bottoms.append(bottom)
            if block.role == "signature":
                img.info["synth_signature_box"] = box
        y = max(bottoms)
    img.info["dpi"] = (dpi, dpi)
    return img


def _draw_block(
    draw: ImageDraw.ImageDraw, block: Block, geo: _Geometry, y: float, family: str
) -> tuple[float, tuple[int, int, int, int]]:
    x0, x1 = geo.column(block.column)
    top = y
    for line in block.lines:
        y += line.space_before * geo.line_height(line)
        size_px = max(1, round(geo.size_px * line.size))
        fnt = _font(family, line.style, size_px)
        indent = line.indent * size_px
        width = fnt.getlength(line.text)
        if line.align == "center":
            x = x0 + (x1 - x0 - width) / 2
        elif line.align == "right":
            x = x1 - width
        else:
            x = x0 + indent
        baseline = y + size_px  # ascender room above the baseline
        words = line.text.split(" ")
        if line.align == "justify" and len(words) > 1:
            natural = sum(fnt.getlength(w) for w in words)
            gap = (x1 - x - natural) / (len(words) - 1)
            cursor = x
            for word in words:
                draw.text((cursor, baseline), word, font=fnt, fill=0, anchor="ls")
                cursor += fnt.getlength(word) + gap
        else:
            draw.text((x, baseline), line.text, font=fnt, fill=0, anchor="ls")
        if line.underline:
            rule = width * 0.4 if block.column != "full" else width
            uy = baseline + size_px * 0.4
            cx = x + width / 2
            draw.line(
                [(cx - rule / 2, uy), (cx + rule / 2, uy)],
                fill=0,
                width=max(1, round(size_px / 22)),
            )
        if line.boxed:
            pad = size_px * 0.35
            draw.rectangle(
                [x - pad, baseline - size_px * 0.95, x + width + pad, baseline + size_px * 0.3],
                outline=0,
                width=max(1, round(size_px / 18)),
            )
        y += geo.line_height(line)
    return y, (round(x0), round(top), round(x1), round(y))


# ---------------------------------------------------------------------------------------------
# Degradation
# ---------------------------------------------------------------------------------------------


def degrade(
    img: Image.Image,
    *,
    seed: int,
    skew_deg: float = 0,
    blur: float = 0,
    noise: float = 0,
    jpeg_quality: int | None = None,
    rotate: int = 0,
    dpi: int | None = None,
    red_seal: bool = False,
    dark_border: bool = False,
    speckle: float = 0,
) -> Image.Image:
    """Make a clean page look scanned: deterministic in seed.

    skew_deg: small rotation (counter-clockwise, degrees); blur: Gaussian radius in pixels at the
    image's dpi; noise: Gaussian noise sigma in grey levels; speckle: share of pixels turned into
    dark dust; jpeg_quality: JPEG round trip; rotate: 0/90/180/270 clockwise (a page fed sideways);
    dpi: resample to this resolution; red_seal: a red round seal over the signature (the result is
    then RGB, a colour scan); dark_border: dark scanner-lid edges. Greyscale "L" otherwise.
    """
    if rotate % 90:
        raise ValueError(f"rotate must be a multiple of 90, not {rotate}")
    rng = np.random.default_rng(seed)
    src_dpi = round(img.info.get("dpi", (BASE_DPI, BASE_DPI))[0])
    sig_box = img.info.get("synth_signature_box")
    out = img.convert("RGB" if red_seal else "L")
    if red_seal:
        out = _seal(out, rng, sig_box, src_dpi)
    fill: int | tuple[int, int, int] = (255, 255, 255) if red_seal else 255
    if skew_deg:
        out = out.rotate(skew_deg, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    if dark_border:
        out = _dark_border(out, rng)
    if rotate % 360:
        out = out.rotate(-rotate, expand=True)
    if dpi and dpi != src_dpi:
        size = (round(out.width * dpi / src_dpi), round(out.height * dpi / src_dpi))
        out = out.resize(size, Image.Resampling.LANCZOS)
    out_dpi = dpi or src_dpi
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise or speckle:
        arr = np.asarray(out, dtype=np.float32)
        if noise:
            grain = rng.normal(0, noise, arr.shape[:2]).astype(np.float32)
            arr = arr + (grain[..., None] if arr.ndim == 3 else grain)
        if speckle:
            dots = rng.random(arr.shape[:2]) < speckle
            arr[dots] = (
                rng.uniform(0, 90, int(dots.sum()))[:, None]
                if arr.ndim == 3
                else rng.uniform(0, 90, int(dots.sum()))
            )
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if jpeg_quality:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=jpeg_quality)
        buf.seek(0)
        out = Image.open(buf)
        out.load()
    out.info = {"dpi": (out_dpi, out_dpi)}
    return out


def _dark_border(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    shade: int | tuple[int, int, int] = 40 if img.mode == "L" else (40, 40, 40)
    for side in range(4):
        depth = int(rng.integers(max(2, w // 120), max(3, w // 40)))
        if side == 0:
            draw.rectangle([0, 0, w, depth], fill=shade)
        elif side == 1:
            draw.rectangle([0, h - depth, w, h], fill=shade)
        elif side == 2:
            draw.rectangle([0, 0, depth, h], fill=shade)
        else:
            draw.rectangle([w - depth, 0, w, h], fill=shade)
    return img


def _seal(img: Image.Image, rng: np.random.Generator, box: Any, dpi: int) -> Image.Image:
    """A red round seal (two rings and a star), pressed left of the signer's name."""
    radius = round(19 / 25.4 * dpi)  # a 38 mm seal, the usual size for a committee
    if box:
        x0, y0, x1, y1 = box
        cx = x0 + (x1 - x0) * 0.38 + float(rng.uniform(-0.03, 0.03)) * dpi
        cy = y0 + (y1 - y0) * 0.55
    else:
        cx, cy = img.width * 0.62, img.height * 0.78
    layer = Image.new("L", img.size, 0)
    draw = ImageDraw.Draw(layer)
    ring = max(2, radius // 22)
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=255, width=ring)
    inner = radius * 0.68
    draw.ellipse([cx - inner, cy - inner, cx + inner, cy + inner], outline=255, width=ring // 2 + 1)
    star = []
    for i in range(10):
        r = inner * (0.55 if i % 2 == 0 else 0.22)
        a = -math.pi / 2 + i * math.pi / 5
        star.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    draw.polygon(star, fill=255)
    # Ink does not take evenly: thin the seal at random so text under it stays legible.
    mask = np.asarray(layer, dtype=np.float32) / 255 * rng.uniform(0.55, 0.85, layer.size[::-1])
    arr = np.asarray(img, dtype=np.float32)
    red = np.array([200, 30, 40], dtype=np.float32)
    # Multiply blend: red ink over black text leaves the text black.
    tinted = arr * (1 - mask[..., None]) + np.minimum(arr, red) * mask[..., None]
    return Image.fromarray(np.clip(tinted, 0, 255).astype(np.uint8), "RGB")
