"""Synthetic Vietnamese Party and state document scans with exact ground-truth text and metadata."""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
    """A frame around the line, as a stamped mark (not part of the text). Tesseract reads frame
    edges as "|", so the generators leave marks unframed."""
    space_before: float = 0.0
    """Extra vertical space above the line, in line heights (whole lines in column blocks)."""


@dataclass(frozen=True)
class Block:
    """A run of lines in one column of the page.

    Layout: "full" blocks span the text width. A "left" block directly followed by a "right" block
    share one row (the two-column header; "Nơi nhận" beside the signature). Both columns of a row
    sit on one grid of body lines, so lines beside each other share a baseline.
    """

    role: str
    """header_left, header_right, marks, title, addressee, heading, body, page_number,
    recipients, signature"""
    lines: tuple[Line, ...]
    column: str = "full"
    """full | left | right"""
    space_before: float = 0.0
    """Vertical space above the block (for a row: the left block's), in body line heights."""


@dataclass(frozen=True)
class SynthPage:
    """One page of a synthetic document, as blocks in reading order."""

    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class SynthDocument:
    """A synthetic document: its pages and the exact metadata printed on them."""

    pages: tuple[SynthPage, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    """Ground truth, as printed (see `party_document` for each key)."""


# ---------------------------------------------------------------------------------------------
# Geometry and fonts
# ---------------------------------------------------------------------------------------------

A4_MM = (210.0, 297.0)
# Margins of Vietnamese administrative documents (Nghị định 30/2020, Hướng dẫn 36-HD/VPTW):
# top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
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
# fmt: off
_FONT_FILES = {
    "serif": [
        ("LiberationSerif-Regular", "LiberationSerif-Bold", "LiberationSerif-Italic",
         "LiberationSerif-BoldItalic"),
        ("NotoSerif-Regular", "NotoSerif-Bold", "NotoSerif-Italic", "NotoSerif-BoldItalic"),
        ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic"),
    ],
    "sans": [
        ("LiberationSans-Regular", "LiberationSans-Bold", "LiberationSans-Italic",
         "LiberationSans-BoldItalic"),
        ("NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic", "NotoSans-BoldItalic"),
        ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),
    ],
}
# fmt: on
_STYLES = ("regular", "bold", "italic", "bold_italic")


@cache
def font_paths(family: str = "serif") -> dict[str, Path]:
    """The TrueType files of a family ("serif" or "sans") that covers Vietnamese, by style."""
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

    def mm(self, value: float) -> int:
        return round(value / 25.4 * self.dpi)

    @property
    def width(self) -> int:
        return self.mm(A4_MM[0])

    @property
    def height(self) -> int:
        return self.mm(A4_MM[1])

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

    def line_height(self, size: float = 1.0) -> float:
        return LINE_SPACING * self.size_px * size

    def column(self, column: str) -> tuple[int, int]:
        text_width = self.right - self.left
        split = self.left + round(text_width * LEFT_COLUMN)
        gap = round(text_width * COLUMN_GAP / 2)
        if column == "left":
            return self.left, split - gap
        if column == "right":
            return split + gap, self.right
        return self.left, self.right


# Pages are laid out (wrapped and paginated) once, at the base geometry; rendering at another
# dpi scales them, so the ground truth does not depend on how a page is rendered.
_BASE = _Geometry(BASE_DPI, BASE_SIZE_PT)


def _text_width(text: str, line: Line) -> float:
    return _font("serif", line.style, round(_BASE.size_px * line.size)).getlength(text)


@cache
def _word_width(word: str, style: str, size: float) -> float:
    return _font("serif", style, round(_BASE.size_px * size)).getlength(word)


def _wrap(text: str, proto: Line, column: str, *, first_indent: float = 0.0) -> list[Line]:
    """Break a paragraph into lines that fit the column at the base geometry."""
    x0, x1 = _BASE.column(column)
    # Word by word with cached widths: measuring each growing line again is quadratic.
    space = _word_width(" ", proto.style, proto.size)
    lines: list[Line] = []
    current: list[str] = []
    indent = first_indent * _BASE.size_px * proto.size
    width = 0.0
    for word in text.split():
        w = _word_width(word, proto.style, proto.size)
        if current and indent + width + space + w > x1 - x0:
            lines.append(_line_like(proto, " ".join(current), last=False))
            current, indent, width = [word], 0.0, w
        else:
            width += (space if current else 0.0) + w
            current.append(word)
    if current:
        lines.append(_line_like(proto, " ".join(current), last=True))
    return [replace(ln, indent=first_indent if i == 0 else 0.0) for i, ln in enumerate(lines)]


def _line_like(proto: Line, text: str, *, last: bool) -> Line:
    align = "left" if proto.align == "justify" and last else proto.align
    return replace(proto, text=text, align=align, space_before=0.0)


def _fit(line: Line, column: str) -> Line:
    """Shrink a line that must stay one line (a header) until it fits its column."""
    x0, x1 = _BASE.column(column)
    width = _text_width(line.text, line)
    if width <= x1 - x0:
        return line
    return replace(line, size=math.floor(line.size * (x1 - x0) / width * 100) / 100)


# ---------------------------------------------------------------------------------------------
# Ground-truth text and error rates
# ---------------------------------------------------------------------------------------------


def _rows(page: SynthPage) -> list[tuple[Block, ...]]:
    rows: list[tuple[Block, ...]] = []
    blocks = page.blocks
    i = 0
    while i < len(blocks):
        if blocks[i].column == "left" and i + 1 < len(blocks) and blocks[i + 1].column == "right":
            rows.append((blocks[i], blocks[i + 1]))
            i += 2
        else:
            rows.append((blocks[i],))
            i += 1
    return rows


def _slots(block: Block) -> list[int]:
    """Grid line index of each line of a column block (space_before counts whole lines)."""
    out, slot = [], 0
    for line in block.lines:
        slot += round(line.space_before)
        out.append(slot)
        slot += 1
    return out


def page_text(page: SynthPage | list[str]) -> str:
    """The page's text in the reading order sohoa gives (ocr/reading_order.py).

    Full-width blocks come in order, one line per printed line, blocks separated by a blank line.
    A two-column row is read column by column, as a person reads it: the left column's lines
    ("TỈNH ỦY BẮC GIANG", ..., "Số 10-ĐA/TU"), then the right one's ("ĐẢNG CỘNG SẢN VIỆT NAM",
    "Bắc Giang, ngày ..."); "Nơi nhận" and its list before the signature beside it.
    """
    if isinstance(page, list):
        return "\n".join(page)
    parts = []
    for row in _rows(page):
        parts.append("\n".join(line.text for block in row for line in block.lines))
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
    """Word error rate: word edit distance / reference word count (NFC, split on whitespace)."""
    r, h = _normalize(ref).split(), _normalize(hyp).split()
    if not r:
        return 0.0 if not h else 1.0
    return Levenshtein.distance(r, h) / len(r)


