"""Vietnamese text typed in the pre-Unicode encodings TCVN3 (ABC) and VNI, decoded to Unicode NFC.

Documents typed in the 1990s and 2000s with ".VnTime" (TCVN 5712:1993, the VN3 "ABC" table) or
"VNI-Times" fonts carry their letters as single bytes that a PDF reader maps to Windows-1252:
"Céng hßa x· héi chñ nghÜa" is "Cộng hòa xã hội chủ nghĩa" in TCVN3. The tables below are the
public ones of both encodings (TCVN 5712:1993 for TCVN3; VNI Software's VNI-Windows table),
written out here as Unicode strings so that no codec needs installing.

TCVN3 has codes only for the capitals Ă Â Ê Ô Ơ Ư Đ: the other accented capitals are typed with
the "H" variant of the font (".VnTimeH"), which draws the lower-case codes as capitals, so text in
such a font is decoded and then upper-cased. VNI writes a letter as its base letter followed by
one or two mark characters ("aù" = á, "aâ" = â, "aá" = ấ).
"""

from __future__ import annotations

import re
import unicodedata

from ocr.syllable import well_formed_share

UNICODE = "unicode"
TCVN3 = "tcvn3"
VNI = "vni"

# TCVN3 (VN3): Unicode letter -> the Windows-1252 character a PDF reader gives for its byte.
_TCVN3_LETTERS = (
    "Ă¡ Â¢ Ê£ Ô¤ Ơ¥ Ư¦ Đ§ ă¨ â© êª ô« ơ¬ ư\xad đ®"
    " àµ ả¶ ã· á¸ ạ¹ ằ» ẳ¼ ẵ½ ắ¾ ặÆ ầÇ ẩÈ ẫÉ ấÊ ậË"
    " èÌ ẻÎ ẽÏ éÐ ẹÑ ềÒ ểÓ ễÔ ếÕ ệÖ ì× ỉØ ĩÜ íÝ ịÞ"
    " òß ỏá õâ óã ọä ồå ổæ ỗç ốè ộé ờê ởë ỡì ớí ợî"
    " ùï ủñ ũò úó ụô ừõ ửö ữ÷ ứø ựù ỳú ỷû ỹü ýý ỵþ"
)
_TCVN3 = {pair[1]: pair[0] for pair in _TCVN3_LETTERS.split()}

# VNI-Windows: base letter + mark characters -> Unicode letter (lower case; capitals below).
_VNI_LOWER = {
    "aø": "à", "aù": "á", "aû": "ả", "aõ": "ã", "aï": "ạ",
    "aâ": "â", "aà": "ầ", "aá": "ấ", "aå": "ẩ", "aã": "ẫ", "aä": "ậ",
    "aê": "ă", "aè": "ằ", "aé": "ắ", "aú": "ẳ", "aü": "ẵ", "aë": "ặ",
    "eø": "è", "eù": "é", "eû": "ẻ", "eõ": "ẽ", "eï": "ẹ",
    "eâ": "ê", "eà": "ề", "eá": "ế", "eå": "ể", "eã": "ễ", "eä": "ệ",
    "ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị",
    "oø": "ò", "où": "ó", "oû": "ỏ", "oõ": "õ", "oï": "ọ",
    "oâ": "ô", "oà": "ồ", "oá": "ố", "oå": "ổ", "oã": "ỗ", "oä": "ộ",
    "ô": "ơ", "ôø": "ờ", "ôù": "ớ", "ôû": "ở", "ôõ": "ỡ", "ôï": "ợ",
    "uø": "ù", "uù": "ú", "uû": "ủ", "uõ": "ũ", "uï": "ụ",
    "ö": "ư", "öø": "ừ", "öù": "ứ", "öû": "ử", "öõ": "ữ", "öï": "ự",
    "yø": "ỳ", "yù": "ý", "yû": "ỷ", "yõ": "ỹ", "î": "ỵ",
    "ñ": "đ",
}  # fmt: skip
_VNI_UPPER = {
    "AØ": "À", "AÙ": "Á", "AÛ": "Ả", "AÕ": "Ã", "AÏ": "Ạ",
    "AÂ": "Â", "AÀ": "Ầ", "AÁ": "Ấ", "AÅ": "Ẩ", "AÃ": "Ẫ", "AÄ": "Ậ",
    "AÊ": "Ă", "AÈ": "Ằ", "AÉ": "Ắ", "AÚ": "Ẳ", "AÜ": "Ẵ", "AË": "Ặ",
    "EØ": "È", "EÙ": "É", "EÛ": "Ẻ", "EÕ": "Ẽ", "EÏ": "Ẹ",
    "EÂ": "Ê", "EÀ": "Ề", "EÁ": "Ế", "EÅ": "Ể", "EÃ": "Ễ", "EÄ": "Ệ",
    "Ì": "Ì", "Í": "Í", "Æ": "Ỉ", "Ó": "Ĩ", "Ò": "Ị",
    "OØ": "Ò", "OÙ": "Ó", "OÛ": "Ỏ", "OÕ": "Õ", "OÏ": "Ọ",
    "OÂ": "Ô", "OÀ": "Ồ", "OÁ": "Ố", "OÅ": "Ổ", "OÃ": "Ỗ", "OÄ": "Ộ",
    "Ô": "Ơ", "ÔØ": "Ờ", "ÔÙ": "Ớ", "ÔÛ": "Ở", "ÔÕ": "Ỡ", "ÔÏ": "Ợ",
    "UØ": "Ù", "UÙ": "Ú", "UÛ": "Ủ", "UÕ": "Ũ", "UÏ": "Ụ",
    "Ö": "Ư", "ÖØ": "Ừ", "ÖÙ": "Ứ", "ÖÛ": "Ử", "ÖÕ": "Ữ", "ÖÏ": "Ự",
    "YØ": "Ỳ", "YÙ": "Ý", "YÛ": "Ỷ", "YÕ": "Ỹ", "Î": "Ỵ",
    "Ñ": "Đ",
}  # fmt: skip
_VNI = {**_VNI_LOWER, **_VNI_UPPER}
# Longest first, so "ôù" (ớ) wins over "ô" (ơ).
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI, key=len, reverse=True)))

