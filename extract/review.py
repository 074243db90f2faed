"""Whether a person must look at each extracted field, and why: the flag that makes a wrong
value safe.

Calibrated on real office scans (scripts/eval_real.py) so that a value left unflagged is
almost never wrong: a number or day written by hand is flagged whatever OCR read (a proposed
value from other evidence, such as the digital signature's time, stays flagged unless two
independent sources agree); a core field not found is flagged; text that is not Vietnamese, or
read with little confidence, is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from extract.header import well_formed
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
    symbol_agrees: bool = False
    """The symbol's type and body codes agree with the type line and the issuing body."""


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
        elif fv.confidence < MIN_CONFIDENCE.get(name, 0.0) and not (
            name == "ky_hieu" and evidence.symbol_agrees
        ):
            out[name] = _flag(fv, "low_confidence")
    if evidence.handwritten_number:
        for name in ("so", "so_ky_hieu"):
            if name in out:
                out[name] = _flag(out[name], "handwritten")
    if evidence.handwritten_day and "ngay_ban_hanh" in out:
        out["ngay_ban_hanh"] = _day(out["ngay_ban_hanh"], evidence.stamps)
    for name in CORE:
        if out.get(name, NOT_FOUND).value is None:
            out[name] = FieldValue(None, 0.0, None, None, True, "not_found")
    return out


def _day(fv: FieldValue, stamps: Stamps) -> FieldValue:
    """A handwritten day: OCR's reading and the signing time agree, or a person looks."""
    read = fv.value if isinstance(fv.value, str) else ""
    signed = stamps.signing_time[0] if stamps.signing_time else None
    full = bool(re.fullmatch(r"\d{4}-\d\d-\d\d", read))
    if full and signed == read:
        # Two independent sources, the written day and the signature's time, agree.
        return replace(fv, confidence=max(fv.confidence, 0.9), needs_review=False)
    if not full and signed and signed.startswith(read):
        return replace(fv, value=signed, confidence=0.5, needs_review=True,
                       review_reason="from_signing_time")  # fmt: skip
    return _flag(fv, "handwritten")


def reason_text(code: str | None) -> tuple[str, str]:
    """(Vietnamese, English) for a reason code; the code itself when unknown."""
    if code is None:
        return "", ""
    return REASONS.get(code, (code, code))