# ---------------------------------------------------------------------------------------------
# Vocabulary and prose: written for this project; people, numbers and citations are invented
# ---------------------------------------------------------------------------------------------

# fmt: off
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
HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương",
      "Lương", "Phùng", "Trịnh", "Đinh", "Lưu"]
DEM = ["Văn", "Thị", "Đức", "Minh", "Quang", "Thanh", "Hữu", "Xuân", "Ngọc", "Thế", "Đình",
       "Khắc", "Thu", "Hồng"]
TEN = ["Hùng", "Dũng", "Thắng", "Hường", "Thủy", "Phượng", "Lực", "Quyết", "Nghĩa", "Hạnh",
       "Tuấn", "Đạt", "Sơn", "Bằng", "Khải", "Duyệt", "Thưởng", "Yến", "Lệ", "Hiển", "Cường"]
VILLAGES = ["Đông", "Tân Tiến", "Phúc Lâm", "Hạ Thượng", "Quyết Thắng", "Lãm Hạ", "Yên Ổn"]

# Party document types: code -> (printed title, name). Công văn has no title.
PARTY_TYPES = {
    "NQ": ("NGHỊ QUYẾT", "Nghị quyết"), "QĐ": ("QUYẾT ĐỊNH", "Quyết định"),
    "CT": ("CHỈ THỊ", "Chỉ thị"), "KL": ("KẾT LUẬN", "Kết luận"), "QC": ("QUY CHẾ", "Quy chế"),
    "TT": ("THÔNG TRI", "Thông tri"), "HD": ("HƯỚNG DẪN", "Hướng dẫn"),
    "TB": ("THÔNG BÁO", "Thông báo"), "BC": ("BÁO CÁO", "Báo cáo"),
    "KH": ("KẾ HOẠCH", "Kế hoạch"), "CTr": ("CHƯƠNG TRÌNH", "Chương trình"),
    "ĐA": ("ĐỀ ÁN", "Đề án"), "PA": ("PHƯƠNG ÁN", "Phương án"), "TTr": ("TỜ TRÌNH", "Tờ trình"),
    "BB": ("BIÊN BẢN", "Biên bản"), "CV": ("", "Công văn"),
}
# Only a cấp ủy itself issues these; its bodies (ban, văn phòng, ủy ban kiểm tra) do not.
_LEADING_ONLY = {"NQ", "CT", "KL", "TT", "QC"}
STATE_TYPES = {
    "QĐ": ("QUYẾT ĐỊNH", "Quyết định"), "KH": ("KẾ HOẠCH", "Kế hoạch"),
    "BC": ("BÁO CÁO", "Báo cáo"), "TB": ("THÔNG BÁO", "Thông báo"),
    "TTr": ("TỜ TRÌNH", "Tờ trình"), "CT": ("CHỈ THỊ", "Chỉ thị"),
    "HD": ("HƯỚNG DẪN", "Hướng dẫn"), "CV": ("", "Công văn"),
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
    "chuẩn bị và tổ chức đại hội đảng bộ các cấp",
    "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "công tác bảo vệ bí mật nhà nước",
    "thu, nộp, quản lý và sử dụng đảng phí",
    "công tác thông tin đối ngoại và tuyên truyền miệng",
    "phát triển kinh tế tập thể, hợp tác xã",
    "xây dựng nông thôn mới gắn với đô thị văn minh",
    "công tác đào tạo, bồi dưỡng lý luận chính trị",
    "giải quyết đơn thư khiếu nại, tố cáo đối với đảng viên",
]
STATE_TOPICS = [
    "ban hành Quy chế quản lý hồ sơ, tài liệu điện tử",
    "triển khai số hóa tài liệu lưu trữ lịch sử của tỉnh",
    "cải cách hành chính và nâng cao chỉ số năng lực cạnh tranh",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "kiện toàn Hội đồng xác định giá trị tài liệu",
    "đầu tư xây dựng kho lưu trữ chuyên dụng",
    "thực hiện chương trình mục tiêu quốc gia giảm nghèo bền vững",
    "bảo đảm trật tự an toàn giao thông dịp Tết Nguyên đán",
]