_TCVN3_FONT = re.compile(r"(^|\+)\.?Vn", re.IGNORECASE)
_TCVN3_CAPS_FONT = re.compile(r"(^|\+)\.?Vn\w*?H(,|-|$)", re.IGNORECASE)
_VNI_FONT = re.compile(r"(^|\+)VNI[-_ ]", re.IGNORECASE)

MIN_GAIN = 0.25
"""A guessed legacy decoding (no telling font name) is kept only when it raises the share of
well-formed syllables by this much: correct Vietnamese decodes to ~99%, mojibake is under 50%."""


def encoding_of_font(font_name: str) -> str:
    """The encoding a font name tells: ".VnTime" (TCVN3), "VNI-Times" (VNI), else Unicode.

    Subset prefixes ("ABCDEF+.VnTimeH") are allowed.
    """
    if _VNI_FONT.search(font_name):
        return VNI
    if _TCVN3_FONT.search(font_name):
        return TCVN3
    return UNICODE


def is_caps_font(font_name: str) -> bool:
    """A TCVN3 capitals font (".VnTimeH", ".VnArialH"): lower-case codes drawn as capitals."""
    return bool(_TCVN3_CAPS_FONT.search(font_name))


def decode(text: str, encoding: str, *, caps: bool = False) -> str:
    """`text` as a PDF reader gave it for a font in `encoding`, as Unicode NFC."""
    if encoding == TCVN3:
        out = "".join(_TCVN3.get(ch, ch) for ch in text)
        if caps:
            out = out.upper()
    elif encoding == VNI:
        out = _VNI_RE.sub(lambda m: _VNI[m.group(0)], text)
    else:
        out = text
    return unicodedata.normalize("NFC", out)


def guess(text: str) -> str:
    """The encoding `text` was most likely typed in, judged by Vietnamese well-formedness.

    For text layers whose fonts do not say (renamed or subset fonts): Unicode unless TCVN3 or
    VNI decoding turns it from mojibake into well-formed Vietnamese.
    """
    words = text.split()[:400]
    base, checked = well_formed_share(words)
    if checked < 5 or not any(ord(ch) > 0x7F for ch in text):
        return UNICODE
    best, best_share = UNICODE, base
    for encoding in (TCVN3, VNI):
        share, _ = well_formed_share(decode(" ".join(words), encoding).split())
        if share >= base + MIN_GAIN and share > best_share:
            best, best_share = encoding, share
    return best
