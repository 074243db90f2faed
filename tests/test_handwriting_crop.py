"""A blank's crop that cuts the writing is not read as the number (both readers would agree
on what is left: "5" for "15")."""

from __future__ import annotations

import numpy as np

from extract.header import BlankReading
from extract.review import Evidence, _sources
from pipeline.handwriting import _cut


def test_ink_across_the_crops_side_means_the_crop_may_have_cut_a_digit() -> None:
    crop = np.full((60, 120), 255, dtype=np.uint8)
    crop[10:50, 50:60] = 0  # a stroke well inside
    assert not _cut(crop)
    crop[10:50, 0:4] = 0  # a stroke running over the left side
    assert _cut(crop)


def test_no_agreement_is_taken_from_a_cut_crop() -> None:
    read = (("asterocr", "5", 99.0), ("asterocr-tight", "5", 99.0), ("tesseract", "5", 90.0))
    whole = Evidence(readings={"so": BlankReading(read)})
    cut = Evidence(readings={"so": BlankReading((("cut", "", 0.0), *read))})
    assert _sources(whole, "so") == {"asterocr": "5", "tesseract": "5"}
    assert _sources(cut, "so") == {}