PARTY_SENTENCES = [
    "Thực hiện {ref} của {ref_body} về {topic}, {short} đã lãnh đạo, chỉ đạo các cấp ủy, tổ chức "
    "đảng quán triệt và triển khai thực hiện nghiêm túc, đạt được nhiều kết quả quan trọng.",
    "Công tác kiểm tra, giám sát và thi hành kỷ luật đảng được tăng cường; Ủy ban Kiểm tra các "
    "cấp đã chủ động tham mưu, giúp cấp ủy xây dựng chương trình, kế hoạch kiểm tra, giám sát sát "
    "với tình hình thực tế ở địa phương, cơ sở.",
    "Trong năm {prev_year}, toàn Đảng bộ đã kết nạp được {n1} đảng viên mới, nâng tổng số đảng "
    "viên lên {n2} đồng chí, sinh hoạt tại {n3} chi bộ, đảng bộ cơ sở.",
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
    "Qua kiểm tra {n4} tổ chức đảng và {n5} đảng viên khi có dấu hiệu vi phạm, Ủy ban Kiểm tra đã "
    "kết luận {n6} đảng viên có vi phạm đến mức phải xem xét, thi hành kỷ luật.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, chuyển đổi số trong hoạt động của các cơ quan đảng; số "
    "hóa tài liệu lưu trữ, bảo đảm an toàn, bảo mật thông tin theo quy định.",
    "Phấn đấu đến năm {goal_year}, có trên {p1}% tổ chức cơ sở đảng được đánh giá, xếp loại hoàn "
    "thành tốt nhiệm vụ trở lên; {p2}% chi bộ duy trì sinh hoạt định kỳ theo đúng quy định.",
    "Ngày {sdate}, {boss} đã tổ chức hội nghị sơ kết việc thực hiện {ref}, đánh giá những kết quả "
    "đạt được, chỉ rõ hạn chế, khuyết điểm và đề ra nhiệm vụ, giải pháp trong thời gian tới.",
    "Đề nghị các huyện ủy, thành ủy, đảng ủy trực thuộc nghiêm túc triển khai thực hiện; quá trình "
    "thực hiện nếu có khó khăn, vướng mắc kịp thời phản ánh về {dept} để tổng hợp, báo cáo.",
    "Công tác bảo vệ bí mật nhà nước được thực hiện nghiêm; tài liệu mật được quản lý, sử dụng, "
    "lưu trữ đúng quy định, không để xảy ra lộ, lọt bí mật của Đảng và Nhà nước.",
    "Tình hình kinh tế - xã hội của tỉnh tiếp tục phát triển ổn định; tốc độ tăng trưởng kinh tế "
    "ước đạt {growth}%, thu ngân sách nhà nước trên địa bàn đạt {money} tỷ đồng, đời sống vật chất "
    "và tinh thần của nhân dân từng bước được nâng lên.",
    "Quốc phòng, an ninh được giữ vững, trật tự an toàn xã hội được bảo đảm; công tác dân vận, mặt "
    "trận và các đoàn thể chính trị - xã hội có nhiều đổi mới, hướng mạnh về cơ sở.",
    "Thường trực Ủy ban Kiểm tra đã xem xét, kết luận đồng chí {person}, đảng viên chi bộ thôn "
    "{village}, đã vi phạm quy định về những điều đảng viên không được làm.",
    "Việc lập hồ sơ và giao nộp tài liệu vào lưu trữ cơ quan được thực hiện theo Quy định số "
    "{n7}-QĐ/TW, ngày {sdate2}; hồ sơ được sắp xếp, biên mục và xác định thời hạn bảo quản đầy đủ.",
    "Cấp ủy các cấp thường xuyên nắm bắt tình hình tư tưởng của cán bộ, đảng viên và nhân dân; kịp "
    "thời định hướng dư luận xã hội, đấu tranh phản bác các quan điểm sai trái, thù địch.",
    "Mỗi cán bộ, đảng viên, trước hết là người đứng đầu, phải nêu cao tinh thần trách nhiệm, gương "
    "mẫu trong lời nói và việc làm, giữ gìn phẩm chất đạo đức, lối sống trong sạch.",
    "Tổng kinh phí thực hiện dự kiến khoảng {money2} triệu đồng, được bố trí từ nguồn ngân sách "
    "của tỉnh và các nguồn huy động hợp pháp khác.",
    "Các chi bộ thực hiện nghiêm chế độ sinh hoạt định kỳ hằng tháng, sinh hoạt chuyên đề ít nhất "
    "mỗi quý một lần; nội dung sinh hoạt gắn với nhiệm vụ chính trị của cơ quan, đơn vị.",
    "Thủ trưởng cơ quan, đơn vị chịu trách nhiệm trước cấp ủy cùng cấp về kết quả thực hiện; kịp "
    "thời biểu dương, khen thưởng tập thể, cá nhân có thành tích xuất sắc.",
]
STATE_SENTENCES = [
    "Thực hiện {ref} của {ref_body} về {topic}, {short} đã chỉ đạo các sở, ban, ngành và Ủy ban "
    "nhân dân các huyện, thành phố triển khai thực hiện đồng bộ, đạt kết quả tích cực.",
    "Các cơ quan, đơn vị rà soát, thống kê hồ sơ, tài liệu đang bảo quản; lựa chọn tài liệu có giá "
    "trị để số hóa, bảo đảm tính xác thực, toàn vẹn của dữ liệu.",
    "Tổng kinh phí thực hiện dự kiến khoảng {money2} triệu đồng, từ nguồn ngân sách tỉnh năm "
    "{year} và các nguồn hợp pháp khác.",
    "Giao {dept} chủ trì, phối hợp với Sở Tài chính và các cơ quan liên quan hướng dẫn, kiểm tra "
    "việc thực hiện; định kỳ {period} tổng hợp, báo cáo {boss}.",
    "Trong năm {prev_year}, toàn tỉnh đã giải quyết {n4} hồ sơ thủ tục hành chính, trong đó "
    "{p1}% hồ sơ được giải quyết trước và đúng hạn, không để xảy ra tình trạng nhũng nhiễu.",
    "Bên cạnh kết quả đạt được, việc triển khai ở một số địa phương còn chậm, chưa đồng bộ; cơ sở "
    "vật chất, trang thiết bị phục vụ công tác lưu trữ còn thiếu, chưa đáp ứng yêu cầu.",
    "Ủy ban nhân dân các huyện, thành phố chỉ đạo Ủy ban nhân dân cấp xã bố trí lực lượng, phương "
    "tiện sẵn sàng ứng phó khi có tình huống xảy ra, bảo đảm an toàn tính mạng và tài sản của nhân "
    "dân.",
    "Ngày {sdate}, {boss} đã tổ chức hội nghị đánh giá kết quả thực hiện {ref}, chỉ rõ những tồn "
    "tại, hạn chế và đề ra giải pháp khắc phục trong thời gian tới.",
    "Tốc độ tăng trưởng tổng sản phẩm trên địa bàn ước đạt {growth}%; thu ngân sách nhà nước đạt "
    "{money} tỷ đồng, vượt dự toán được giao.",
    "Thủ trưởng các sở, ban, ngành, Chủ tịch Ủy ban nhân dân các huyện, thành phố chịu trách nhiệm "
    "trước Chủ tịch Ủy ban nhân dân tỉnh về kết quả thực hiện nhiệm vụ được giao.",
    "Hồ sơ, tài liệu hết giá trị được lập danh mục, trình Hội đồng xác định giá trị tài liệu xem "
    "xét, quyết định hủy theo đúng trình tự, thủ tục quy định.",
    "Quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị kịp thời phản ánh về "
    "{dept} để tổng hợp, báo cáo Ủy ban nhân dân tỉnh xem xét, giải quyết.",
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
    "PA": ["I. MỤC ĐÍCH, YÊU CẦU", "II. PHƯƠNG ÁN THỰC HIỆN", "III. TỔ CHỨC THỰC HIỆN"],
    "NQ": ["I. TÌNH HÌNH VÀ NGUYÊN NHÂN", "II. QUAN ĐIỂM, MỤC TIÊU", "III. NHIỆM VỤ, GIẢI PHÁP"],
}
# Neutral enough to stand under any of the headings above.
_SUBHEADINGS = ["Công tác lãnh đạo, chỉ đạo", "Công tác tuyên truyền, quán triệt",
                "Công tác kiểm tra, giám sát", "Công tác tổ chức, cán bộ",
                "Công tác phối hợp", "Công tác bảo đảm điều kiện thực hiện"]
# fmt: on


def _name(rng: random.Random) -> str:
    return f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}"


def _month(month: int) -> str:
    # Nghị định 30/2020: months 1 and 2 (and days below 10) are written with a leading zero.
    return f"{month:02d}" if month < 3 else str(month)


def _slash_date(rng: random.Random, before: int) -> str:
    """An in-text citation date, as "ngày 01/7/2014"."""
    year = rng.randint(before - 12, before - 1)
    return f"{rng.randint(1, 28):02d}/{_month(rng.randint(1, 12))}/{year}"


def _long_date(day: date) -> str:
    return f"ngày {day.day:02d} tháng {_month(day.month)} năm {day.year}"


def _date_line(place: str, day: date) -> str:
    return f"{place}, {_long_date(day)}"


