"""OCR quality without ground truth: word confidence and Vietnamese syllable well-formedness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ocr.syllable import well_formed_share
from ocr.types import Word

LOW_CONFIDENCE = 70.0
"""Mean word confidence under which a page goes to review. Clean 300-dpi pages score 90+,
degraded but readable ones 80+; under 70 a page has many wrong words."""

MIN_WELL_FORMED = 0.85
"""Share of well-formed syllables under which a page goes to review. Correct Vietnamese text is
~99% well-formed (names and loanwords make the rest); a page read upside down is under 50%."""

MIN_CHECKED_WORDS = 20
"""The syllable share is only judged on pages with at least this many checkable words."""


@dataclass(frozen=True)
class Quality:
    """What can be said about a page's OCR without knowing the true text."""

    mean_confidence: float
    """Mean word confidence 0-100 over words with a letter or digit (0 for none)."""
    well_formed: float
    """Share of checkable words that are well-formed Vietnamese syllables (1.0 when none)."""
    needs_review: bool
    reasons: tuple[str, ...]
    """"empty_page", "low_confidence", "ill_formed_syllables"."""


def assess(words: Sequence[Word]) -> Quality:
    """Judge one page from its words (after normalization)."""
    real = [w for w in words if any(ch.isalnum() for ch in w.text)]
    if not real:
        # A blank page (back of a sheet, separator) is stored, flagged for a person to confirm.
        return Quality(0.0, 1.0, True, ("empty_page",))
    mean = sum(w.conf for w in real) / len(real)
    share, checked = well_formed_share([w.text for w in real])
    reasons = []
    if mean < LOW_CONFIDENCE:
        reasons.append("low_confidence")
    if checked >= MIN_CHECKED_WORDS and share < MIN_WELL_FORMED:
        reasons.append("ill_formed_syllables")
    return Quality(round(mean, 2), round(share, 4), bool(reasons), tuple(reasons))
