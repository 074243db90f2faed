"""Whether a person must look at each extracted field, and why: the flag that makes a wrong
value safe.

Calibrated on real office scans (scripts/eval_real.py) so that a value left unflagged is
almost never wrong: a number or day written by hand is flagged whatever OCR read (a proposed
value from other evidence, such as the digital signature's time, stays flagged unless two
independent sources agree); a core field not found is flagged; text that is not Vietnamese, or
read with little confidence, is flagged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from extract.header import Blank, BlankReading, well_formed
from extract.stamps import Stamps

if TYPE_CHECKING:
    from extract.metadata import FieldValue

REASONS: dict[str, tuple[str, str]] = {
    "not_found": ("không đọc được trên trang", "not read on the page"),
    "handwritten": ("viết tay, cần đọc lại trên bản quét", "handwritten: read it on the scan"),
    "from_signing_time": (
        "ngày viết tay; giá trị đề xuất theo thời gian ký số",
        "handwritten day; value proposed from the digital signature's time",
    ),
    "low_confidence": ("độ tin cậy thấp", "low confidence"),
    "ill_formed": ("không phải tiếng Việt chuẩn (dấu, vết mực)", "not well-formed Vietnamese"),
    "unknown_issuer": (
        "khối cơ quan ban hành có dòng chưa nhận ra (có thể là đơn vị ban hành)",
        "a line of the issuing-body block names no known organ (it may be the issuer)",
    ),
}
"""Review reason codes -> (Vietnamese, English) for what a clerk reads."""

CORE = (
    "loai", "so_ky_hieu", "ngay_ban_hanh", "noi_ban_hanh", "co_quan_ban_hanh", "trich_yeu",
    "nguoi_ky",
)  # fmt: skip
"""Fields every administrative document prints: one not found needs a person's look."""

MIN_CONFIDENCE: dict[str, float] = {
    "loai": 0.7,
    "so": 0.75,
    "ky_hieu": 0.7,
    "so_ky_hieu": 0.75,
    "ngay_ban_hanh": 0.75,
    "noi_ban_hanh": 0.7,
    "co_quan_ban_hanh": 0.6,
    "co_quan_cap_tren": 0.6,
    "trich_yeu": 0.75,
    "quyen_han_ky": 0.7,
    "chuc_vu": 0.7,
    "nguoi_ky": 0.8,
    "noi_nhan": 0.6,
    "do_mat": 0.0,  # a secrecy mark is never dropped for doubt: it hides, it never shows
    "do_khan": 0.5,
    "ky_so_boi": 0.8,
    "thoi_gian_ky": 0.88,  # small type in a stamp box: a digit is easily misread
    "so_den": 0.8,
    "ngay_den": 0.8,
}
"""Below these confidences a value is flagged (per field: OCR of a name is surer than of a
subject's every word)."""

TEXT_FIELDS = ("trich_yeu", "co_quan_ban_hanh", "nguoi_ky", "chuc_vu", "noi_ban_hanh")


@dataclass(frozen=True)
class Evidence:
    """What the first page told besides the values: how the number and day were written."""

    stamps: Stamps = field(default_factory=lambda: Stamps(frozenset()))
    handwritten_number: bool = False
    handwritten_day: bool = False
    unsure_number: bool = False
    """OCR was unsure of the number's digits (printed or not)."""
    unsure_day: bool = False
    """OCR was unsure of the day's digits."""
    symbol_agrees: bool = False
    """The symbol's type and body codes agree with the type line and the issuing body."""
    signed_on: str | None = None
    """The ISO day of the file's first digital signature (read from the PDF, not the page)."""
    unnamed_issuer: bool = False
    """A line of the issuing-body block names no organ we know: the issuer may be that unit."""
    type_agrees: bool = False
    """The type line and the symbol's printed type code name the same type."""
    blanks: tuple[Blank, ...] = ()
    """Where the handwritten number and day are, to read them again."""
    readings: Mapping[str, BlankReading] = field(default_factory=dict)
    """Blank kind ("so", "ngay") -> what other recognizers read there."""


def _flag(fv: FieldValue, reason: str) -> FieldValue:
    return replace(fv, needs_review=True, review_reason=reason)


def flag_fields(found: Mapping[str, FieldValue], evidence: Evidence) -> dict[str, FieldValue]:
    """The fields with `needs_review` and `review_reason` set."""
    from extract.metadata import NOT_FOUND, FieldValue

    out = dict(found)
    for name, fv in found.items():
        if fv.value is None:
            continue
        if name in TEXT_FIELDS and isinstance(fv.value, str) and not well_formed(fv.value):
            out[name] = _flag(fv, "ill_formed")
        elif fv.confidence < MIN_CONFIDENCE.get(name, 0.0) and not _confirmed(name, evidence):
            out[name] = _flag(fv, "low_confidence")
    if evidence.unnamed_issuer and out.get("co_quan_ban_hanh", NOT_FOUND).value is not None:
        out["co_quan_ban_hanh"] = _flag(out["co_quan_ban_hanh"], "unknown_issuer")
    if evidence.handwritten_number or evidence.unsure_number:
        out.update(_number(out, evidence))
    if (evidence.handwritten_day or evidence.unsure_day) and "ngay_ban_hanh" in out:
        out["ngay_ban_hanh"] = _day(out["ngay_ban_hanh"], evidence)
    for name in CORE:
        if out.get(name, NOT_FOUND).value is None:
            out[name] = FieldValue(None, 0.0, None, None, True, "not_found")
    return out


_DIGITS = re.compile(r"^\W*(\d{1,5})\W*$")


def _digits(text: str) -> str | None:
    """The number a recognizer read in a blank ("51"), None when it read anything else."""
    m = _DIGITS.match(text)
    return m.group(1) if m else None