class _Prose:
    """Sentences for one document: each template is used once before any repeats."""

    def __init__(self, rng: random.Random, ctx: dict[str, str], year: int, state: bool) -> None:
        self.rng, self.ctx, self.year = rng, ctx, year
        self.templates = STATE_SENTENCES if state else PARTY_SENTENCES
        self.deck: list[str] = []

    def sentence(self) -> str:
        if not self.deck:
            self.deck = list(self.templates)
            self.rng.shuffle(self.deck)
        return self._fill(self.deck.pop())

    def paragraph(self, n: int) -> str:
        return " ".join(self.sentence() for _ in range(n))

    def _fill(self, template: str) -> str:
        rng, year = self.rng, self.year
        values = {
            "n1": str(rng.randint(12, 480)),
            "n2": f"{rng.randint(20, 98)}.{rng.randint(0, 999):03d}",
            "n3": str(rng.randint(300, 900)),
            "n4": str(rng.randint(12, 160)),
            "n5": str(rng.randint(20, 300)),
            "n6": str(rng.randint(2, 19)),
            "n7": str(rng.randint(60, 300)),
            "p1": str(rng.choice([75, 80, 85, 90])),
            "p2": str(rng.choice([95, 98, 100])),
            "growth": f"{rng.randint(5, 14)},{rng.randint(1, 9)}",
            "money": f"{rng.randint(1, 19)}.{rng.randint(0, 999):03d}",
            "money2": f"{rng.randint(1, 19)}.{rng.randint(0, 999):03d}",
            "year": str(year),
            "prev_year": str(year - 1),
            "goal_year": str(year + rng.randint(2, 8)),
            "sdate": _slash_date(rng, year),
            "sdate2": _slash_date(rng, year),
            "person": _name(rng),
            "village": rng.choice(VILLAGES),
            "period": rng.choice(["6 tháng, hằng năm", "hằng quý", "hằng năm"]),
            "topic": rng.choice(STATE_TOPICS if self.templates is STATE_SENTENCES else TOPICS),
        }
        values.update(self.ctx)
        return template.format(**values)


def _citation(rng: random.Random) -> str:
    code, name = rng.choice([("NQ", "Nghị quyết"), ("CT", "Chỉ thị"), ("KL", "Kết luận")])
    return f"{name} số {rng.randint(1, 90)}-{code}/TW"


def corpus_page_text(seed: int, n_words: int) -> str:
    """Exactly n_words of Vietnamese administrative prose, fast (no rendering), for search tests."""
    rng = random.Random(f"corpus-{seed}")
    province = rng.choice(list(PROVINCES))
    ctx = {
        "short": f"Ban Thường vụ Tỉnh ủy {province}",
        "boss": "Ban Thường vụ Tỉnh ủy",
        "dept": rng.choice(["Văn phòng Tỉnh ủy", "Ban Tổ chức Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy"]),
        "ref": _citation(rng),
        "ref_body": rng.choice(["Bộ Chính trị", "Ban Bí thư"]),
    }
    prose = _Prose(rng, ctx, rng.randint(1998, 2024), state=rng.random() < 0.2)
    words: list[str] = []
    while len(words) < n_words:
        words.extend(prose.sentence().split())
    return " ".join(words[:n_words])


# ---------------------------------------------------------------------------------------------
# Issuing bodies
# ---------------------------------------------------------------------------------------------

_Signature = tuple[str | None, str | None, str]  # (quyen_han_ky, thay_mat, chuc_vu)


@dataclass(frozen=True)
class _Body:
    code: str  # the body's part of the ký hiệu: TU, HU, UBKTTU, UBND...
    header: tuple[str, ...]  # left header lines as printed, the superior first
    name: str  # co_quan_ban_hanh
    superior: str | None  # co_quan_cap_tren
    place: str  # noi_ban_hanh
    signatures: tuple[_Signature, ...]
    leading: bool  # a cấp ủy (or an Ủy ban nhân dân) itself


PARTY_BODIES = ("TU", "HU", "ĐU", "UBKTTU", "BTCTU", "VPTU", "BTGTU")
STATE_BODIES = ("UBND", "UBND-H", "SNV")

_TU_SIGNATURES: tuple[_Signature, ...] = (
    ("T/M", "Ban Thường vụ", "Bí thư"),
    ("T/M", "Ban Thường vụ", "Phó Bí thư"),
    ("K/T", "Bí thư", "Phó Bí thư"),
    ("T/L", "Ban Thường vụ", "Chánh Văn phòng"),
)
# fmt: off
_TU_UNITS: dict[str, tuple[str, str, tuple[_Signature, ...]]] = {
    "UBKTTU": ("ỦY BAN KIỂM TRA", "Ủy ban Kiểm tra",
               (("T/M", "Ủy ban Kiểm tra", "Chủ nhiệm"), ("K/T", "Chủ nhiệm", "Phó Chủ nhiệm"))),
    "BTCTU": ("BAN TỔ CHỨC", "Ban Tổ chức",
              ((None, None, "Trưởng ban"), ("K/T", "Trưởng ban", "Phó Trưởng ban"))),
    "VPTU": ("VĂN PHÒNG", "Văn phòng",
             ((None, None, "Chánh Văn phòng"), ("K/T", "Chánh Văn phòng", "Phó Chánh Văn phòng"))),
    "BTGTU": ("BAN TUYÊN GIÁO", "Ban Tuyên giáo",
              ((None, None, "Trưởng ban"), ("K/T", "Trưởng ban", "Phó Trưởng ban"))),
}
# fmt: on


def _party_body(code: str, province: str, district: str) -> _Body:
    tu, db = f"TỈNH ỦY {province.upper()}", f"ĐẢNG BỘ TỈNH {province.upper()}"
    if code == "TU":
        return _Body(code, (tu,), f"Tỉnh ủy {province}", None, province, _TU_SIGNATURES, True)
    if code == "HU":
        return _Body(
            code,
            (db, f"HUYỆN ỦY {district.upper()}"),
            f"Huyện ủy {district}",
            f"Đảng bộ tỉnh {province}",
            district,
            _TU_SIGNATURES[:3],
            True,
        )
    if code == "ĐU":
        return _Body(
            code,
            (db, "ĐẢNG ỦY KHỐI CÁC CƠ QUAN"),
            f"Đảng ủy Khối các cơ quan tỉnh {province}",
            f"Đảng bộ tỉnh {province}",
            province,
            _TU_SIGNATURES[:3],
            True,
        )
    if code not in _TU_UNITS:
        raise ValueError(f"unknown Party body {code!r}: use one of {', '.join(PARTY_BODIES)}")
    head, name, signatures = _TU_UNITS[code]
    return _Body(
        code,
        (tu, head),
        f"{name} Tỉnh ủy {province}",
        f"Tỉnh ủy {province}",
        province,
        signatures,
        False,
    )


