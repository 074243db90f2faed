"""Splitting a dossier scan into documents: first-page and last-page cues, manifest ranges."""

from __future__ import annotations

import pytest

from extract.metadata import PageText
from extract.segment import page_cues, split_dossier
from sohoa.errors import ManifestError

BODY = (
    "Cấp ủy các cấp thường xuyên nắm bắt tình hình tư tưởng của cán bộ, đảng viên và nhân dân;\n"
    "kịp thời định hướng dư luận xã hội, đấu tranh phản bác các quan điểm sai trái, thù địch.\n"
)


def first(symbol: str, kind: str = "THÔNG BÁO", header: str = "TỈNH ỦY BẮC GIANG") -> PageText:
    return PageText(
        f"{header} ĐẢNG CỘNG SẢN VIỆT NAM\n*\n"
        f"Số {symbol} Bắc Giang, ngày 15 tháng 3 năm 2023\n{kind}\nkết luận về công tác\n{BODY}"
    )


def state_first(symbol: str) -> PageText:
    return PageText(
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "TỈNH BẮC GIANG Độc lập - Tự do - Hạnh phúc\n"
        f"Số: {symbol} Bắc Giang, ngày 05 tháng 3 năm 2021\nQUYẾT ĐỊNH\nVề việc x\n{BODY}"
    )


def middle(number: int) -> PageText:
    return PageText(f"{number}\n{BODY}{BODY}")


def last(number: int | None = None) -> PageText:
    top = f"{number}\n" if number else ""
    return PageText(
        f"{top}{BODY}Nơi nhận: T/M BAN THƯỜNG VỤ\n- Như trên, PHÓ BÍ THƯ\n- Lưu VPTU.\n"
        "Lê Thị Thu Hồng\n"
    )


def single(symbol: str) -> PageText:
    return PageText(first(symbol).text + last().text)


def spans(ranges: list[range]) -> list[tuple[int, int]]:
    return [(r.start, r.stop) for r in ranges]


def test_cues_of_first_middle_and_last_pages() -> None:
    cues = page_cues(first("24-TB/UBKTTU"))
    assert cues.national_header and cues.symbol and cues.place_date and cues.type_line
    assert cues.first_score >= 7 and cues.last_score == 0
    assert page_cues(middle(2)).first_score < 0
    end = page_cues(last(3))
    assert end.signature and end.recipients and end.first_score <= 0


def test_split_by_first_and_last_page_cues() -> None:
    pages = [
        first("24-TB/UBKTTU"), middle(2), last(3),  # 3 pages
        single("25-TB/UBKTTU"),  # 1 page, header to signature
        state_first("15/QĐ-UBND"), last(2),  # a state document between Party ones
        first("3-BC/UBKTTU", "BÁO CÁO"), last(2),
    ]  # fmt: skip
    assert spans(split_dossier(pages)) == [(0, 3), (3, 4), (4, 6), (6, 8)]


def test_attachment_after_the_signature_stays_with_its_document() -> None:
    annex = PageText(f"PHỤ LỤC\nDanh sách đảng viên được kiểm tra\n{BODY}")
    pages = [first("1-KH/UBKTTU", "KẾ HOẠCH"), last(2), annex, first("2-TB/UBKTTU")]
    assert spans(split_dossier(pages)) == [(0, 3), (3, 4)]


def test_a_blank_back_page_stays_with_its_document_and_passes_its_end_on() -> None:
    blank = PageText("  .\n")
    # A first page with the header but no number: it starts a document only after an end.
    weak = PageText(f"TỈNH ỦY BẮC GIANG ĐẢNG CỘNG SẢN VIỆT NAM\n{BODY}")
    assert 2.0 <= page_cues(weak).first_score < 3.5
    pages = [first("1-KH/UBKTTU", "KẾ HOẠCH"), blank, last(2), blank, weak, last(2)]
    assert spans(split_dossier(pages)) == [(0, 4), (4, 6)]


def test_a_missing_page_counts_as_an_end() -> None:
    weak = PageText(f"TỈNH ỦY BẮC GIANG ĐẢNG CỘNG SẢN VIỆT NAM\n{BODY}")
    pages = [first("1-KH/UBKTTU", "KẾ HOẠCH"), middle(2), weak, middle(2)]
    assert spans(split_dossier(pages)) == [(0, 4)]
    # A page between the middle one and the weak one failed, or was refused and deleted.
    assert spans(split_dossier(pages, after_gap={2})) == [(0, 2), (2, 4)]
    # A middle page after a gap still continues its document.
    assert spans(split_dossier(pages, after_gap={1})) == [(0, 4)]


def test_manifest_ranges_win() -> None:
    pages = [first("1-TB/TU"), middle(2), first("2-TB/TU"), last(2), middle(3)]
    assert spans(split_dossier(pages)) == [(0, 2), (2, 5)]
    assert spans(split_dossier(pages, fixed=[(1, 3), (4, 5)])) == [(0, 3), (3, 5)]
    # Pages the manifest leaves out are split by their cues.
    assert spans(split_dossier(pages, fixed=[(4, 5)])) == [(0, 2), (2, 3), (3, 5)]


@pytest.mark.parametrize("fixed", [[(0, 2)], [(2, 1)], [(1, 6)], [(1, 3), (3, 4)]])
def test_bad_manifest_ranges(fixed: list[tuple[int, int]]) -> None:
    with pytest.raises(ManifestError) as caught:
        split_dossier([middle(n) for n in range(5)], fixed=fixed)
    assert "page_ranges" in caught.value.en and "5-page" in caught.value.en
    assert "5 trang" in caught.value.vi


def test_edge_cases() -> None:
    assert split_dossier([]) == []
    assert spans(split_dossier([middle(2)])) == [(0, 1)]
    assert spans(split_dossier([PageText(""), PageText("")])) == [(0, 2)]


def test_an_attachment_stays_with_its_document() -> None:
    """A Tờ trình, then the draft resolution it submits ("DỰ THẢO", its own header and blank
    number) and an appendix: one document, whose signature is the Tờ trình's own."""
    from extract.metadata import extract_metadata

    submission = state_first("22/TTr-UBND")
    draft = PageText(
        "HỘI ĐỒNG NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "TỈNH BẮC GIANG Độc lập - Tự do - Hạnh phúc\n"
        "Số: /NQ-HĐND Bắc Giang, ngày tháng năm 2021\nDỰ THẢO\nNGHỊ QUYẾT\nVề việc y\n"
        f"{BODY}TM. HỘI ĐỒNG NHÂN DÂN\nCHỦ TỊCH\n"
    )
    appendix = PageText(f"PHỤ LỤC\n(Kèm theo Tờ trình số 22/TTr-UBND ngày 05/3/2021)\n{BODY}")
    pages = [submission, last(), draft, appendix]
    assert page_cues(draft).attachment and page_cues(appendix).attachment
    assert split_dossier(pages) == [range(0, 4)]
    md = extract_metadata(pages)
    assert (md.so_ky_hieu.value, md.nguoi_ky.value) == ("22/TTr-UBND", "Lê Thị Thu Hồng")
    # Without the attachment cue the draft would start a document of its own.
    assert split_dossier([submission, last(), state_first("5/QĐ-UBND")]) == [
        range(0, 2),
        range(2, 3),
    ]