ASTER_SURE = 90.0
"""AsterOCR's reading of a blank counts when it is this sure of every character."""


def _sources(evidence: Evidence, kind: str) -> dict[str, str]:
    """Independent recognizer -> the number it read in the blank. AsterOCR counts when sure
    and when a looser cut of the same blank gives the same digits (a reading that changes
    with the cut is the cut's, not the hand's); Tesseract on the crop counts as read."""
    reading = evidence.readings.get(kind)
    found = {engine: (text, conf) for engine, text, conf in (reading.readings if reading else ())}
    out: dict[str, str] = {}
    if "cut" in found:
        return out  # the crop may have cut the writing: no reading of it is the hand's
    tight, loose = found.get("asterocr-tight"), found.get("asterocr")
    if tight and loose and tight[1] >= ASTER_SURE:
        value, other = _digits(tight[0]), re.sub(r"\D", "", loose[0])
        if value is not None and other and int(other) == int(value) > 0:
            out["asterocr"] = value
    if "tesseract" in found:
        value = _digits(found["tesseract"][0])
        if value is not None and int(value) > 0:
            out["tesseract"] = value
    if kind == "ngay":
        out = {k: str(int(v)) for k, v in out.items()}
    return out


def _number(out: Mapping[str, FieldValue], evidence: Evidence) -> dict[str, FieldValue]:
    """A handwritten number: two independent recognizers reading the same digits make it a
    value; otherwise the best reading is proposed and a person looks."""
    sources = _sources(evidence, "so")
    values = list(sources.values())
    agreed = next((v for v in values if values.count(v) >= 2), None)
    proposed = agreed or sources.get("asterocr") or _proposal(evidence, "so")
    fixed: dict[str, FieldValue] = {}
    for name in ("so", "so_ky_hieu"):
        fv = out.get(name)
        if fv is None or fv.value is None:
            continue
        if proposed:
            value = proposed if name == "so" else _with_number(str(fv.value), proposed)
            fv = replace(fv, value=value)
        if agreed:
            fixed[name] = replace(fv, confidence=max(fv.confidence, 0.9), needs_review=False,
                                  review_reason=None)  # fmt: skip
        else:
            reason = "handwritten" if evidence.handwritten_number else "low_confidence"
            fixed[name] = _flag(fv, reason)
    return fixed


def _proposal(evidence: Evidence, kind: str) -> str | None:
    """AsterOCR's reading of the blank, sure or not, as a proposal for a person to check."""
    reading = evidence.readings.get(kind)
    for engine, text, conf in reading.readings if reading else ():
        value = _digits(text)
        if engine == "asterocr-tight" and value and int(value) > 0 and conf >= 50:
            return value
    return None


def _with_number(so_ky_hieu: str, number: str) -> str:
    """ "94/QĐ-UBND" or "/QĐ-UBND" with the number read again: "51/QĐ-UBND"."""
    m = re.match(r"^[^/\-]*(?=[/\-])", so_ky_hieu)
    return number + so_ky_hieu[m.end() :] if m else so_ky_hieu


def _confirmed(name: str, evidence: Evidence) -> bool:
    """Whether a value read unsure is confirmed by a second, independent part of the page: the
    type line by the symbol's printed type code ("QUYẾT ĐỊNH" and "/QĐ-"), the symbol's codes
    by the type line and the issuing body."""
    if name == "loai":
        return evidence.type_agrees
    return name == "ky_hieu" and evidence.symbol_agrees


def _day(fv: FieldValue, evidence: Evidence) -> FieldValue:
    """A handwritten day: two independent sources agree (two recognizers, or one and the
    digital signature's day), or a person looks at the best proposal."""
    read = fv.value if isinstance(fv.value, str) else ""
    month = read[:7]
    # The signature's day: from the PDF's own signature, else as its appearance box prints it.
    stamp = evidence.stamps.signing_time[0] if evidence.stamps.signing_time else None
    signed = evidence.signed_on or stamp
    sources = {k: f"{month}-{int(v):02d}" for k, v in _sources(evidence, "ngay").items()}
    if not evidence.readings.get("ngay") and re.fullmatch(r"\d{4}-\d\d-\d\d", read):
        sources["tesseract"] = read  # no crop read again: the page's OCR run is Tesseract's
    if signed and signed.startswith(month):
        sources["signature"] = signed
    values = [v for v in sources.values() if _valid(v)]
    agreed = next((v for v in values if values.count(v) >= 2), None)
    if agreed:
        return replace(fv, value=agreed, confidence=max(fv.confidence, 0.9), needs_review=False,
                       review_reason=None)  # fmt: skip
    aster = _proposal(evidence, "ngay")
    if aster:
        sources.setdefault("asterocr", f"{month}-{int(aster):02d}")
    if "tesseract" not in sources and re.fullmatch(r"\d{4}-\d\d-\d\d", read):
        sources["tesseract"] = read
    written = "handwritten" if evidence.handwritten_day else "low_confidence"
    for engine, reason in (("asterocr", written), ("tesseract", written),
                           ("signature", "from_signing_time")):  # fmt: skip
        if engine in sources and _valid(sources[engine]):
            return replace(fv, value=sources[engine], confidence=min(fv.confidence, 0.5),
                           needs_review=True, review_reason=reason)  # fmt: skip
    return _flag(fv, written)


def _valid(iso: str) -> bool:
    try:
        dt.date.fromisoformat(iso)
    except ValueError:
        return False
    return True


def reason_text(code: str | None) -> tuple[str, str]:
    """(Vietnamese, English) for a reason code; the code itself when unknown."""
    if code is None:
        return "", ""
    return REASONS.get(code, (code, code))