def _state_body(code: str, province: str, district: str) -> _Body:
    ubnd: tuple[_Signature, ...] = (
        ("TM.", "Ủy ban nhân dân", "Chủ tịch"),
        ("KT.", "Chủ tịch", "Phó Chủ tịch"),
    )
    if code == "UBND":
        return _Body(
            code,
            ("ỦY BAN NHÂN DÂN", f"TỈNH {province.upper()}"),
            f"Ủy ban nhân dân tỉnh {province}",
            None,
            province,
            ubnd,
            True,
        )
    if code == "UBND-H":
        return _Body(
            "UBND",
            ("ỦY BAN NHÂN DÂN", f"HUYỆN {district.upper()}"),
            f"Ủy ban nhân dân huyện {district}",
            None,
            district,
            ubnd,
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
    raise ValueError(f"unknown state body {code!r}: use one of {', '.join(STATE_BODIES)}")


def _departments(org: _Body, party: bool) -> list[str]:
    """Who is charged with following a document up, within reach of its issuer."""
    if party:
        return ["Văn phòng Tỉnh ủy", "Ban Tổ chức Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy"]
    if org.place in PROVINCES:
        return ["Giám đốc Sở Nội vụ", "Chánh Văn phòng Ủy ban nhân dân tỉnh"]
    return ["Trưởng phòng Nội vụ", "Chánh Văn phòng HĐND và UBND huyện"]


def _recipients(rng: random.Random, org: _Body, party: bool) -> list[str]:
    # fmt: off
    if party:
        pool = ["Ban Bí thư Trung ương Đảng", "Văn phòng Trung ương Đảng", "Ban Thường vụ Tỉnh ủy",
                "Các ban đảng, Văn phòng Tỉnh ủy", "Các huyện ủy, thành ủy trực thuộc",
                "Ủy ban Kiểm tra Tỉnh ủy", "Các đồng chí Tỉnh ủy viên", "Báo điện tử của tỉnh"]
        keep = "Lưu Văn phòng Tỉnh ủy" if org.code in ("TU", "VPTU") else f"Lưu {org.code}"
    else:
        pool = ["Văn phòng Chính phủ", "Bộ Nội vụ", "Thường trực Tỉnh ủy", "Thường trực HĐND tỉnh",
                "Chủ tịch, các Phó Chủ tịch UBND tỉnh", "Các sở, ban, ngành của tỉnh",
                "UBND các huyện, thành phố", "Cổng thông tin điện tử tỉnh"]
        keep = "Lưu: VT"
    # fmt: on
    if org.code == "TU":
        pool = [p for p in pool if p != "Ban Thường vụ Tỉnh ủy"]
    return [*rng.sample(pool, rng.randint(2, 5)), keep]


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


def _pick_date(rng: random.Random, first_year: int) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=rng.randint(0, (date(2024, 12, 31) - start).days))


def party_document(
    seed: int,
    *,
    kind: str | None = None,
    body: str | None = None,
    do_mat: str | None = None,
    do_khan: str | None = None,
    pages: int = 1,
    number: int | None = None,
    province: str | None = None,
) -> SynthDocument:
    """A Party document (ĐẢNG CỘNG SẢN VIỆT NAM form, "Số 10-ĐA/TU"), deterministic in its args.

    kind: type code (NQ, QĐ, CT, KL, QC, TT, HD, TB, BC, KH, CTr, ĐA, PA, TTr, BB, CV); body:
    issuing body (TU, HU, ĐU, UBKTTU, BTCTU, VPTU, BTGTU); number and province (a key of
    PROVINCES): random when None. pages: exactly this many pages.

    metadata keys (ground truth as printed): he_thong ("dang" | "nha_nuoc"), loai (type name,
    "Đề án"), ma_loai ("ĐA"), so (int), ky_hieu ("ĐA/TU"), so_ky_hieu ("10-ĐA/TU"),
    ngay_ban_hanh (ISO date), noi_ban_hanh ("Bắc Giang"), co_quan_ban_hanh ("Ủy ban Kiểm tra Tỉnh
    ủy Bắc Giang"), co_quan_cap_tren ("Tỉnh ủy Bắc Giang" or None), trich_yeu (after the title,
    first letter upper case; for a công văn the text after "V/v"), quyen_han_ky ("T/M", "K/T",
    "T/L"; state "TM.", "KT."; None when the head signs), thay_mat (on whose behalf: "Ban Thường
    vụ", "Bí thư"; None), chuc_vu ("Phó Bí thư"), nguoi_ky, noi_nhan (items without "- " and end
    punctuation), do_mat ("Mật", "Tối mật", None), do_khan ("Khẩn", "Thượng khẩn", "Hỏa tốc",
    None), so_trang, seed.
    """
    rng = random.Random(f"party-{seed}")
    province = _check_province(province or rng.choice(list(PROVINCES)))
    district = rng.choice(PROVINCES[province])
    body_code = body or rng.choice(PARTY_BODIES)
    org = _party_body(body_code, province, district)
    if kind is None:
        kind = rng.choice([k for k in PARTY_TYPES if org.leading or k not in _LEADING_ONLY])
    if kind not in PARTY_TYPES:
        raise ValueError(f"unknown Party type {kind!r}: use one of {', '.join(PARTY_TYPES)}")
    number = number if number is not None else rng.randint(1, 420)
    ky_hieu = f"{kind}/{body_code}"
    so_ky_hieu = f"{number}-{ky_hieu}"
    issued = _pick_date(rng, 1995)
    trich_yeu = _party_trich_yeu(rng, kind, org, issued)
    header_left = [Line(org.header[0], "bold" if len(org.header) == 1 else "regular", "center")]
    header_left += [Line(h, "bold", "center") for h in org.header[1:]]
    header_left += [Line("*", "regular", "center"), Line(f"Số {so_ky_hieu}", "regular", "center")]
    if kind == "CV":
        header_left += _wrap(f"V/v {trich_yeu}", Line("", "italic", "center", 0.92), "left")
    header_right = [
        Line("ĐẢNG CỘNG SẢN VIỆT NAM", "bold", "center", underline=True),
        # The date shares a grid line with "Số ...", as Party documents print it.
        Line(_date_line(org.place, issued), "italic", "center", space_before=len(org.header)),
    ]
    return _assemble(
        rng,
        seed,
        org=org,
        party=True,
        kind=kind,
        number=number,
        ky_hieu=ky_hieu,
        so_ky_hieu=so_ky_hieu,
        issued=issued,
        trich_yeu=trich_yeu,
        header_left=header_left,
        header_right=header_right,
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
    number: int | None = None,
    province: str | None = None,
) -> SynthDocument:
    """A state document (CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM form, "Số: 15/QĐ-UBND").

    kind: QĐ, KH, BC, TB, TTr, CT, HD, CV; body: UBND (province), UBND-H (district), SNV.
    Metadata as for `party_document`; ky_hieu is "QĐ-UBND" (a công văn: "UBND-VP").
    """
    rng = random.Random(f"state-{seed}")
    province = _check_province(province or rng.choice(list(PROVINCES)))
    district = rng.choice(PROVINCES[province])
    org = _state_body(body or rng.choice(STATE_BODIES), province, district)
    kind = kind or rng.choice(list(STATE_TYPES))
    if kind not in STATE_TYPES:
        raise ValueError(f"unknown state type {kind!r}: use one of {', '.join(STATE_TYPES)}")
    number = number if number is not None else rng.randint(1, 2500)
    ky_hieu = f"{kind}-{org.code}" if kind != "CV" else f"{org.code}-{rng.choice(['VP', 'NC'])}"
    so_ky_hieu = f"{number}/{ky_hieu}"
    issued = _pick_date(rng, 2016)  # after the laws its grounds cite
    topic = rng.choice(STATE_TOPICS)
    trich_yeu = topic if kind == "CV" else f"về việc {topic}"
    header_left = [
        Line(org.header[0], "bold" if org.leading else "regular", "center"),
        Line(org.header[1], "bold", "center", underline=True),
        Line(f"Số: {so_ky_hieu}", "regular", "center", space_before=1),
    ]
    if kind == "CV":
        header_left += _wrap(f"V/v {trich_yeu}", Line("", "regular", "center", 0.92), "left")
    header_right = [
        _fit(Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold", "center"), "right"),
        Line("Độc lập - Tự do - Hạnh phúc", "bold", "center", underline=True),
        Line(_date_line(org.place, issued), "italic", "center", space_before=1),
    ]
    return _assemble(
        rng,
        seed,
        org=org,
        party=False,
        kind=kind,
        number=number,
        ky_hieu=ky_hieu,
        so_ky_hieu=so_ky_hieu,
        issued=issued,
        trich_yeu=trich_yeu,
        header_left=header_left,
        header_right=header_right,
        do_mat=_check_choice(do_mat, DO_MAT, "do_mat"),
        do_khan=_check_choice(do_khan, DO_KHAN, "do_khan"),
        pages=pages,
        province=province,
    )


def _check_province(province: str) -> str:
    if province not in PROVINCES:
        raise ValueError(f"province must be one of {', '.join(PROVINCES)}, not {province!r}")
    return province


def _party_trich_yeu(rng: random.Random, kind: str, org: _Body, issued: date) -> str:
    topic, year = rng.choice(TOPICS), issued.year
    who = "Ban Thường vụ" if org.leading else "Thường trực"
    if kind in ("NQ", "CT", "TT", "HD", "QC", "KL"):
        return f"về {topic}"
    if kind == "ĐA":
        return f"{topic} giai đoạn {year} - {year + 5}"
    if kind == "BC":  # a report looks back: at the first half-year only once it is over
        if issued.month >= 7:
            return f"kết quả 6 tháng đầu năm {year} về {topic}"
        return f"kết quả thực hiện năm {year - 1} về {topic}"
    if kind == "TB":
        return f"kết luận của {who} về {topic}"
    if kind in ("KH", "CTr", "PA"):
        return f"thực hiện {topic} năm {year}"
    if kind == "BB":
        return f"hội nghị bàn về {topic}"
    if kind == "TTr":
        return f"đề nghị phê duyệt nội dung {topic}"
    if kind == "QĐ":
        return f"về việc thành lập Đoàn kiểm tra {topic}"
    return topic  # CV: printed after "V/v" under the number


def _assemble(
    rng: random.Random,
    seed: int,
    *,
    org: _Body,
    party: bool,
    kind: str,
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
    title, loai = (PARTY_TYPES if party else STATE_TYPES)[kind]
    first: list[Block] = [
        Block("header_left", tuple(_fit(line, "left") for line in header_left), "left"),
        Block("header_right", tuple(header_right), "right"),
    ]
    marks = [m.upper() for m in (do_mat, do_khan) if m]
    if marks:
        lines = tuple(
            Line(m, "bold", "left", space_before=0.3 if i else 0.0) for i, m in enumerate(marks)
        )
        first.append(Block("marks", lines, "full", space_before=0.5))
    if title:
        lines = (
            Line(title, "bold", "center", 1.1),
            *_wrap(trich_yeu[0].upper() + trich_yeu[1:], Line("", "bold", "center"), "full"),
        )
        first.append(Block("title", lines, "full", space_before=1.0))
    else:  # a công văn is addressed instead of titled
        to = "Các huyện ủy, thành ủy trực thuộc Tỉnh ủy" if party else "Các sở, ban, ngành của tỉnh"
        line = Line(f"Kính gửi: {to}.", "regular", "center")
        first.append(Block("addressee", (line,), "full", 1.0))

    quyen, thay_mat, chuc_vu = rng.choice(org.signatures)
    signer = _name(rng)
    sig_lines = (
        [Line(f"{quyen} {thay_mat.upper()}", "bold", "center")] if quyen and thay_mat else []
    )
    sig_lines += [Line(chuc_vu.upper(), "bold", "center")]
    sig_lines = [_fit(line, "right") for line in sig_lines]
    sig_lines += [Line(signer, "bold", "center", space_before=3)]  # room to sign
    recipients = _recipients(rng, org, party)
    rec_lines = [Line("Nơi nhận:", "bold_italic", "left", 0.92)]
    for i, item in enumerate(recipients):
        end = "." if i == len(recipients) - 1 else ","
        rec_lines += _wrap(f"- {item}{end}", Line("", "regular", "left", 0.85), "left")
    closing = (
        Block("recipients", tuple(rec_lines), "left", space_before=0.8),
        Block("signature", tuple(sig_lines), "right"),
    )

    short = {"TU": "Ban Thường vụ Tỉnh ủy", "HU": "Ban Thường vụ Huyện ủy"}.get(
        org.code, org.name.removesuffix(f" Tỉnh ủy {province}")
    )
    ctx = {
        "short": short,
        "boss": "Ban Thường vụ Tỉnh ủy" if party else (org.superior or org.name),
        "dept": rng.choice(_departments(org, party)),
        "ref": _citation(rng) if party else f"Quyết định số {rng.randint(100, 2999)}/QĐ-TTg",
        "ref_body": rng.choice(["Bộ Chính trị", "Ban Bí thư", "Ban Chấp hành Trung ương"])
        if party
        else "Thủ tướng Chính phủ",
    }
    prose = _Prose(rng, ctx, issued.year, state=not party)
    flow = _body_flow(rng, prose, kind, party, org, province, issued)
    paged = _paginate(first, closing, flow, pages)
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


# ---------------------------------------------------------------------------------------------
# Body text and pagination
# ---------------------------------------------------------------------------------------------

_INDENT = 1.2  # first-line indent of body paragraphs, in em


def _paragraph(text: str, style: str = "regular") -> Block:
    return Block(
        "body", tuple(_wrap(text, Line("", style, "justify"), "full", first_indent=_INDENT))
    )


def _heading(text: str, indent: float = 0.0) -> Block:
    return Block("heading", (Line(text, "bold", "left", indent=indent),), space_before=0.3)


def _body_flow(
    rng: random.Random,
    prose: _Prose,
    kind: str,
    party: bool,
    org: _Body,
    province: str,
    issued: date,
) -> Iterator[tuple[Block, str]]:
    """Endless body blocks, each with the text of the paragraph it ends (for the closing "./.")."""
    if not party and kind == "QĐ":
        yield from _decision_flow(rng, prose, org, province, issued.year)
        return
    if kind == "BB":
        for label, value in (
            ("Thời gian", f"{rng.randint(7, 14)} giờ 30 phút, {_long_date(issued)}"),
            ("Địa điểm", f"Hội trường {org.name}"),
            ("Chủ trì", f"đồng chí {_name(rng)}"),
            ("Thư ký", f"đồng chí {_name(rng)}"),
        ):
            text = f"- {label}: {value}."
            yield _paragraph(text), text
    headings = list(_HEADINGS.get(kind, []))
    while True:
        if headings:
            yield _heading(headings.pop(0)), ""
            subs = rng.sample(_SUBHEADINGS, rng.randint(0, 2))
            for i, sub in enumerate(subs, 1):
                yield _heading(f"{i}. {sub}", _INDENT), ""
                for _ in range(rng.randint(1, 2)):
                    text = prose.paragraph(rng.randint(1, 3))
                    yield _paragraph(text), text
            if subs:
                continue
        for _ in range(rng.randint(2, 3)):
            text = prose.paragraph(rng.randint(1, 3))
            yield _paragraph(text), text


def _decision_flow(
    rng: random.Random, prose: _Prose, org: _Body, province: str, year: int
) -> Iterator[tuple[Block, str]]:
    """A state Quyết định: the deciding authority, "Căn cứ ..." grounds, then the articles."""
    # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ...": the head of the body decides.
    authority = f"{org.signatures[0][2]} {org.name}".upper()
    yield Block("body", (_fit(Line(authority, "bold", "center"), "full"),), space_before=0.3), ""
    grounds = [
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
        "Căn cứ Luật Lưu trữ ngày 11 tháng 11 năm 2011;",
        f"Căn cứ Quyết định số {rng.randint(100, 2999)}/QĐ-UBND ngày {_slash_date(rng, year)} "
        f"của Ủy ban nhân dân tỉnh {province};",
        f"Theo đề nghị của {_departments(org, False)[0]} tại Tờ trình số "
        f"{rng.randint(10, 900)}/TTr-{'SNV' if org.place in PROVINCES else 'NV'}.",
    ]
    for text in grounds:
        yield _paragraph(text, "italic"), text
    yield Block("body", (Line("QUYẾT ĐỊNH:", "bold", "center"),), space_before=0.3), ""
    article = 1
    while True:
        text = f"Điều {article}. {prose.paragraph(rng.randint(1, 2))}"
        yield _paragraph(text), text
        # Later articles run longer, as the tasks of a decision do.
        for _ in range(rng.randint(0, min(article, 3))):
            text = prose.paragraph(rng.randint(1, 2))
            yield _paragraph(text), text
        article += 1


def _line_cost(line: Line) -> float:
    return _BASE.line_height(line.size) + line.space_before * _BASE.line_height()


def _block_height(block: Block) -> float:
    """Height of a block's lines, without the block's own space_before."""
    if block.column != "full":
        slots = _slots(block)
        return (slots[-1] + 1) * _BASE.line_height() if slots else 0.0
    return sum(_line_cost(line) for line in block.lines)


def _row_height(row: tuple[Block, ...]) -> float:
    return row[0].space_before * _BASE.line_height() + max(_block_height(b) for b in row)


def _paginate(
    first: list[Block],
    closing: tuple[Block, Block],
    flow: Iterator[tuple[Block, str]],
    pages: int,
) -> list[SynthPage]:
    """Fill exactly `pages` pages: header and title, body from the flow, the closing row last.

    The body's last paragraph ends with "./.", the mark Vietnamese documents close their text with.
    """
    body: list[Block] = []
    best = _lay_out(first, [], closing)
    if len(best) > pages:
        raise ValueError("the header and closing alone do not fit on the page")
    for block, text in flow:
        last = _paragraph(text.removesuffix(".") + "./.") if text else None
        trial = _lay_out(first, [*body, last], closing) if last else None
        if trial is not None and len(trial) <= pages:
            best = trial
        if len(_lay_out(first, [*body, block], closing)) > pages:
            break
        body.append(block)
        if last is not None and len(best) == pages and _fill(best[-1]) > 0.8:
            break
    return best


def _fill(page: SynthPage) -> float:
    return sum(_row_height(r) for r in _rows(page)) / (_BASE.bottom - _BASE.top)


def _page_number(number: int) -> Block:
    return Block("page_number", (Line(str(number), "regular", "center", 0.9),))


def _lay_out(
    first: list[Block], body: list[Block], closing: tuple[Block, Block]
) -> list[SynthPage]:
    usable = _BASE.bottom - _BASE.top
    pages: list[list[Block]] = [list(first)]
    used = sum(_row_height(r) for r in _rows(SynthPage(tuple(first))))
    for block in body:
        lines = list(block.lines)
        space = block.space_before
        while lines:
            room = usable - used - space * _BASE.line_height()
            n, height = 0, 0.0
            while n < len(lines) and height + _line_cost(lines[n]) <= room:
                height += _line_cost(lines[n])
                n += 1
            # No lone first line of a paragraph at the foot of a page, and a heading only with
            # room for two lines of its text under it (a fresh page takes whatever comes).
            fresh = len(pages) > 1 and len(pages[-1]) == 1
            widow = n == 1 and len(lines) > 1
            orphan = block.role == "heading" and height + 2 * _BASE.line_height() > room
            if not fresh and (widow or orphan):
                n = 0
            if n:
                pages[-1].append(Block(block.role, tuple(lines[:n]), "full", space))
                used += height + space * _BASE.line_height()
                lines, space = lines[n:], 0.0
            if lines:
                pages.append([_page_number(len(pages) + 1)])
                used, space = _row_height((pages[-1][0],)), 0.5
    if used + _row_height(closing) > usable:
        pages.append([_page_number(len(pages) + 1)])
    pages[-1].extend(closing)
    return [SynthPage(tuple(p)) for p in pages]


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def render_page(
    page: SynthPage | list[str], *, dpi: int = 300, font: str = "serif", size_pt: float = 13
) -> Image.Image:
    """Draw a page on white A4 paper: a greyscale "L" image with image.info["dpi"] set.

    A list of strings is drawn as plain left-aligned lines. The signature block's box in pixels
    is left in image.info["synth_signature_box"], where `degrade` presses a seal.
    """
    if isinstance(page, list):
        page = SynthPage((Block("body", tuple(Line(t) for t in page)),))
    geo = _Geometry(dpi, size_pt)
    img = Image.new("L", (geo.width, geo.height), 255)
    draw = ImageDraw.Draw(img)
    y = float(geo.top)
    for row in _rows(page):
        y += row[0].space_before * geo.line_height()
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
    grid = block.column != "full"
    for line in block.lines:
        # Column blocks sit on the body-line grid (one baseline per grid line whatever the size),
        # so lines beside each other share a baseline and Tesseract reads them as one line.
        pitch = geo.line_height() if grid else geo.line_height(line.size)
        y += (round(line.space_before) if grid else line.space_before) * geo.line_height()
        size_px = max(1, round(geo.size_px * line.size))
        fnt = _font(family, line.style, size_px)
        width = fnt.getlength(line.text)
        if line.align == "center":
            x = x0 + (x1 - x0 - width) / 2
        elif line.align == "right":
            x = x1 - width
        else:
            x = x0 + line.indent * size_px
        baseline = y + (geo.size_px if grid else size_px)  # room for the ascender and accents
        words = line.text.split(" ")
        if line.align == "justify" and len(words) > 1:
            gap = (x1 - x - sum(fnt.getlength(w) for w in words)) / (len(words) - 1)
            for word in words:
                draw.text((x, baseline), word, font=fnt, fill=0, anchor="ls")
                x += fnt.getlength(word) + gap
        else:
            draw.text((x, baseline), line.text, font=fnt, fill=0, anchor="ls")
        stroke = max(1, round(size_px / 22))
        if line.underline:
            # Below the dot of "Ộ" and "Ệ", or Tesseract reads the rule as part of the letters.
            uy, cx, half = baseline + size_px * 0.4, x + width / 2, width * 0.2
            draw.line([(cx - half, uy), (cx + half, uy)], fill=0, width=stroke)
        if line.boxed:
            pad = size_px * 0.5
            box = [x - pad, baseline - size_px * 1.05, x + width + pad, baseline + size_px * 0.4]
            draw.rectangle(box, outline=0, width=stroke)
        y += pitch
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
    """Make a clean page look scanned; deterministic in seed.

    skew_deg: small rotation, counter-clockwise degrees. blur: Gaussian radius in pixels of the
    output. noise: Gaussian noise sigma in grey levels. speckle: share of pixels turned to dark
    dust. jpeg_quality: a JPEG round trip. rotate: 0/90/180/270 clockwise (a page fed sideways or
    upside down). dpi: resample to this resolution. red_seal: a red round seal over the signature;
    the result is then RGB (a colour scan). dark_border: dark scanner-lid edges around the page.
    Otherwise greyscale "L"; image.info["dpi"] is always set.
    """
    if rotate % 90:
        raise ValueError(f"rotate must be a multiple of 90, not {rotate}")
    rng = np.random.default_rng(seed)
    src_dpi = round(img.info.get("dpi", (BASE_DPI, BASE_DPI))[0])
    out = img.convert("RGB" if red_seal else "L")
    if red_seal:
        out = _seal(out, rng, img.info.get("synth_signature_box"), src_dpi)
    white: int | tuple[int, int, int] = (255, 255, 255) if red_seal else 255
    if skew_deg:
        # The scanner bed keeps the sheet size: the corners that turn out of it are margin.
        out = out.rotate(skew_deg, Image.Resampling.BICUBIC, fillcolor=white)
    if dark_border:
        out = _dark_border(out, rng)
    if rotate % 360:
        out = out.rotate(-rotate, expand=True)
    if dpi and dpi != src_dpi:
        size = (round(out.width * dpi / src_dpi), round(out.height * dpi / src_dpi))
        out = out.resize(size, Image.Resampling.LANCZOS)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise or speckle:
        arr = np.asarray(out, dtype=np.float32)
        shape = arr.shape[:2]
        if noise:
            grain = rng.normal(0, noise, shape).astype(np.float32)
            arr = arr + (grain[..., None] if arr.ndim == 3 else grain)
        if speckle:
            dots = rng.random(shape) < speckle
            dust = rng.uniform(0, 90, int(dots.sum())).astype(np.float32)
            arr[dots] = dust[:, None] if arr.ndim == 3 else dust
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if jpeg_quality:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=jpeg_quality)
        out = Image.open(io.BytesIO(buf.getvalue()))
        out.load()
    out.info = {"dpi": (dpi or src_dpi, dpi or src_dpi)}
    return out


def _dark_border(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    shade: int | tuple[int, int, int] = 40 if img.mode == "L" else (40, 40, 40)
    top, bottom, left, right = (int(rng.integers(w // 120, w // 40)) for _ in range(4))
    draw.rectangle([0, 0, w, top], fill=shade)
    draw.rectangle([0, h - bottom, w, h], fill=shade)
    draw.rectangle([0, 0, left, h], fill=shade)
    draw.rectangle([w - right, 0, w, h], fill=shade)
    return img


def _seal(img: Image.Image, rng: np.random.Generator, box: Any, dpi: int) -> Image.Image:
    """A red round seal (two rings and a star) pressed over the left part of the signature."""
    radius = round(17 / 25.4 * dpi)  # a 34 mm seal
    if box:
        x0, y0, x1, y1 = box
        cx = x0 + (x1 - x0) * 0.3 + float(rng.uniform(-0.05, 0.05)) * dpi
        cy = y0 + (y1 - y0) * 0.55
    else:
        cx, cy = img.width * 0.6, img.height * 0.75
    layer = Image.new("L", img.size, 0)
    draw = ImageDraw.Draw(layer)
    ring = max(2, radius // 20)
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=255, width=ring)
    inner = radius * 0.7
    draw.ellipse([cx - inner, cy - inner, cx + inner, cy + inner], outline=255, width=ring // 2)
    star = [
        (cx + r * math.cos(a), cy + r * math.sin(a))
        for i in range(10)
        for r, a in [(inner * (0.55 if i % 2 == 0 else 0.22), -math.pi / 2 + i * math.pi / 5)]
    ]
    draw.polygon(star, fill=255)
    # Ink does not take evenly; the seal is pinkish red, lighter than the black text under it.
    strength = np.asarray(layer, dtype=np.float32) / 255 * rng.uniform(0.6, 0.9, layer.size[::-1])
    arr = np.asarray(img, dtype=np.float32)
    ink = np.array([215, 45, 55], dtype=np.float32)
    # Multiply blend: red over black stays black, so the text under the seal remains.
    tinted = arr * (1 - strength[..., None]) + arr * ink / 255 * strength[..., None]
    return Image.fromarray(np.clip(tinted, 0, 255).astype(np.uint8), "RGB")
